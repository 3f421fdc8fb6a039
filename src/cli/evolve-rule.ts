/**
 * `npm run evolve:rule -- [options]`: evolve the class-mean rule's ink terms with OpenAI-ES on the
 * TRAIN split (src/meta/rule-es.ts), checkpointing every generation; `--resume` continues a run.
 * Writes DIR/state.json (atomic), DIR/metrics.jsonl, DIR/fitness.svg and DIR/rule.json, the
 * deployable rule (`npm run bench:ordered -- --checkpoint rule:DIR/rule.json`).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from '../chart/svg';
import { loadDataset } from '../data/load-node';
import { CLASS_MEAN_RULE } from '../inner/rules/class-mean';
import { writeFileAtomic } from '../meta/node/io';
import {
  type EvolvedRuleFile,
  evolvedRule,
  initRuleEs,
  parseRuleEsState,
  RULE_ES_DEFAULTS,
  ruleEsGeneration,
  type RuleEsConfig,
  type RuleEsState,
} from '../meta/rule-es';
import { buildRuleValidation } from '../meta/rule-fit';
import { stringifyState } from '../meta/serialize';
import { UsageError, cliArgs, defineCommand } from './args';
import { runMain } from './common';
import { esOptions } from './es-options';
import { onInterrupt } from './interrupt';
import { formatDuration } from './progress';

const d = RULE_ES_DEFAULTS;
const COMMAND = defineCommand({
  name: 'evolve:rule',
  description: `Evolves the class-mean rule's ink terms with OpenAI-ES on the TRAIN split, checkpointing every
generation. Writes DIR/state.json, metrics.jsonl, fitness.svg and rule.json (the deployable rule:
npm run bench:ordered -- --checkpoint rule:DIR/rule.json). Ctrl-C stops after the current generation.`,
  options: {
    dataset: { type: 'string', value: 'NAME', defaultText: d.dataset, description: 'the dataset (train split only)' },
    terms: { type: 'string', value: 'N', defaultText: String(d.terms), description: 'ink terms (at most 3)' },
    ...esOptions(d),
    seed: { type: 'string', value: 'N', defaultText: String(d.seed), description: 'seed (initial terms, noise)' },
    'max-queries': {
      type: 'string',
      value: 'N',
      defaultText: String(d.maxQueries),
      description: 'held-out validation queries',
    },
    'init-scale': {
      type: 'string',
      value: 'X',
      defaultText: String(d.initScale),
      description: 'scale of the random initial terms',
    },
    out: { type: 'string', value: 'DIR', defaultText: 'runs/rule-es-<time>', description: 'output directory' },
    resume: { type: 'boolean', description: 'continue the run in --out (its state.json)' },
  },
});

async function main(): Promise<void> {
  const v = cliArgs(COMMAND, ({ values }) => values);
  const out = v.out ?? `runs/rule-es-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const statePath = join(out, 'state.json');
  const num = (name: string, s: string | undefined, d: number, int = false, min = 0) => {
    if (s === undefined) return d;
    const x = Number(s);
    if (!Number.isFinite(x) || x < min || (int && !Number.isInteger(x)))
      throw new UsageError(`--${name}`, `expected ${int ? 'an integer' : 'a number'} >= ${min}, got '${s}'`);
    return x;
  };
  let state: RuleEsState;
  if (v.resume) {
    if (!existsSync(statePath)) throw new Error(`--resume: no ${statePath}`);
    state = parseRuleEsState(readFileSync(statePath, 'utf8'), statePath);
    if (v.generations)
      state = { ...state, config: { ...state.config, generations: num('generations', v.generations, 0, true, 1) } };
  } else {
    if (existsSync(statePath)) throw new Error(`${statePath} exists: pass --resume to continue it, or another --out`);
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
  console.log(
    `evolve:rule: ${c.terms} ink terms, OpenAI-ES ${c.pairs} pairs, sigma ${c.sigma}, lr ${c.lr}, ${c.generations} generations; fitness: ${c.dataset} TRAIN split, class-sorted learn stream, held-out queries`,
  );
  const ds = await loadDataset(c.dataset);
  const set = buildRuleValidation(ds.train, CLASS_MEAN_RULE, {
    holdFraction: c.holdFraction,
    maxQueries: c.maxQueries,
  });
  const metricsPath = join(out, 'metrics.jsonl');
  const writeOutputs = (): EvolvedRuleFile => {
    writeFileAtomic(statePath, stringifyState(state));
    writeFileSync(metricsPath, state.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const pts = (k: 'centre' | 'mean' | 'max') =>
      state.history.map((r): [number, number] => [r.generation, 100 * r[k]]);
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
  const interrupt = onInterrupt({ message: 'stopping after this generation (Ctrl-C again to quit now)' });
  // Written after every generation; once more only when none ran (a resume rewrites rule.json for this --out).
  let f: EvolvedRuleFile | undefined;
  while (state.es.generation < c.generations && !interrupt.stopRequested) {
    state = await ruleEsGeneration(set, state);
    const r = state.history[state.history.length - 1];
    const left = c.generations - state.es.generation;
    console.log(
      `gen ${String(r.generation).padStart(3)}  centre ${(100 * r.centre).toFixed(2)}%  members mean ${(100 * r.mean).toFixed(2)}% max ${(100 * r.max).toFixed(2)}%  best ${(100 * state.best.accuracy).toFixed(2)}% (gen ${state.best.generation})  ${formatDuration(r.ms)}/gen  ETA ${formatDuration(left * r.ms)}`,
    );
    f = writeOutputs();
  }
  f ??= writeOutputs();
  console.log(
    `\nbest centre: generation ${state.best.generation}, validation accuracy ${(100 * f.provenance.validationAccuracy).toFixed(2)}% (cross-entropy ${f.provenance.validationCrossEntropy.toFixed(3)}, lambda ${f.rule.lambda.toFixed(1)})`,
  );
  console.log(
    `wall ${formatDuration(state.elapsedMs)}; files in ${out}: state.json (--resume), metrics.jsonl, fitness.svg, rule.json`,
  );
  console.log(
    `benchmark it: npm run bench:ordered -- --checkpoint rule:${join(out, 'rule.json')} --methods vsml:label=vsml-ink-es`,
  );
}

runMain('evolve:rule', main);
