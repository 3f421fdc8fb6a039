/**
 * `npm run share -- SOURCE [options]`: a replay link for any learner the benchmark reads, from the
 * same `--checkpoint` sources as `npm run bench:ordered` (so a link is the scoreboard row's
 * learner): a training checkpoint (FILE: best by validation when kept; FILE#final: its final
 * parameters), `rule:class-mean` (the hand-designed rule) or `rule:FILE` (a rule file such as
 * `npm run evolve:rule`'s rule.json).
 *
 * `--headline` writes demos/src/headline.json, the demos page's list of the project's headline
 * learners (HEADLINE below) with their scoreboard numbers.
 */
import type { HeadlineLink } from '../pages/headline-link';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_SITE, parseSite, replayLink, serveCommand } from '../app/site';
import { REPO_ROOT } from '../app/vite-server';
import { decodeCheckpoint } from '../meta/checkpoint';
import { parseRuleFile } from '../meta/rule-es';
import { writeFileAtomic } from '../meta/node/io';
import { defineCommand, parseOrExit } from './args';
import { checkpointSharePayload, encodeShare, ruleSharePayload, type ShareBits, type SharePayload } from '../share';

export const SHARE_COMMAND = defineCommand({
  name: 'share',
  usage: `SOURCE [options]
       npm run share -- --headline [--out FILE]`,
  description: `Prints an absolute replay link for a learner. SOURCE is what npm run bench:ordered reads with
--checkpoint:
  FILE.json                a training checkpoint (best by validation when it kept one)
  FILE.json#final          its final parameters
  rule:class-mean          the hand-designed class-mean rule
  rule:FILE.json           a class-mean rule file (npm run evolve:rule)
A black-box LSTM checkpoint (learnerKind 'lstm') is shared as that LSTM (scored by
bench:ordered --methods lstm:checkpoint=FILE; the replay page plays it when it fits MNIST, else says why).
Links longer than MAX_LINK_CHARS (524,288 characters) are refused: try --bits 8.`,
  positional: { name: 'SOURCE', description: 'the learner (above)' },
  options: {
    site: {
      type: 'string',
      value: 'URL',
      default: DEV_SITE,
      description: 'site that replays the link (npm run dev serves the default)',
    },
    bits: {
      type: 'string',
      choices: ['8', '16', '32'],
      default: '32',
      description:
        'checkpoint parameters: int8/int16 quantised or exact f32 (rules are always exact; GA checkpoints travel as their seed chain)',
    },
    title: { type: 'string', value: 'TEXT', description: 'a title shown by the replay page' },
    scoreboard: {
      type: 'string',
      value: 'FILE',
      description: "take the learner's full-benchmark accuracy from this scoreboard.json (with --label)",
    },
    label: { type: 'string', value: 'ID', description: '... from its row with this id (e.g. vsml-ink-es)' },
    headline: { type: 'boolean', description: "write the demos page's headline links" },
    out: {
      type: 'string',
      value: 'FILE',
      defaultText: 'demos/src/headline.json',
      description: 'with --headline: where to write',
    },
  },
});

/** A learner of the demos page: where it comes from and which scoreboard row reports it. */
export interface HeadlineSpec {
  id: string;
  title: string;
  what: string;
  source: string;
  /** Row id in results/ordered-mnist/scoreboard.json. */
  row: string;
}

export const HEADLINE: HeadlineSpec[] = [
  {
    id: 'vsml-ink-es',
    title: 'Evolved ink rule',
    what: 'class-mean core with two ink terms whose 10 constants OpenAI-ES evolved from a random start',
    source: 'rule:results/rule-es-mnist/rule.json',
    row: 'vsml-ink-es',
  },
  {
    id: 'vsml-rule',
    title: 'Hand-designed class-mean rule',
    what: 'per-class counters set the rate to 1/(n+1); running class means read out as nearest class mean',
    source: 'rule:class-mean',
    row: 'vsml-rule',
  },
  {
    id: 'vsml-rule-es',
    title: 'ES from the rule (--preset ordered)',
    what: 'all 452 meta-parameters evolved for 40 generations from the hand rule on benchmark-shaped episodes',
    source: 'results/train-ordered-rule-es/checkpoint.json#final',
    row: 'vsml-rule-es',
  },
  {
    id: 'vsml-default',
    title: 'The default run (npm start)',
    what: 'meta-trained from random init on 2-way, 20-example episodes; plays its training episodes',
    source: 'results/train-default/checkpoint.json',
    row: 'vsml',
  },
];

/** The share payload of a bench:ordered `--checkpoint` source. */
export function sourcePayload(
  source: string,
  opts: { bits?: ShareBits; title?: string; benchmarkAccuracy?: number } = {},
): SharePayload {
  const note = { title: opts.title, benchmarkAccuracy: opts.benchmarkAccuracy };
  if (source === 'rule:class-mean') return ruleSharePayload(undefined, source, note);
  if (source.startsWith('rule:')) {
    const file = source.slice(5);
    if (!existsSync(file)) throw new Error(`no rule file ${file} (rule:class-mean or rule:FILE.json)`);
    return ruleSharePayload(parseRuleFile(readFileSync(file, 'utf8'), file), source, note);
  }
  const final = source.endsWith('#final');
  const file = final ? source.slice(0, -6) : source;
  if (!existsSync(file))
    throw new Error(`no checkpoint ${file} (FILE.json, FILE.json#final, rule:class-mean or rule:FILE.json)`);
  const c = decodeCheckpoint(readFileSync(file, 'utf8'), file);
  const p = checkpointSharePayload(c, { bits: opts.bits ?? 32, which: final ? 'final' : 'best', ...note });
  return { ...p, config: { ...p.config, note: { ...p.config.note, source: source.slice(0, 200) } } };
}

function scoreboardAccuracy(file: string, row: string): number {
  const board = JSON.parse(readFileSync(file, 'utf8')) as { rows: { id: string; accuracy: number }[] };
  const r = board.rows.find((x) => x.id === row);
  if (!r) throw new Error(`${file} has no row '${row}' (rows: ${board.rows.map((x) => x.id).join(', ')})`);
  return r.accuracy;
}

export async function headlineLinks(
  scoreboard = join(REPO_ROOT, 'results', 'ordered-mnist', 'scoreboard.json'),
): Promise<HeadlineLink[]> {
  const out: HeadlineLink[] = [];
  for (const h of HEADLINE) {
    const benchmarkAccuracy = scoreboardAccuracy(scoreboard, h.row);
    const payload = sourcePayload(h.source, { title: h.title, benchmarkAccuracy });
    const enc = await encodeShare(payload);
    out.push({
      ...h,
      benchmarkAccuracy,
      stream: payload.config.note?.stream ?? 'benchmark',
      fragment: enc.fragment,
      fragmentChars: enc.sizes.fragmentChars,
    });
  }
  return out;
}

export async function shareMain(argv: string[]): Promise<number> {
  const parsed = parseOrExit(SHARE_COMMAND, argv);
  if (typeof parsed === 'number') return parsed;
  const o = parsed.values;
  try {
    const site = parseSite(o.site);
    if (o.headline) {
      const out = o.out ?? join(REPO_ROOT, 'demos', 'src', 'headline.json');
      const links = await headlineLinks(o.scoreboard);
      writeFileAtomic(out, `${JSON.stringify({ generatedBy: 'npm run share -- --headline', links }, null, 2)}\n`);
      for (const l of links)
        console.log(
          `${l.id}: ${(100 * l.benchmarkAccuracy).toFixed(2)}% (scoreboard row ${l.row}), ${l.fragmentChars} characters\n  ${replayLink(site, l.fragment)}`,
        );
      console.log(`wrote ${out}`);
      return 0;
    }
    if (parsed.positional === undefined) {
      console.error('share: give a SOURCE (or --headline)\nRun with --help for the options.');
      return 2;
    }
    const bits = Number(o.bits) as ShareBits;
    if ((o.label === undefined) !== (o.scoreboard === undefined)) {
      console.error('--scoreboard and --label go together');
      return 2;
    }
    const benchmarkAccuracy = o.scoreboard && o.label ? scoreboardAccuracy(o.scoreboard, o.label) : undefined;
    const source = parsed.positional;
    const enc = await encodeShare(sourcePayload(source, { bits, title: o.title, benchmarkAccuracy }));
    const serve = serveCommand(site);
    console.log(replayLink(site, enc.fragment));
    console.error(
      `${source}: ${enc.sizes.fragmentChars} characters; ${serve ? `serve ${site} with: ${serve}` : `open it where ${site} hosts a build of this site (npm run build)`}`,
    );
    return 0;
  } catch (e) {
    console.error(`share: ${(e as Error).message}`);
    return 1;
  }
}

if (/src[\\/]cli[\\/]share\.ts$/.test(process.argv[1] ?? '')) {
  process.exitCode = await shareMain(process.argv.slice(2));
}
