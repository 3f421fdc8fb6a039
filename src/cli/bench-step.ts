/**
 * `npm run bench:step`: speed of the VSML inner loop. For a tiny and the default configuration it
 * runs a warm-up episode (compiles pipelines), then a timed one, and prints learner-example-steps
 * per second (learning and queries; whole episodes, initial state included: bench:speed gives the
 * marginal step rate) and the achieved GFLOP/s from the analytic cost model, with
 * the adapter named.
 * Options: `npm run bench:step -- --help`.
 */
import { acquireGpu } from '../gpu/acquire';
import { type VsmlConfig, describeVsmlConfig, validateVsmlConfig } from '../spec/vsml-config';
import { measureStepSpeed } from '../bench/step-measure';
import { CELL_MAPPINGS, type CellMapping } from '../meta/cell-mapping';
import { UsageError, cliArgs, defineCommand, optInt } from './args';
import { mnistOnGpu } from './common';

const COMMAND = defineCommand({
  name: 'bench:step',
  description: `Speed of the VSML inner loop: for a tiny and the default configuration, a warm-up episode, then a
timed one; prints learner-example-steps per second and the achieved GFLOP/s (cost model).
Defaults are sized for SwiftShader (about a minute); on a GPU raise --learners and --steps.`,
  options: {
    only: { type: 'string', choices: ['tiny', 'default'], description: 'run one configuration only' },
    learners: { type: 'string', value: 'N', description: 'learners of both configurations' },
    'tiny-learners': {
      type: 'string',
      value: 'N',
      defaultText: '--learners, else 16 software / 1024 hardware',
      description: 'learners of the tiny configuration',
    },
    'default-learners': {
      type: 'string',
      value: 'N',
      defaultText: '--learners, else 1 software / 256 hardware',
      description: 'learners of the default configuration',
    },
    steps: {
      type: 'string',
      value: 'N',
      defaultText: '20 software, 200 hardware',
      description: 'learning steps per learner',
    },
    queries: {
      type: 'string',
      value: 'N',
      defaultText: '32 software, 256 hardware',
      description: 'queries per learner',
    },
    weights: {
      type: 'string',
      choices: ['auto', 'workgroup', 'private', 'storage'],
      default: 'auto',
      description: "the cell's weight path",
    },
    mapping: {
      type: 'string',
      choices: [...CELL_MAPPINGS],
      default: 'auto',
      description:
        "the private-weights input layer's mapping: the planner's (rows on lavapipe, else columns), rows or columns",
    },
    'weight-loop': {
      type: 'string',
      choices: ['auto', 'on', 'off'],
      default: 'auto',
      description:
        "column mapping: copy the cell's weights into its private array by a loop (on) or one statement per vec4 (off); auto: on for H >= 16 on lavapipe",
    },
    'cell-block': {
      type: 'string',
      value: 'N',
      defaultText: '2 on lavapipe, else 1',
      description: 'column mapping, learning steps of the full cell: cells each thread steps side by side (1-4)',
    },
    json: { type: 'boolean', description: 'one JSON line per configuration' },
  },
});

const v = cliArgs(COMMAND, ({ values }) => {
  const num = (name: 'learners' | 'tiny-learners' | 'default-learners' | 'steps' | 'queries' | 'cell-block') =>
    optInt(`--${name}`, values[name], 0);
  const cellBlock = num('cell-block');
  if (cellBlock !== undefined && (cellBlock < 1 || cellBlock > 4))
    throw new UsageError('--cell-block', `must be 1 to 4, got ${cellBlock}`);
  return {
    ...values,
    learners: num('learners'),
    tinyLearners: num('tiny-learners'),
    defaultLearners: num('default-learners'),
    steps: num('steps'),
    queries: num('queries'),
    cellBlock,
  };
});
const gpu = await acquireGpu();
const soft = gpu.report.isFallback;
const json = v.json;
const weights = v.weights as 'auto' | 'workgroup' | 'private' | 'storage';
const mapping = v.mapping as CellMapping;
const weightLoop = v['weight-loop'] === 'auto' ? undefined : v['weight-loop'] === 'on';
const steps = v.steps ?? (soft ? 20 : 200);
const queries = v.queries ?? (soft ? 32 : 256);

const configs: { name: string; config: VsmlConfig; learners: number }[] = [
  {
    name: 'tiny',
    config: validateVsmlConfig({ projection: true, layers: [32, 10], hidden: 8, message: 4 }),
    learners: v.tinyLearners ?? v.learners ?? (soft ? 16 : 1024),
  },
  { name: 'default', config: validateVsmlConfig({}), learners: v.defaultLearners ?? v.learners ?? (soft ? 1 : 256) },
].filter((c) => !v.only || v.only === c.name);

const { train, test } = await mnistOnGpu(gpu, 10000, 2000);
if (!json) console.log(`adapter: ${gpu.describe()}`);

try {
  for (const { name, config, learners } of configs) {
    const r = await measureStepSpeed(gpu, config, {
      learners,
      steps,
      queries,
      weights,
      mapping,
      weightLoop,
      cellBlock: v.cellBlock,
      train,
      test,
    });
    const [warmS, learnS, queryS] = [r.warmupSeconds, r.learnSeconds[0], r.querySeconds[0]];
    const warmQueries = r.warmupQueries;
    const cost = r.cost;
    const learnRate = (learners * steps) / learnS;
    const queryRate = (learners * queries) / queryS;
    const result = {
      config: name,
      description: describeVsmlConfig(config),
      adapter: gpu.describe(),
      learners,
      steps,
      queries,
      plan: r.plan,
      warmupSeconds: warmS,
      learnStepsPerSecond: learnRate,
      learnGflops: (learnRate * cost.flopsPerLearnExample) / 1e9,
      queryStepsPerSecond: queryRate,
      queryGflops: (queryRate * cost.flopsPerQueryExample) / 1e9,
      flopsPerLearnExample: cost.flopsPerLearnExample,
      flopsPerQueryExample: cost.flopsPerQueryExample,
      stateBytes: cost.stateBytes,
      metaParamBytes: cost.metaParamBytes,
    };
    const queryBatch = r.queryBatch;
    if (json) console.log(JSON.stringify({ ...result, queryBatch }));
    else {
      console.log(`\n${name}: ${result.description}, ${learners} learner(s)`);
      console.log(`  plan: ${result.plan}; queries in batches of ${queryBatch}`);
      console.log(
        `  cost: ${(cost.flopsPerLearnExample / 1e6).toFixed(3)} MFLOP/learn example, ${(cost.flopsPerQueryExample / 1e6).toFixed(3)} MFLOP/query, state ${(cost.stateBytes / 1024).toFixed(1)} KiB, meta-params ${cost.metaParamBytes} B`,
      );
      console.log(`  warm-up (pipeline compilation, 2 steps + ${warmQueries} queries): ${warmS.toFixed(1)} s`);
      console.log(
        `  learn: ${steps} steps x ${learners} learners in ${learnS.toFixed(2)} s = ${learnRate.toFixed(1)} learner-steps/s, ${result.learnGflops.toFixed(3)} GFLOP/s`,
      );
      console.log(
        `  query: ${queries} queries x ${learners} learners in ${queryS.toFixed(2)} s = ${queryRate.toFixed(1)} learner-queries/s, ${result.queryGflops.toFixed(3)} GFLOP/s`,
      );
    }
  }
} finally {
  train.destroy();
  test.destroy();
  gpu.destroy();
}
