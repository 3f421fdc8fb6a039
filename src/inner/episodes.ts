/**
 * Episode helpers over VsmlPopulation: the full OrderedMNIST protocol for one learner (60,000
 * class-sorted learning examples, then the test split as queries, streamed in submissions sized
 * from the cost model), class-incremental task streams, and a pooled small-image split for tests
 * and tiny configurations.
 */
import { type ImageSplit, pixelsPerImage } from '../data/dataset';
import { orderedIndices } from '../data/ordered-stream';
import { type GpuImageSplit, uploadImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { PhiloxStream, RNG_DOMAIN } from '../rng/philox';
import { vsmlCost } from '../spec/cost-model';
import { type EpisodeBatch, type EpisodeMetrics, type PopulationOptions, VsmlPopulation } from './population';
import { type VsmlConfig, metaParamLayout, validateVsmlConfig } from '../spec/vsml-config';

/** Average-pool every image by k x k (rows and cols must be multiples of k): 28x28 -> 7x7 for k = 4. */
export function poolSplit(split: ImageSplit, k: number): ImageSplit {
  if (split.rows % k || split.cols % k)
    throw new Error(`poolSplit: ${split.rows}x${split.cols} is not a multiple of ${k}`);
  const rows = split.rows / k;
  const cols = split.cols / k;
  const px = pixelsPerImage(split);
  const images = new Uint8Array(split.count * rows * cols);
  for (let i = 0; i < split.count; i++) {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        let s = 0;
        for (let dr = 0; dr < k; dr++)
          for (let dc = 0; dc < k; dc++) s += split.images[i * px + (r * k + dr) * split.cols + c * k + dc];
        images[(i * rows + r) * cols + c] = Math.round(s / (k * k));
      }
    }
  }
  return { ...split, name: `${split.name}/pool${k}`, rows, cols, images };
}

/**
 * A class-incremental stream: `classes` in the given order, `perClass` examples each (file order
 * within a class, starting at `offset`), concatenated: the OrderedMNIST pattern in miniature.
 */
export function classStream(split: ImageSplit, classes: number[], perClass: number, offset = 0): Uint32Array {
  return orderedIndices(split, { classes, from: offset, perClass });
}

/** `n` distinct classes out of `numClasses`, in random order, from a Philox stream. */
export function sampleClasses(stream: PhiloxStream, numClasses: number, n: number): number[] {
  const all = Array.from({ length: numClasses }, (_, i) => i);
  stream.shuffle(all);
  return all.slice(0, n);
}

export interface OrderedEvaluation {
  accuracy: number;
  queryCorrect: number;
  onlineCorrect: number;
  onlineCrossEntropy: number;
  queryCrossEntropy: number;
  predictions: Uint32Array;
  learnCount: number;
  testCount: number;
  /** Analytic FLOPs (learning + test), state and algorithm bytes, from the cost model. */
  flops: number;
  stateBytes: number;
  algorithmBytes: number;
  seconds: number;
}

export interface OrderedOptions {
  stateSeed?: number;
  projectionSeed?: number;
  onProgress?: (done: number, total: number) => void;
  population?: PopulationOptions;
}

/**
 * The OrderedMNIST protocol for one learner with meta-parameters `params` (D floats): every
 * training example once, sorted by class (file order within a class), then every test image as
 * a query from the frozen state. Streams through the population API in bounded submissions.
 */
export async function evaluateOrdered(
  gpu: GpuContext,
  config: VsmlConfig,
  params: Float32Array,
  data: { train: ImageSplit; test: ImageSplit },
  opts: OrderedOptions = {},
): Promise<OrderedEvaluation> {
  const cfg = validateVsmlConfig(config);
  const D = metaParamLayout(cfg).size;
  if (params.length !== D) throw new Error(`evaluateOrdered: expected ${D} meta-parameters, got ${params.length}`);
  const learnIndices = orderedIndices(data.train);
  const queryIndices = Uint32Array.from({ length: data.test.count }, (_, i) => i);
  const t0 = performance.now();
  const learnSplit = uploadImageSplit(gpu, data.train);
  const querySplit = uploadImageSplit(gpu, data.test);
  const paramBuf = gpu.storage('evaluateOrdered params', params);
  const pop = VsmlPopulation.create(
    gpu,
    cfg,
    { members: 1, tasksPerMember: 1, learnLength: learnIndices.length, queryLength: queryIndices.length },
    opts.population,
  );
  try {
    const batch: EpisodeBatch = {
      learnSplit,
      querySplit,
      learnLength: learnIndices.length,
      queryLength: queryIndices.length,
      learnIndices,
      queryIndices,
      stateSeeds: Uint32Array.of(opts.stateSeed ?? 0),
      projectionSeeds: Uint32Array.of(opts.projectionSeed ?? cfg.projectionSeed),
    };
    const m: EpisodeMetrics = await pop.runEpisodes(paramBuf, batch, {
      wantPredictions: true,
      onProgress: opts.onProgress,
    });
    const cost = vsmlCost(cfg);
    return {
      accuracy: m.queryCorrect[0] / Math.max(1, queryIndices.length),
      queryCorrect: m.queryCorrect[0],
      onlineCorrect: m.onlineCorrect[0],
      onlineCrossEntropy: m.onlineCrossEntropy[0],
      queryCrossEntropy: m.queryCrossEntropy[0],
      predictions: m.queryPredictions!,
      learnCount: learnIndices.length,
      testCount: queryIndices.length,
      flops: learnIndices.length * cost.flopsPerLearnExample + queryIndices.length * cost.flopsPerQueryExample,
      stateBytes: cost.stateBytes,
      algorithmBytes: cost.algorithmBytes,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    pop.destroy();
    paramBuf.destroy();
    learnSplit.destroy();
    querySplit.destroy();
  }
}

/** Seeds for L learners from one seed (state init and projections), via Philox. */
export function learnerSeeds(seed: number, L: number): { stateSeeds: Uint32Array; projectionSeeds: Uint32Array } {
  const s = new PhiloxStream(seed >>> 0, RNG_DOMAIN.taskSampling, 0x5eed);
  const stateSeeds = new Uint32Array(L);
  const projectionSeeds = new Uint32Array(L);
  for (let l = 0; l < L; l++) {
    stateSeeds[l] = s.nextU32();
    projectionSeeds[l] = s.nextU32();
  }
  return { stateSeeds, projectionSeeds };
}

export type { GpuImageSplit };
