/**
 * OrderedMNIST in miniature for one learner on the GPU: a class-sorted learning stream (the first
 * `learnPerClass` training images of each class, file order), then test images with the state
 * frozen. Used by the train page's probe (the current best learner, after a generation) and by
 * the replay page.
 *
 * Classes: a learner with C output units plays classes 0..C-1 (all ten for a 784 -> ... -> 10
 * learner; the first C for smaller meta-training learners), with true labels as output units.
 * Its fixed projection (if any) is config.projectionSeed; its initial state comes from `stateSeed`.
 */
import { type Dataset, type ImageSplit, pixelsPerImage } from '../../src/data/dataset';
import { orderedIndices } from '../../src/data/ordered-stream';
import { type GpuImageSplit, uploadImageSplit } from '../../src/data/gpu-dataset';
import type { GpuContext } from '../../src/gpu/context';
import { VsmlPopulation } from '../../src/inner/population';
import { LstmPopulation } from '../../src/inner/lstm-population';
import { type LstmLearnerConfig, lstmParamLayout } from '../../src/spec/lstm-config';
import { type VsmlConfig, metaParamLayout, numClasses } from '../../src/spec/vsml-config';
import type { ProbeOptions, ProbeResult } from '../../src/pages/train-messages';

export interface OrderedStream {
  classes: number;
  /** Examples in presentation order: [learn..., test...] as one small split. */
  split: ImageSplit;
  learnCount: number;
  testCount: number;
  /** True class of each example of `split`. */
  labels: Uint8Array;
}

/** Classes a learner can play: its output units, at most the dataset's classes. */
export function playableClasses(learner: VsmlConfig, ds: Dataset): number {
  return Math.min(numClasses(learner), ds.train.numClasses);
}

function take(split: ImageSplit, indices: Uint32Array, out: Uint8Array, outLabels: Uint8Array, at: number): void {
  const px = pixelsPerImage(split);
  indices.forEach((src, k) => {
    out.set(split.images.subarray(src * px, (src + 1) * px), (at + k) * px);
    outLabels[at + k] = split.labels[src];
  });
}

/**
 * The stream: per class c < classes, the first `learnPerClass` train images (0: all), sorted by
 * class; then, per class, the first `testPerClass` test images (0: all), grouped by class.
 */
export function orderedStream(
  ds: Dataset,
  classes: number,
  learnPerClass: number,
  testPerClass: number,
): OrderedStream {
  const firstClasses = Array.from({ length: classes }, (_, c) => c);
  const pick = (split: ImageSplit, per: number) =>
    orderedIndices(split, { classes: firstClasses, perClass: per > 0 ? per : undefined, strict: false });
  const learn = pick(ds.train, learnPerClass);
  const test = pick(ds.test, testPerClass);
  const px = pixelsPerImage(ds.train);
  const count = learn.length + test.length;
  const images = new Uint8Array(count * px);
  const labels = new Uint8Array(count);
  take(ds.train, learn, images, labels, 0);
  take(ds.test, test, images, labels, learn.length);
  return {
    classes,
    // numClasses = classes played: the learner checks its outputs cover every label of the split.
    split: {
      name: `ordered-${classes}`,
      count,
      rows: ds.train.rows,
      cols: ds.train.cols,
      images,
      labels,
      numClasses: classes,
    },
    learnCount: learn.length,
    testCount: test.length,
    labels,
  };
}

export interface OrderedRunResult {
  /** Predicted class of every test example, in stream order. */
  testPredictions: Uint32Array;
  onlineCorrect: number;
  testCorrect: number;
  perClass: number[];
  accuracy: number;
}

/** Per-class accuracy of test predictions (NaN for a class without test examples). */
export function perClassAccuracy(
  stream: OrderedStream,
  predictions: ArrayLike<number>,
): { perClass: number[]; correct: number } {
  const hit = new Array(stream.classes).fill(0);
  const n = new Array(stream.classes).fill(0);
  let correct = 0;
  for (let i = 0; i < stream.testCount; i++) {
    const label = stream.labels[stream.learnCount + i];
    n[label]++;
    if (predictions[i] === label) {
      hit[label]++;
      correct++;
    }
  }
  return { perClass: hit.map((h, c) => (n[c] ? h / n[c] : NaN)), correct };
}

/**
 * Runs one learner through a stream as a single VSML episode (learn, then frozen queries).
 * The population, uploaded split and parameter buffer are cached between calls with the same shape.
 */
export class OrderedRunner {
  private population: VsmlPopulation | null = null;
  private gpuSplit: GpuImageSplit | null = null;
  private params: GPUBuffer | null = null;

  constructor(
    private readonly gpu: GpuContext,
    readonly learner: VsmlConfig,
    readonly stream: OrderedStream,
    /** Steps per submission (progress granularity; results do not depend on it). */
    private readonly opts: { stepsPerSubmit?: number } = {},
  ) {}

  async run(
    params: Float32Array,
    stateSeed: number,
    onProgress?: (done: number, total: number) => void,
  ): Promise<OrderedRunResult> {
    const { gpu, stream, learner } = this;
    const dim = metaParamLayout(learner).size;
    if (params.length !== dim) throw new Error(`learner needs ${dim} meta-parameters, got ${params.length}`);
    this.gpuSplit ??= uploadImageSplit(gpu, stream.split);
    this.params ??= gpu.storage('ordered-replay params', dim * 4);
    this.population ??= VsmlPopulation.create(
      gpu,
      learner,
      {
        members: 1,
        tasksPerMember: 1,
        learnLength: stream.learnCount,
        queryLength: stream.testCount,
      },
      this.opts.stepsPerSubmit ? { stepsPerSubmit: this.opts.stepsPerSubmit } : {},
    );
    gpu.upload(this.params, params);
    const learnIndices = Uint32Array.from({ length: stream.learnCount }, (_, i) => i);
    const queryIndices = Uint32Array.from({ length: stream.testCount }, (_, i) => stream.learnCount + i);
    const m = await this.population.runEpisodes(
      this.params,
      {
        learnSplit: this.gpuSplit,
        querySplit: this.gpuSplit,
        learnLength: stream.learnCount,
        queryLength: stream.testCount,
        learnIndices,
        queryIndices,
        stateSeeds: Uint32Array.of(stateSeed >>> 0),
        projectionSeeds: learner.projection ? Uint32Array.of(learner.projectionSeed) : undefined,
      },
      { wantPredictions: true, onProgress },
    );
    return orderedResult(stream, m);
  }

  destroy(): void {
    this.population?.destroy();
    this.gpuSplit?.destroy();
    this.params?.destroy();
    this.population = null;
    this.gpuSplit = null;
    this.params = null;
  }
}

/** A replay's result from the episode metrics of its one learner (VSML or LSTM). */
function orderedResult(
  stream: OrderedStream,
  m: { queryPredictions?: Uint32Array; onlineCorrect: ArrayLike<number> },
): OrderedRunResult {
  const testPredictions = m.queryPredictions ?? new Uint32Array(0);
  if (testPredictions.length !== stream.testCount) throw new Error('the learner returned no test predictions');
  const { perClass, correct } = perClassAccuracy(stream, testPredictions);
  return {
    testPredictions,
    onlineCorrect: m.onlineCorrect[0],
    testCorrect: correct,
    perClass,
    accuracy: stream.testCount ? correct / stream.testCount : NaN,
  };
}

/**
 * The same stream through a black-box LSTM learner (src/spec/lstm-config.ts): it reads `pixels` of
 * each image (the fixed subset lstmInputMapping chose, src/bench/lstm-input.ts) or every pixel
 * (null), from the zero state; the state seed does not apply. Same predictions as the scoreboard's
 * `lstm` method on the same stream (tests/lstm-replay.test.ts).
 */
export class LstmOrderedRunner {
  private population: LstmPopulation | null = null;
  private gpuSplit: GpuImageSplit | null = null;
  private params: GPUBuffer | null = null;

  constructor(
    private readonly gpu: GpuContext,
    readonly lstm: LstmLearnerConfig,
    readonly pixels: Uint32Array | null,
    readonly stream: OrderedStream,
  ) {
    const full = pixelsPerImage(stream.split);
    const reads = pixels ? pixels.length : full;
    if (reads !== lstm.inputSize)
      throw new Error(`the LSTM reads ${lstm.inputSize} pixels, the mapping gives ${reads}`);
    if (pixels?.some((p) => p >= full)) throw new Error(`pixel subset outside the ${full}-pixel images`);
  }

  /** The stream's images as the LSTM reads them. */
  private readSplit(): ImageSplit {
    const { stream, pixels, lstm } = this;
    if (!pixels) return stream.split;
    const full = pixelsPerImage(stream.split);
    const A = lstm.inputSize;
    const images = new Uint8Array(stream.split.count * A);
    for (let i = 0; i < stream.split.count; i++)
      for (let j = 0; j < A; j++) images[i * A + j] = stream.split.images[i * full + pixels[j]];
    return { ...stream.split, rows: 1, cols: A, images };
  }

  async run(
    params: Float32Array,
    _stateSeed: number,
    onProgress?: (done: number, total: number) => void,
  ): Promise<OrderedRunResult> {
    const { gpu, stream, lstm } = this;
    const dim = lstmParamLayout(lstm).size;
    if (params.length !== dim) throw new Error(`the LSTM needs ${dim} meta-parameters, got ${params.length}`);
    this.gpuSplit ??= uploadImageSplit(gpu, this.readSplit());
    this.params ??= gpu.storage('ordered-replay lstm params', dim * 4);
    this.population ??= LstmPopulation.create(gpu, lstm, {
      members: 1,
      tasksPerMember: 1,
      learnLength: stream.learnCount,
      queryLength: stream.testCount,
    });
    gpu.upload(this.params, params);
    const m = await this.population.runEpisodes(
      this.params,
      {
        learnSplit: this.gpuSplit,
        querySplit: this.gpuSplit,
        learnLength: stream.learnCount,
        queryLength: stream.testCount,
        learnIndices: Uint32Array.from({ length: stream.learnCount }, (_, i) => i),
        queryIndices: Uint32Array.from({ length: stream.testCount }, (_, i) => stream.learnCount + i),
        stateSeeds: new Uint32Array(1),
      },
      { wantPredictions: true, onProgress },
    );
    return orderedResult(stream, m);
  }

  destroy(): void {
    this.population?.destroy();
    this.gpuSplit?.destroy();
    this.params?.destroy();
    this.population = null;
    this.gpuSplit = null;
    this.params = null;
  }
}

let probeRunner: { key: string; runner: OrderedRunner } | null = null;

/** The train page's probe: the current learner on a short OrderedMNIST stream. */
export async function runProbe(
  gpu: GpuContext,
  learner: VsmlConfig,
  params: Float32Array,
  ds: Dataset,
  opts: ProbeOptions,
  stateSeed: number,
  generation: number,
): Promise<ProbeResult> {
  const t0 = performance.now();
  const classes = playableClasses(learner, ds);
  const key = JSON.stringify([learner, classes, opts.learnPerClass, opts.testPerClass]);
  if (probeRunner?.key !== key) {
    probeRunner?.runner.destroy();
    probeRunner = {
      key,
      runner: new OrderedRunner(gpu, learner, orderedStream(ds, classes, opts.learnPerClass, opts.testPerClass)),
    };
  }
  const r = await probeRunner.runner.run(params, stateSeed);
  const s = probeRunner.runner.stream;
  return {
    generation,
    classes,
    perClass: r.perClass,
    accuracy: r.accuracy,
    onlineAccuracy: s.learnCount ? r.onlineCorrect / s.learnCount : NaN,
    ms: performance.now() - t0,
  };
}
