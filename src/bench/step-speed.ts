/**
 * `npm run bench:step`: speed of the VSML inner loop. For a tiny and the default configuration it
 * runs a warm-up episode (compiles pipelines), then a timed one, and prints learner-example-steps
 * per second (learning and queries) and the achieved GFLOP/s from the analytic cost model, with
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
import { learnerSeeds } from '../inner/episodes';
import { VsmlPopulation } from '../inner/population';
import { type VsmlConfig, describeVsmlConfig, initMetaParams, metaParamLayout, validateVsmlConfig } from '../inner/vsml-config';

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
    const members = learners;
    const D = metaParamLayout(config).size;
    const params = new Float32Array(members * D);
    for (let m = 0; m < members; m++) params.set(initMetaParams(config, 1000 + m), m * D);
    const paramBuf = gpu.storage('bench params', params);
    const { stateSeeds, projectionSeeds } = learnerSeeds(7, learners);
    const batchFor = (learnLength: number, queryLength: number) => ({
      learnSplit: train,
      querySplit: test,
      learnLength,
      queryLength,
      learnIndices: Uint32Array.from({ length: learners * learnLength }, (_, i) => (i * 7919) % train.count),
      queryIndices: Uint32Array.from({ length: learners * queryLength }, (_, i) => (i * 104729) % test.count),
      stateSeeds,
      projectionSeeds,
    });
    const shape = (l: number, q: number) => ({ members, tasksPerMember: 1, learnLength: l, queryLength: q });
    // Warm-up: compiles every pipeline the timed runs use (the query batch size is part of the
    // query kernels, so the warm-up has as many queries as one batch).
    const t0 = performance.now();
    const warmQueries = Math.min(queries, 16);
    const warm = VsmlPopulation.create(gpu, config, shape(2, warmQueries), { weights });
    await warm.runEpisodes(paramBuf, batchFor(2, warmQueries));
    warm.destroy();
    const warmS = (performance.now() - t0) / 1000;

    const learnPop = VsmlPopulation.create(gpu, config, shape(steps, 0), { weights });
    let t = performance.now();
    await learnPop.runEpisodes(paramBuf, batchFor(steps, 0));
    const learnS = (performance.now() - t) / 1000;
    const queryPop = VsmlPopulation.create(gpu, config, shape(1, queries), { weights });
    if (queryPop.plan.queryBatch !== warm.plan.queryBatch) throw new Error('warm-up and timed query batch differ');
    t = performance.now();
    await queryPop.runEpisodes(paramBuf, batchFor(1, queries));
    const queryS = (performance.now() - t) / 1000;
    const cost = learnPop.cost;
    const learnRate = (learners * steps) / learnS;
    const queryRate = (learners * queries) / queryS;
    const result = {
      config: name,
      description: describeVsmlConfig(config),
      adapter: gpu.describe(),
      learners,
      steps,
      queries,
      plan: learnPop.describe(),
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
    const queryBatch = queryPop.plan.queryBatch;
    learnPop.destroy();
    queryPop.destroy();
    paramBuf.destroy();
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
