/**
 * `npm run evolve:hidden -- [options]`: OpenAI-ES on the hidden-layer learner's meta-parameters
 * from the hand-designed k-means rule (src/meta/hidden-es.ts), on the TRAIN split only (the
 * validation split of src/bench/validation-split.ts), checkpointing every generation; `--resume`
 * continues a run. At the end the designed and the evolved meta-parameters are compared on one
 * fixed, longer validation episode. Writes DIR/state.json (atomic), metrics.jsonl, fitness.svg,
 * rule.json (deployable: `npm run bench:ordered -- --methods vsml-hidden:params=DIR/rule.json`)
 * and final.json (the comparison).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainValidationSplit } from '../bench/validation-split';
import { lineChartSvg } from '../chart/svg';
import { uploadImageSplit } from '../data/gpu-dataset';
import { loadDataset } from '../data/load-node';
import { acquireGpu } from '../gpu/acquire';
import { hiddenKMeansParams } from '../inner/rules/hidden-kmeans';
import {
  HIDDEN_ES_DEFAULTS,
  type HiddenEsConfig,
  type HiddenEsState,
  hiddenAccuracies,
  hiddenEsData,
  hiddenEsGeneration,
  hiddenRuleFile,
  initHiddenEs,
  parseHiddenEsState,
} from '../meta/hidden-es';
import { writeFileAtomic } from '../meta/node/io';
import { stringifyState } from '../meta/serialize';
import { openAiEs } from '../meta/strategies/openai-es';
import { PhiloxStream, RNG_DOMAIN } from '../rng/philox';
import { validateHiddenConfig } from '../spec/hidden-config';
import { UsageError, cliArgs, defineCommand } from './args';
import { runMain } from './common';
import { esOptions } from './es-options';
import { onInterrupt } from './interrupt';
import { formatDuration } from './progress';

const d = HIDDEN_ES_DEFAULTS;
const COMMAND = defineCommand({
  name: 'evolve:hidden',
  description: `Evolves the hidden-layer learner's meta-parameters with OpenAI-ES from the hand-designed k-means
rule, on the TRAIN split only (class-sorted streams from its first 5/6 per class, queries from the
last 1/6), checkpointing every generation; then compares designed and evolved on one fixed longer
validation episode. Writes DIR/state.json, metrics.jsonl, fitness.svg, rule.json and final.json.
Ctrl-C stops after the current generation; --resume continues.`,
  options: {
    dataset: { type: 'string', value: 'NAME', defaultText: d.dataset, description: 'the dataset (train split only)' },
    hidden: { type: 'string', value: 'H', defaultText: '100', description: 'hidden units of the evolved learner' },
    aggregation: { type: 'string', value: 'max|mean', defaultText: 'max', description: 'layer-2 aggregation' },
    ...esOptions(d),
    'per-class': {
      type: 'string',
      value: 'N',
      defaultText: String(d.perClass),
      description: 'stream examples per class per episode',
    },
    queries: {
      type: 'string',
      value: 'N',
      defaultText: String(d.queries),
      description: 'held-out queries per episode',
    },
    seed: { type: 'string', value: 'N', defaultText: String(d.seed), description: 'seed (noise, episodes, state)' },
    'final-per-class': {
      type: 'string',
      value: 'N',
      defaultText: '1000',
      description: 'stream examples per class of the final comparison (0: skip it)',
    },
    'final-queries': {
      type: 'string',
      value: 'N',
      defaultText: '2000',
      description: 'queries of the final comparison',
    },
    out: { type: 'string', value: 'DIR', defaultText: 'runs/hidden-es-<time>', description: 'output directory' },
    resume: { type: 'boolean', description: 'continue the run in --out (its state.json)' },
  },
});

async function main(): Promise<void> {
  const v = cliArgs(COMMAND, ({ values }) => values);
  const num = (name: string, s: string | undefined, def: number, int = false, min = 0): number => {
    if (s === undefined) return def;
    const x = Number(s);
    if (!Number.isFinite(x) || x < min || (int && !Number.isInteger(x)))
      throw new UsageError(`--${name}`, `expected ${int ? 'an integer' : 'a number'} >= ${min}, got '${s}'`);
    return x;
  };
  const out = v.out ?? `runs/hidden-es-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const statePath = join(out, 'state.json');
  let state: HiddenEsState;
  if (v.resume) {
    if (!existsSync(statePath)) throw new Error(`--resume: no ${statePath}`);
    state = parseHiddenEsState(readFileSync(statePath, 'utf8'), statePath);
    if (v.generations)
      state = { ...state, config: { ...state.config, generations: num('generations', v.generations, 0, true, 1) } };
  } else {
    if (existsSync(statePath)) throw new Error(`${statePath} exists: pass --resume to continue it, or another --out`);
    const learner = validateHiddenConfig({
      inputs: 784,
      hidden: num('hidden', v.hidden, 100, true, 1),
      classes: 10,
      aggregation: v.aggregation ?? 'max',
    });
    const config: HiddenEsConfig = {
      dataset: v.dataset ?? d.dataset,
      learner,
      seed: num('seed', v.seed, d.seed, true),
      generations: num('generations', v.generations, d.generations, true, 1),
      pairs: num('pairs', v.pairs, d.pairs, true, 1),
      sigma: num('sigma', v.sigma, d.sigma),
      lr: num('lr', v.lr, d.lr),
      perClass: num('per-class', v['per-class'], d.perClass, true, 1),
      queries: num('queries', v.queries, d.queries, true, 1),
    };
    state = initHiddenEs(config);
  }
  const finalPerClass = num('final-per-class', v['final-per-class'], 1000, true, 0);
  const finalQueries = num('final-queries', v['final-queries'], 2000, true, 1);
  const c = state.config;
  const command = `npm run evolve:hidden -- --dataset ${c.dataset} --hidden ${c.learner.hidden} --aggregation ${c.learner.aggregation} --generations ${c.generations} --pairs ${c.pairs} --sigma ${c.sigma} --lr ${c.lr} --per-class ${c.perClass} --queries ${c.queries} --seed ${c.seed} --out ${out}`;
  mkdirSync(out, { recursive: true });
  const ds = await loadDataset(c.dataset);
  const split = trainValidationSplit(ds.train);
  const gpu = await acquireGpu();
  try {
    console.log(
      `evolve:hidden: ${c.learner.inputs}-${c.learner.hidden}-${c.learner.classes} (${c.learner.aggregation}), OpenAI-ES ${c.pairs} pairs + centre, sigma ${c.sigma}, lr ${c.lr}, ${c.generations} generations; episodes: ${c.perClass}/class class-sorted from ${c.dataset} TRAIN (first 5/6 per class), ${c.queries} queries from the last 1/6; ${gpu.describe()}`,
    );
    const data = hiddenEsData(gpu, split, (g, s) => uploadImageSplit(g, s));
    const writeOutputs = () => {
      writeFileAtomic(statePath, stringifyState(state));
      writeFileSync(join(out, 'metrics.jsonl'), state.history.map((r) => JSON.stringify(r)).join('\n') + '\n');
      const pts = (k: 'centre' | 'mean' | 'max') =>
        state.history.map((r): [number, number] => [r.generation, 100 * r[k]]);
      writeFileSync(
        join(out, 'fitness.svg'),
        lineChartSvg({
          title: `hidden-layer ES on ${c.dataset} (train-split validation, ${c.perClass}/class, ${c.queries} queries)`,
          xLabel: 'generation',
          yLabel: 'query accuracy %',
          series: [
            { name: 'centre', points: pts('centre') },
            { name: 'members (mean)', points: pts('mean'), dashed: true },
            { name: 'members (max)', points: pts('max'), dashed: true },
          ],
        }),
      );
      writeFileAtomic(
        join(out, 'rule.json'),
        JSON.stringify(
          hiddenRuleFile(openAiEs.current(state.es), {
            command,
            generations: state.es.generation,
            note: 'the ES centre (mean) after the last generation; evolved on the TRAIN split only',
          }),
          null,
          2,
        ) + '\n',
      );
    };
    const interrupt = onInterrupt({ message: 'stopping after this generation (Ctrl-C again to quit now)' });
    let initialW: Float32Array | undefined;
    while (state.es.generation < c.generations && !interrupt.stopRequested) {
      const r0 = await hiddenEsGeneration(gpu, data, state, initialW);
      state = r0.state;
      initialW = r0.initialW;
      const r = state.history[state.history.length - 1];
      const left = c.generations - state.es.generation;
      console.log(
        `gen ${String(r.generation).padStart(3)}  centre ${(100 * r.centre).toFixed(2)}%  members mean ${(100 * r.mean).toFixed(2)}% max ${(100 * r.max).toFixed(2)}%  ${formatDuration(r.ms)}/gen  ETA ${formatDuration(left * r.ms)}`,
      );
      writeOutputs();
    }
    writeOutputs();
    if (finalPerClass > 0 && !interrupt.stopRequested) {
      // One fixed episode, not used by the search: the first finalPerClass stream examples of
      // every class (file order) and random held-out queries, designed vs evolved in one population.
      const learn = Uint32Array.from(data.byClass.flatMap((p) => Array.from(p.subarray(0, finalPerClass))));
      const rng = new PhiloxStream(c.seed, RNG_DOMAIN.taskSampling, 0xf1a1, 0x41dd);
      const queries = Uint32Array.from({ length: finalQueries }, () => rng.int(data.queries.count));
      const t0 = performance.now();
      const { accuracy } = await hiddenAccuracies(
        gpu,
        c.learner,
        data,
        [hiddenKMeansParams(), Float32Array.from(openAiEs.current(state.es))],
        { learn, queries },
        c.seed,
      );
      const final = {
        episode: `${finalPerClass}/class (first in file order) of the ${c.dataset} TRAIN stream part, ${finalQueries} random held-out queries`,
        designed: accuracy[0],
        evolved: accuracy[1],
        generations: state.es.generation,
        ms: performance.now() - t0,
      };
      writeFileAtomic(join(out, 'final.json'), JSON.stringify(final, null, 2) + '\n');
      console.log(
        `final check (${final.episode}): designed ${(100 * final.designed).toFixed(2)}%, evolved ${(100 * final.evolved).toFixed(2)}% (${formatDuration(final.ms)})`,
      );
    }
    console.log(`wall ${formatDuration(state.elapsedMs)} over ${state.es.generation} generations; files in ${out}`);
    console.log(`benchmark it: npm run bench:ordered -- --methods vsml-hidden:params=${join(out, 'rule.json')}`);
    data.stream.destroy();
    data.queries.destroy();
  } finally {
    gpu.destroy();
  }
}

runMain('evolve:hidden', main);
