/**
 * The TensorFlow.js peer in `npm run bench:speed`: its learning-step rate on the same device and
 * the same configuration as ours, and a short check that it, our kernels and the float64
 * reference compute the same learner (states, backward messages, cross-entropy sums).
 */
import type { ImageSplit } from '../../data/dataset';
import { uploadImageSplit } from '../../data/gpu-dataset';
import type { GpuContext } from '../../gpu/context';
import { learnerSeeds } from '../../inner/episodes';
import { VsmlPopulation } from '../../inner/population';
import { referenceEpisode } from '../../inner/reference';
import { type VsmlConfig, metaParamLayout } from '../../spec/vsml-config';
import { benchParams, median } from '../step-measure';
import { TfVsmlPopulation, useTfjsWebgpu } from './tfjs-vsml';

export interface PeerMeasurement {
  learners: number;
  steps: number;
  warmupSeconds: number;
  learnSeconds: number[];
  learnStepsPerSecond: number;
}

/** Example index of learner l at step s (the pattern bench:step uses). */
export const learnIndex = (l: number, s: number, steps: number, count: number) => ((l * steps + s) * 7919) % count;

/**
 * TensorFlow.js learning steps per second: one warm-up step (compiles its programs), one timed
 * calibration step, then `repeats` timed runs of as many steps (at most `maxSteps`, at least 1) as
 * fit in about `targetSeconds` each. TensorFlow.js pays a fixed cost per op, so a fixed step count
 * would make the small and the many-learner cases needlessly long on a software adapter.
 */
export async function measurePeer(
  gpu: GpuContext,
  config: VsmlConfig,
  split: ImageSplit,
  learners: number,
  maxSteps: number,
  repeats: number,
  targetSeconds: number,
): Promise<PeerMeasurement> {
  await useTfjsWebgpu(gpu);
  const { stateSeeds } = learnerSeeds(7, learners);
  const pop = new TfVsmlPopulation(
    config,
    learners,
    1,
    benchParams(config, learners),
    { images: split.images, labels: split.labels, pixels: config.inputSize },
    stateSeeds,
  );
  try {
    const idx = Array.from({ length: maxSteps }, (_, s) =>
      Int32Array.from({ length: learners }, (_, l) => learnIndex(l, s, maxSteps, split.count)),
    );
    let t = performance.now();
    pop.learn(idx[0]);
    await pop.sync();
    const warmupSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    pop.learn(idx[Math.min(1, maxSteps - 1)]);
    await pop.sync();
    const oneStep = (performance.now() - t) / 1000;
    const steps = Math.max(1, Math.min(maxSteps, Math.round(targetSeconds / oneStep)));
    const learnSeconds: number[] = [];
    for (let r = 0; r < repeats; r++) {
      t = performance.now();
      for (let s = 0; s < steps; s++) pop.learn(idx[s]);
      await pop.sync();
      learnSeconds.push((performance.now() - t) / 1000);
    }
    return {
      learners,
      steps,
      warmupSeconds,
      learnSeconds,
      learnStepsPerSecond: (learners * steps) / median(learnSeconds),
    };
  } finally {
    pop.dispose();
  }
}

/**
 * A peer outside this runtime (the Python one, src/bench/speed/python-peer.ts), given to
 * runSpeedBench by its caller so this module stays free of Node.
 */
export interface ExternalPeer {
  name: string;
  /** Its backend, for the report (e.g. 'numpy 2.4.6 + scipy-openblas 0.3.31.188.0, 2 threads'). */
  description: string;
  /** Learning steps per second, the protocol of measurePeer. */
  measure(
    config: VsmlConfig,
    split: ImageSplit,
    learners: number,
    maxSteps: number,
    repeats: number,
    targetSeconds: number,
  ): Promise<PeerMeasurement>;
  /** Its outputs against the float64 reference after a short episode. */
  check(config: VsmlConfig, split: ImageSplit): Promise<ExternalPeerCheck>;
}

export interface ExternalPeerCheck {
  learners: number;
  learnSteps: number;
  queries: number;
  /** Worst scaled error over states, backward messages and CE sums, against the reference. */
  vsReference: number;
  /** Where the worst error was. */
  where: string;
  referenceLearners: number;
}

/**
 * Worst scaled error a peer may show against the float64 reference in bench:speed's check (the
 * Python peer's run fails above it): the bound of tests/vsml-parity.test.ts and
 * tests/tfjs-peer.test.ts, for the same reason (f32 rounding, unit 6e-8, over < 40-term dot
 * products, through a non-expansive LSTM update, over tens of steps x <= 2 ticks; another
 * summation order changes the rounding, not its size).
 */
export const PEER_TOLERANCE = 2e-3;

export interface PeerCheck {
  learners: number;
  learnSteps: number;
  queries: number;
  /** Worst scaled error |x - y| / (|y| + 1e-3 max|y|) over states, backward messages and CE sums. */
  oursVsTfjs: number;
  oursVsReference: number;
  tfjsVsReference: number;
  /** Learners compared with the reference (the float64 reference is slow on big configurations). */
  referenceLearners: number;
}

export function scaledError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  const floor = 1e-3 * scale + 1e-30;
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / (Math.abs(want[i]) + floor);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** A short episode (learning, then queries) on ours, TensorFlow.js and the float64 reference. */
export async function checkPeer(
  gpu: GpuContext,
  config: VsmlConfig,
  split: ImageSplit,
  learners = 2,
  learnSteps = 4,
  queries = 2,
): Promise<PeerCheck> {
  await useTfjsWebgpu(gpu);
  const params = benchParams(config, learners);
  const D = metaParamLayout(config).size;
  const { stateSeeds } = learnerSeeds(11, learners);
  const learnIndices = Uint32Array.from({ length: learners * learnSteps }, (_, i) => (i * 7919) % split.count);
  const queryIndices = Uint32Array.from({ length: learners * queries }, (_, i) => (i * 104729 + 1) % split.count);
  const K = config.layers.length - 1;

  const gSplit = uploadImageSplit(gpu, split);
  const paramBuf = gpu.storage('check params', params);
  const pop = VsmlPopulation.create(gpu, config, {
    members: learners,
    tasksPerMember: 1,
    learnLength: learnSteps,
    queryLength: queries,
  });
  let ours;
  const oursState: { h: Float32Array; c: Float32Array; b: Float32Array }[] = [];
  try {
    ours = await pop.runEpisodes(paramBuf, {
      learnSplit: gSplit,
      querySplit: gSplit,
      learnLength: learnSteps,
      queryLength: queries,
      learnIndices,
      queryIndices,
      stateSeeds,
    });
    for (let k = 0; k < K; k++) oursState.push({ ...(await pop.readState(k)), b: await pop.readBackward(k) });
  } finally {
    pop.destroy();
    paramBuf.destroy();
    gSplit.destroy();
  }

  const peer = new TfVsmlPopulation(
    config,
    learners,
    1,
    params,
    { images: split.images, labels: split.labels, pixels: config.inputSize },
    stateSeeds,
  );
  const tfState: { h: Float32Array; c: Float32Array; b: Float32Array }[] = [];
  let tm;
  try {
    const at = (idx: Uint32Array, len: number, s: number) =>
      Int32Array.from({ length: learners }, (_, l) => idx[l * len + s]);
    for (let s = 0; s < learnSteps; s++) peer.learn(at(learnIndices, learnSteps, s));
    for (let s = 0; s < queries; s++) peer.query(at(queryIndices, queries, s));
    tm = await peer.readMetrics();
    for (let k = 0; k < K; k++) tfState.push({ ...(await peer.readState(k)), b: await peer.readBackward(k) });
  } finally {
    peer.dispose();
  }

  let oursVsTfjs = 0;
  for (let k = 0; k < K; k++)
    for (const key of ['h', 'c', 'b'] as const)
      oursVsTfjs = Math.max(oursVsTfjs, scaledError(oursState[k][key], tfState[k][key]));
  for (let l = 0; l < learners; l++) {
    oursVsTfjs = Math.max(
      oursVsTfjs,
      scaledError(
        [ours.onlineCrossEntropy[l], ours.queryCrossEntropy[l]],
        [tm.onlineCrossEntropy[l], tm.queryCrossEntropy[l]],
      ),
    );
  }
  // The reference for the first learner only: float64 JavaScript is slow on the 784 -> 10 cell.
  const referenceLearners = 1;
  let oursVsReference = 0;
  let tfjsVsReference = 0;
  for (let l = 0; l < referenceLearners; l++) {
    const r = referenceEpisode(
      config,
      params.subarray(l * D, (l + 1) * D),
      { learnImages: split.images, learnLabels: split.labels, queryImages: split.images, queryLabels: split.labels },
      learnIndices.subarray(l * learnSteps, (l + 1) * learnSteps),
      queryIndices.subarray(l * queries, (l + 1) * queries),
      { stateSeed: stateSeeds[l] },
    );
    for (let k = 0; k < K; k++) {
      const per = r.learner.h[k].length;
      const nb = r.learner.bwd[k].length;
      const parts: [Float32Array, Float32Array, Float64Array][] = [
        [
          oursState[k].h.subarray(l * per, (l + 1) * per),
          tfState[k].h.subarray(l * per, (l + 1) * per),
          r.learner.h[k],
        ],
        [
          oursState[k].c.subarray(l * per, (l + 1) * per),
          tfState[k].c.subarray(l * per, (l + 1) * per),
          r.learner.c[k],
        ],
        [oursState[k].b.subarray(l * nb, (l + 1) * nb), tfState[k].b.subarray(l * nb, (l + 1) * nb), r.learner.bwd[k]],
      ];
      for (const [o, t, ref] of parts) {
        oursVsReference = Math.max(oursVsReference, scaledError(o, ref));
        tfjsVsReference = Math.max(tfjsVsReference, scaledError(t, ref));
      }
    }
    const refCe = [r.onlineCrossEntropy, r.queryCrossEntropy];
    oursVsReference = Math.max(
      oursVsReference,
      scaledError([ours.onlineCrossEntropy[l], ours.queryCrossEntropy[l]], refCe),
    );
    tfjsVsReference = Math.max(
      tfjsVsReference,
      scaledError([tm.onlineCrossEntropy[l], tm.queryCrossEntropy[l]], refCe),
    );
  }
  return { learners, learnSteps, queries, oursVsTfjs, oursVsReference, tfjsVsReference, referenceLearners };
}
