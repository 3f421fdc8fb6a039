/**
 * `npm run bench:step`: speed of the VSML inner loop. For a tiny and the default configuration it
 * runs a warm-up episode (compiles pipelines), then a timed one, and prints learner-example-steps
 * per second (learning and queries; whole episodes, initial state included: bench:speed gives the
 * marginal step rate) and the achieved GFLOP/s from the analytic cost model, with
 * the adapter named.
 *
 * Flags: --only tiny|default   --learners N (both configs) --tiny-learners N --default-learners N
 *        --steps N (learning steps per learner)  --queries N  --weights auto|workgroup|private|storage
 *        --json (one JSON line per configuration)
 * Defaults are sized for SwiftShader (about a minute); on a GPU raise --learners and --steps.
 */
import { subsetSplit } from '../data/dataset';
import { uploadImageSplit } from '../data/gpu-dataset';
import { loadDataset } from '../data/load-node';
import { acquireGpu } from '../gpu/acquire';
import { type VsmlConfig, describeVsmlConfig, validateVsmlConfig } from '../spec/vsml-config';
import { measureStepSpeed } from '../bench/step-measure';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const num = (name: string, dflt: number) => {
  const v = flag(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return n;
};

const gpu = await acquireGpu();
const soft = gpu.report.isFallback;
const json = process.argv.includes('--json');
const weights = (flag('weights') ?? 'auto') as 'auto' | 'workgroup' | 'private' | 'storage';
const steps = num('steps', soft ? 20 : 200);
const queries = num('queries', soft ? 32 : 256);

const configs: { name: string; config: VsmlConfig; learners: number }[] = [
  {
    name: 'tiny',
    config: validateVsmlConfig({ projection: true, layers: [32, 10], hidden: 8, message: 4 }),
    learners: num('tiny-learners', num('learners', soft ? 16 : 1024)),
  },
  { name: 'default', config: validateVsmlConfig({}), learners: num('default-learners', num('learners', soft ? 1 : 256)) },
].filter((c) => !flag('only') || flag('only') === c.name);

const ds = await loadDataset('mnist');
const train = uploadImageSplit(gpu, subsetSplit(ds.train, 10000));
const test = uploadImageSplit(gpu, subsetSplit(ds.test, 2000));
if (!json) console.log(`adapter: ${gpu.describe()}`);

try {
  for (const { name, config, learners } of configs) {
    const r = await measureStepSpeed(gpu, config, { learners, steps, queries, weights, train, test });
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
      console.log(`  cost: ${(cost.flopsPerLearnExample / 1e6).toFixed(3)} MFLOP/learn example, ${(cost.flopsPerQueryExample / 1e6).toFixed(3)} MFLOP/query, state ${(cost.stateBytes / 1024).toFixed(1)} KiB, meta-params ${cost.metaParamBytes} B`);
      console.log(`  warm-up (pipeline compilation, 2 steps + ${warmQueries} queries): ${warmS.toFixed(1)} s`);
      console.log(`  learn: ${steps} steps x ${learners} learners in ${learnS.toFixed(2)} s = ${learnRate.toFixed(1)} learner-steps/s, ${result.learnGflops.toFixed(3)} GFLOP/s`);
      console.log(`  query: ${queries} queries x ${learners} learners in ${queryS.toFixed(2)} s = ${queryRate.toFixed(1)} learner-queries/s, ${result.queryGflops.toFixed(3)} GFLOP/s`);
    }
  }
} finally {
  train.destroy();
  test.destroy();
  gpu.destroy();
}
