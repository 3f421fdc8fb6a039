/**
 * `npm run bench:profile`: where one episode of a preset's population spends its time, kernel by
 * kernel. Builds the population a generation of `--preset` runs (default `ordered`: 33 members x 2
 * tasks; members = 2 x pairs + 1 for the ES presets), runs a warm-up episode (compilation), then
 * `--repeats` profiled episodes (VsmlPopulation RunOptions.onKernelTime): init, and each dispatch of
 * the first learning step and of the first query batch in its own submission, wall clock from
 * submit to completion; medians over the repeats. Also the median of unprofiled episodes.
 *
 * Inputs: MNIST train (learning) and test (queries), the preset's input size (64 inputs: the
 * evenly spread pixel grid of bench:speed). Query batches are full (queries = 7 x batch).
 * Options: `npm run bench:profile -- --help`.
 */
import { acquireGpu } from '../gpu/acquire';
import { VsmlPopulation } from '../inner/population';
import type { PopulationOptions } from '../inner/population-plan';
import { describeVsmlConfig, validateVsmlConfig } from '../spec/vsml-config';
import { PRESETS, presetConfig } from '../meta/train-config';
import { splitFor } from '../bench/speed/configs';
import { benchBatch, benchParams, median } from '../bench/step-measure';
import { UsageError, cliArgs, defineCommand, optInt } from './args';
import { mnistOnGpu } from './common';

const COMMAND = defineCommand({
  name: 'bench:profile',
  description: `Where one episode of a preset's population spends its time, kernel by kernel: a warm-up episode,
then --repeats profiled episodes (each dispatch of the first learning step and query batch in its
own submission; medians), and the median of unprofiled episodes.`,
  options: {
    preset: {
      type: 'string',
      value: 'NAME',
      choices: Object.keys(PRESETS),
      default: 'ordered',
      description: 'the training preset whose generation is profiled',
    },
    config: {
      type: 'string',
      value: 'JSON',
      description: `a learner config instead of the preset's, e.g. '{"projection":true,"layers":[32,10],"hidden":8,"message":4}'`,
    },
    members: { type: 'string', value: 'N', defaultText: "the preset's population", description: 'population members' },
    tasks: {
      type: 'string',
      value: 'N',
      defaultText: "the preset's tasks per member",
      description: 'tasks per member',
    },
    learn: {
      type: 'string',
      value: 'N',
      defaultText: "the preset's learn length",
      description: 'learning steps per episode',
    },
    repeats: { type: 'string', value: 'N', default: '3', description: 'profiled and unprofiled episodes' },
    weights: {
      type: 'string',
      choices: ['auto', 'workgroup', 'private', 'storage'],
      default: 'auto',
      description: "the cell's weight path (auto: the planner's choice for the adapter)",
    },
    mapping: {
      type: 'string',
      choices: ['auto', 'rows', 'rows-reuse', 'columns'],
      default: 'auto',
      description:
        "the private path's input-layer mapping; rows-reuse: rows whose query batches reuse each cell's first tick (auto: the planner's choice for the adapter)",
    },
  },
});

const args = cliArgs(COMMAND, ({ values: v }) => {
  let learner: unknown;
  if (v.config !== undefined) {
    try {
      learner = JSON.parse(v.config);
    } catch (e) {
      throw new UsageError('--config', `not valid JSON: ${(e as Error).message}`);
    }
  }
  return {
    preset: v.preset,
    learner,
    members: optInt('--members', v.members, 1),
    tasks: optInt('--tasks', v.tasks, 1),
    learn: optInt('--learn', v.learn, 1),
    repeats: optInt('--repeats', v.repeats, 1)!,
    weights: v.weights as PopulationOptions['weights'],
    columns: v.mapping === 'auto' ? undefined : v.mapping === 'columns',
    rowReuse: v.mapping === 'auto' ? undefined : v.mapping === 'rows-reuse',
  };
});
const preset = presetConfig(args.preset);
const config = args.learner !== undefined ? validateVsmlConfig(args.learner) : preset.learner;
const s = preset.strategy as { kind: string; pairs?: number; population?: number };
const members = args.members ?? (s.pairs ? 2 * s.pairs + 1 : (s.population ?? 33));
const tasks = args.tasks ?? preset.tasks.tasksPerMember;
const learnLength = args.learn ?? preset.tasks.learnLength;
const repeats = args.repeats;
const gpu = await acquireGpu();
const { train, test } = await mnistOnGpu(gpu, 5000, 2000, (split) => splitFor(config, split));
const L = members * tasks;
// Full query batches: plan with the preset's query length, then use 7 of its batches.
const probe = VsmlPopulation.create(
  gpu,
  config,
  {
    members,
    tasksPerMember: tasks,
    learnLength,
    queryLength: preset.tasks.queryLength,
  },
  { weights: args.weights, columns: args.columns, rowReuse: args.rowReuse },
);
const queryLength = 7 * probe.plan.queryBatch;
probe.destroy();
const pop = VsmlPopulation.create(
  gpu,
  config,
  { members, tasksPerMember: tasks, learnLength, queryLength },
  { weights: args.weights, columns: args.columns, rowReuse: args.rowReuse },
);
const params = gpu.storage('profile params', benchParams(config, members));
const batch = benchBatch(train, test, L, learnLength, queryLength);
console.log(`adapter: ${gpu.describe()}`);
console.log(
  `${describeVsmlConfig(config)}; ${pop.describe()}; ${learnLength} learning steps + ${queryLength} queries per episode`,
);
let t = performance.now();
await pop.runEpisodes(params, batch);
console.log(`warm-up episode (compiles): ${(performance.now() - t).toFixed(0)} ms`);
const times = new Map<string, number[]>();
for (let r = 0; r < repeats; r++) {
  await pop.runEpisodes(params, batch, {
    onKernelTime: (phase, label, ms) => {
      const key = `${phase === 'init' ? 'init' : phase === 'learn' ? 'learning step' : 'query batch'}|${label}`;
      times.set(key, [...(times.get(key) ?? []), ms]);
    },
  });
}
const plain: number[] = [];
for (let r = 0; r < repeats; r++) {
  t = performance.now();
  await pop.runEpisodes(params, batch);
  plain.push(performance.now() - t);
}
const sums = new Map<string, number>();
console.log(`\nmedian ms over ${repeats} profiled episodes (one dispatch per submission):`);
for (const [key, ms] of times) {
  const [what, label] = key.split('|');
  const m = median(ms);
  sums.set(what, (sums.get(what) ?? 0) + m);
  console.log(`  ${what.padEnd(14)} ${label.padEnd(44)} ${m.toFixed(2).padStart(9)}`);
}
for (const [what, ms] of sums) console.log(`  ${what.padEnd(14)} ${'(sum)'.padEnd(44)} ${ms.toFixed(2).padStart(9)}`);
const perQuery = probe.plan.queryBatch;
console.log(
  `\nunprofiled episode: ${median(plain).toFixed(0)} ms median (runs ${plain.map((x) => x.toFixed(0)).join(' ')}); ` +
    `sum estimate: init + ${learnLength} x step + ${queryLength / perQuery} x batch = ` +
    `${((sums.get('init') ?? 0) + learnLength * (sums.get('learning step') ?? 0) + (queryLength / perQuery) * (sums.get('query batch') ?? 0)).toFixed(0)} ms`,
);
pop.destroy();
process.exit(0);
