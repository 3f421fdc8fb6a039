/**
 * VsmlPopulation under artificially lowered device limits (8 KiB bindings and buffers, 2
 * workgroups per grid dimension): learners split into groups, states into slabs, the dataset
 * into pieces, query batches shrunk, dispatch grids made 2-D, runs chunked into many submissions.
 * Results must still match the float64 reference (tolerance as in vsml-parity.test.ts), be
 * bit-identical across runs with the same seeds, and report progress up to the total.
 * The full-protocol path (evaluateOrdered) runs here too, on a small class-sorted stream.
 */
import { describe, expect, it } from 'vitest';
import { classSortedOrder } from '../src/data/dataset';
import { evaluateOrdered, learnerSeeds } from '../src/inner/episodes';
import { type EpisodeBatch, type EpisodeMetrics, VsmlPopulation } from '../src/inner/population';
import { referenceEpisode } from '../src/inner/reference';
import { type VsmlConfig, initMetaParams, metaParamLayout, validateVsmlConfig } from '../src/spec/vsml-config';
import { useGpu, useMnistSubset } from './helpers/gpu';
import { testSeed } from './helpers/seed';
import { scaledError } from '../src/bench/speed/peer';

const LIMIT = 8192;
const gpu = useGpu({
  limits: { maxStorageBufferBindingSize: LIMIT, maxBufferSize: LIMIT, maxComputeWorkgroupsPerDimension: 2 },
});
const seed = testSeed(0x5eed0008); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const TOL = 2e-3; // see vsml-parity.test.ts

const mnist = useMnistSubset(gpu, 60, 30);

const members = 3;
const tasks = 2;
const L = members * tasks;
const learnLength = 10;
const queryLength = 5;

function setup(cfg: VsmlConfig) {
  const D = metaParamLayout(cfg).size;
  const params = new Float32Array(members * D);
  for (let m = 0; m < members; m++)
    params.set(
      initMetaParams(cfg, seed + m).map((v) => v * 2),
      m * D,
    );
  const order = classSortedOrder(mnist.train.labels);
  const learnIndices = new Uint32Array(L * learnLength);
  for (let l = 0; l < L; l++)
    for (let t = 0; t < learnLength; t++) learnIndices[l * learnLength + t] = order[(l * 7 + t * 3) % 60];
  const queryIndices = Uint32Array.from({ length: L * queryLength }, (_, i) => (i * 11 + seed) % 30);
  const { stateSeeds, projectionSeeds } = learnerSeeds(seed, L);
  const batch: EpisodeBatch = {
    learnSplit: mnist.gTrain,
    querySplit: mnist.gTest,
    learnLength,
    queryLength,
    learnIndices,
    queryIndices,
    stateSeeds,
    projectionSeeds,
  };
  return { D, params, batch };
}

async function runOnce(cfg: VsmlConfig, params: Float32Array, batch: EpisodeBatch, progress?: [number, number][]) {
  const g = gpu();
  const pop = VsmlPopulation.create(
    g,
    cfg,
    { members, tasksPerMember: tasks, learnLength, queryLength },
    { poison: true, stepsPerSubmit: 3 },
  );
  const paramBuf = g.storage('params', params);
  try {
    const m = await pop.runEpisodes(paramBuf, batch, {
      wantPredictions: true,
      onProgress: (d, t) => progress?.push([d, t]),
    });
    const states = [];
    for (let k = 0; k < cfg.layers.length - 1; k++) states.push(await pop.readState(k));
    return { m, states, groups: pop.groupCount, plan: pop.plan, queryBatch: pop.plan.queryBatch };
  } finally {
    pop.destroy();
    paramBuf.destroy();
  }
}

function checkReference(
  cfg: VsmlConfig,
  params: Float32Array,
  D: number,
  batch: EpisodeBatch,
  m: EpisodeMetrics,
  states: { h: Float32Array; c: Float32Array }[],
) {
  for (let l = 0; l < L; l++) {
    const member = Math.floor(l / tasks);
    const r = referenceEpisode(
      cfg,
      params.subarray(member * D, (member + 1) * D),
      {
        learnImages: mnist.train.images,
        learnLabels: mnist.train.labels,
        queryImages: mnist.test.images,
        queryLabels: mnist.test.labels,
      },
      batch.learnIndices.subarray(l * learnLength, (l + 1) * learnLength),
      batch.queryIndices.subarray(l * queryLength, (l + 1) * queryLength),
      { stateSeed: batch.stateSeeds[l], projectionSeed: batch.projectionSeeds![l] },
    );
    states.forEach((s, k) => {
      const per = r.learner.h[k].length;
      expect(
        scaledError(s.h.subarray(l * per, (l + 1) * per), r.learner.h[k]),
        `learner ${l} layer ${k} h`,
      ).toBeLessThan(TOL);
      expect(
        scaledError(s.c.subarray(l * per, (l + 1) * per), r.learner.c[k]),
        `learner ${l} layer ${k} c`,
      ).toBeLessThan(TOL);
    });
    expect(Math.abs(m.onlineCrossEntropy[l] - r.onlineCrossEntropy) / r.onlineCrossEntropy).toBeLessThan(TOL);
    expect(Math.abs(m.queryCrossEntropy[l] - r.queryCrossEntropy) / r.queryCrossEntropy).toBeLessThan(TOL);
    expect(Math.abs(m.onlineCorrect[l] - r.onlineCorrect)).toBeLessThanOrEqual(r.nearTies);
    expect([...m.queryPredictions!.subarray(l * queryLength, (l + 1) * queryLength)]).toEqual([...r.queryPredictions]);
  }
}

describe(`VSML under lowered limits (${LIMIT} B bindings, 2 workgroups per dimension; seed ${seed})`, () => {
  it('splits everything and still matches the reference; same seeds give identical bits; progress reaches the total', async () => {
    expect(mnist.gTrain.pieces.length).toBeGreaterThan(1);
    for (const cfg of [
      validateVsmlConfig({ projection: true, layers: [40, 10], hidden: 4, message: 2, labelFeeding: true }),
      validateVsmlConfig({
        projection: true,
        layers: [40, 12, 10],
        hidden: 4,
        message: 2,
        cell: { kind: 'lstm-lowrank', rank: 3 },
      }),
    ]) {
      const { D, params, batch } = setup(cfg);
      const progress: [number, number][] = [];
      const a = await runOnce(cfg, params, batch, progress);
      expect(a.groups).toBeGreaterThan(1);
      expect(a.plan.groups.some((g) => g.slabs[0].length > 1)).toBe(true);
      expect(a.queryBatch).toBeLessThan(16);
      checkReference(cfg, params, D, batch, a.m, a.states);
      // Progress: several submissions, monotone, ending at learn + query steps.
      expect(progress.length).toBeGreaterThan(2);
      for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThan(progress[i - 1][0]);
      expect(progress[progress.length - 1]).toEqual([learnLength + queryLength, learnLength + queryLength]);
      // Determinism: a fresh population with the same seeds reproduces every bit.
      const b = await runOnce(cfg, params, batch);
      expect(b.m).toEqual(a.m);
      a.states.forEach((s, k) => {
        expect(b.states[k].h).toEqual(s.h);
        expect(b.states[k].c).toEqual(s.c);
      });
    }
  });

  it('full protocol path (evaluateOrdered): a class-sorted stream, then every test image, matches the reference', async () => {
    const cfg = validateVsmlConfig({ projection: true, layers: [24, 10], hidden: 4, message: 2 });
    const params = initMetaParams(cfg, seed).map((v) => v * 2);
    const progress: number[] = [];
    const r = await evaluateOrdered(
      gpu(),
      cfg,
      params,
      { train: mnist.train, test: mnist.test },
      { stateSeed: 7, projectionSeed: 9, onProgress: (d) => progress.push(d), population: { stepsPerSubmit: 16 } },
    );
    const ref = referenceEpisode(
      cfg,
      params,
      {
        learnImages: mnist.train.images,
        learnLabels: mnist.train.labels,
        queryImages: mnist.test.images,
        queryLabels: mnist.test.labels,
      },
      classSortedOrder(mnist.train.labels),
      Uint32Array.from({ length: 30 }, (_, i) => i),
      { stateSeed: 7, projectionSeed: 9 },
    );
    expect(r.learnCount).toBe(60);
    expect(r.testCount).toBe(30);
    expect([...r.predictions]).toEqual([...ref.queryPredictions]);
    expect(r.queryCorrect).toBe(ref.queryCorrect);
    expect(progress[progress.length - 1]).toBe(90);
    expect(r.flops).toBeGreaterThan(0);
  });
});
