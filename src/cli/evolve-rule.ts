/**
 * `npm run evolve:rule -- [options]`: evolve the class-mean rule's ink terms with OpenAI-ES on the
 * TRAIN split (src/meta/rule-es.ts), checkpointing every generation; `--resume` continues a run.
 * Writes DIR/state.json (atomic), DIR/metrics.jsonl, DIR/fitness.svg and DIR/rule.json, the
 * deployable rule (`npm run bench:ordered -- --checkpoint rule:DIR/rule.json`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lineChartSvg } from '../chart/svg';
import { loadDataset } from '../data/load-node';
import { CLASS_MEAN_RULE } from '../inner/rules/class-mean';
import { writeFileAtomic } from '../meta/node/io';
import { type EvolvedRuleFile, evolvedRule, initRuleEs, RULE_ES_DEFAULTS, ruleEsGeneration, type RuleEsConfig, type RuleEsState } from '../meta/rule-es';
import { buildRuleValidation } from '../meta/rule-fit';
import { parseState, stringifyState } from '../meta/serialize';
import { formatDuration } from './progress';

const USAGE = `usage: npm run evolve:rule -- [--dataset mnist] [--terms 2] [--generations 200] [--pairs 16] [--sigma 0.1] [--lr 0.05]
  [--seed 1] [--max-queries 5000] [--init-scale 0.3] [--out DIR] [--resume]`;

async function main(): Promise<void> {
  const { values: v } = parseArgs({
    options: {
      dataset: { type: 'string' },
      terms: { type: 'string' },
      generations: { type: 'string' },
      pairs: { type: 'string' },
      sigma: { type: 'string' },
      lr: { type: 'string' },
      seed: { type: 'string' },
      'max-queries': { type: 'string' },
      'init-scale': { type: 'string' },
      out: { type: 'string' },
      resume: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help) return void console.log(USAGE);
  const out = v.out ?? `runs/rule-es-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const statePath = join(out, 'state.json');
  const num = (name: string, s: string | undefined, d: number, int = false, min = 0) => {
    if (s === undefined) return d;
    const x = Number(s);
    if (!Number.isFinite(x) || x < min || (int && !Number.isInteger(x))) throw new Error(`--${name}: expected ${int ? 'an integer' : 'a number'} >= ${min}, got '${s}'`);
    return x;
  };
  let state: RuleEsState;
  if (v.resume) {
    if (!existsSync(statePath)) throw new Error(`--resume: no ${statePath}`);
    state = parseState<RuleEsState>(readFileSync(statePath, 'utf8'));
    if (state?.format !== 'vsml-rule-es') throw new Error(`${statePath}: not a vsml-rule-es state`);
    if (v.generations) state = { ...state, config: { ...state.config, generations: num('generations', v.generations, 0, true, 1) } };
  } else {
    if (existsSync(statePath)) throw new Error(`${statePath} exists: pass --resume to continue it, or another --out`);
    const d = RULE_ES_DEFAULTS;
    const config: RuleEsConfig = {
      dataset: v.dataset ?? d.dataset,
      terms: num('terms', v.terms, d.terms, true, 1),
      seed: num('seed', v.seed, d.seed, true),
      generations: num('generations', v.generations, d.generations, true, 1),
      pairs: num('pairs', v.pairs, d.pairs, true, 1),
      sigma: num('sigma', v.sigma, d.sigma),
      lr: num('lr', v.lr, d.lr),
      maxQueries: num('max-queries', v['max-queries'], d.maxQueries, true),
      holdFraction: d.holdFraction,
      initScale: num('init-scale', v['init-scale'], d.initScale),
    };
    if (config.terms > 3) throw new Error(`--terms: the H 8 learner has room for 3 ink terms, got ${config.terms}`);
    state = initRuleEs(config);
  }
  const c = state.config;
  const command = `npm run evolve:rule -- --dataset ${c.dataset} --terms ${c.terms} --generations ${c.generations} --pairs ${c.pairs} --sigma ${c.sigma} --lr ${c.lr} --seed ${c.seed} --max-queries ${c.maxQueries} --init-scale ${c.initScale} --out ${out}`;
  console.log(`evolve:rule: ${c.terms} ink terms, OpenAI-ES ${c.pairs} pairs, sigma ${c.sigma}, lr ${c.lr}, ${c.generations} generations; fitness: ${c.dataset} TRAIN split, class-sorted learn stream, held-out queries`);
  const ds = await loadDataset(c.dataset);
  const set = buildRuleValidation(ds.train, CLASS_MEAN_RULE, { holdFraction: c.holdFraction, maxQueries: c.maxQueries });
  const metricsPath = join(out, 'metrics.jsonl');
  const writeOutputs = (): EvolvedRuleFile => {
    writeFileAtomic(statePath, stringifyState(state));
    writeFileSync(metricsPath, state.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const pts = (k: 'centre' | 'mean' | 'max') => state.history.map((r): [number, number] => [r.generation, 100 * r[k]]);
    writeFileSync(
      join(out, 'fitness.svg'),
      lineChartSvg({
        title: `ink-term ES on ${c.dataset} (train-split validation, ${set.queries} queries)`,
        xLabel: 'generation',
        yLabel: 'fitness x 100 (accuracy %)',
        series: [
          { name: 'centre', points: pts('centre') },
          { name: 'members (mean)', points: pts('mean'), dashed: true },
          { name: 'members (max)', points: pts('max'), dashed: true },
        ],
      }),
    );
    const file = evolvedRule(set, state, command);
    writeFileAtomic(join(out, 'rule.json'), JSON.stringify(file, null, 2) + '\n');
    return file;
  };
  let stop = false;
  process.on('SIGINT', () => {
    if (stop) process.exit(130);
    stop = true;
    console.log('\nstopping after this generation (Ctrl-C again to quit now)');
  });
  // Written after every generation; once more only when none ran (a resume rewrites rule.json for this --out).
  let f: EvolvedRuleFile | undefined;
  while (state.es.generation < c.generations && !stop) {
    state = await ruleEsGeneration(set, state);
    const r = state.history[state.history.length - 1];
    const left = c.generations - state.es.generation;
    console.log(
      `gen ${String(r.generation).padStart(3)}  centre ${(100 * r.centre).toFixed(2)}%  members mean ${(100 * r.mean).toFixed(2)}% max ${(100 * r.max).toFixed(2)}%  best ${(100 * state.best.accuracy).toFixed(2)}% (gen ${state.best.generation})  ${formatDuration(r.ms)}/gen  ETA ${formatDuration(left * r.ms)}`,
    );
    f = writeOutputs();
  }
  f ??= writeOutputs();
  console.log(`\nbest centre: generation ${state.best.generation}, validation accuracy ${(100 * f.provenance.validationAccuracy).toFixed(2)}% (cross-entropy ${f.provenance.validationCrossEntropy.toFixed(3)}, lambda ${f.rule.lambda.toFixed(1)})`);
  console.log(`wall ${formatDuration(state.elapsedMs)}; files in ${out}: state.json (--resume), metrics.jsonl, fitness.svg, rule.json`);
  console.log(`benchmark it: npm run bench:ordered -- --checkpoint rule:${join(out, 'rule.json')} --methods vsml:label=vsml-ink-es`);
}

main().catch((e) => {
  console.error(`evolve:rule: ${(e as Error).message}`);
  process.exit(1);
});
