/**
 * The shape every GPU learner of the scoreboard shares (VSML, hidden-layer, LSTM): learn() only
 * stages each example (a transport buffer, not learner state), and each predict() of the frozen
 * learner runs the whole stream from the initial state in order, then the queries, in one GPU run.
 * The wall time until the last learning step is reported as learning time; re-runs (forgetting-
 * curve probes) count as extra compute through deferredLearnFlops.
 */
import type { ImageSplit } from '../data/dataset';
import { type GpuImageSplit, uploadImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import type { ByteItem, Frozen, Learner, StreamShape } from '../inner/learner';
import type { EpisodeBatch, EpisodeMetrics, PopulationShape } from '../inner/population';
import type { LearnerCost } from '../spec/cost-model';
import type { ProgressEvent } from './ordered-mnist';

/** One GPU run: the n staged examples in order, then `queryCount` queries; returns their predictions. */
export interface DeferredRun {
  learnSplit: GpuImageSplit;
  querySplit: GpuImageSplit;
  learnLength: number;
  queryLength: number;
  learnIndices: Uint32Array;
  queryIndices: Uint32Array;
  /** Called with the learning steps done so far (done <= learnLength while learning). */
  onProgress: (done: number, total: number) => void;
}

/** What VsmlPopulation and LstmPopulation both offer (they share EpisodeBatch and EpisodeMetrics). */
export interface EpisodePopulation {
  runEpisodes(
    params: GPUBuffer,
    batch: EpisodeBatch,
    opts: { wantPredictions: boolean; onProgress?: (done: number, total: number) => void },
  ): Promise<EpisodeMetrics>;
  destroy(): void;
}

/**
 * A DeferredRun through one learner of such a population: uploads `params`, runs the episode from
 * state seed `stateSeed`, returns the query predictions, and frees what it made.
 */
export async function runOneLearner(
  gpu: GpuContext,
  label: string,
  params: Float32Array,
  create: (shape: PopulationShape) => EpisodePopulation,
  r: DeferredRun,
  stateSeed: number,
): Promise<Uint8Array> {
  const buffer = gpu.storage(label, params);
  const pop = create({ members: 1, tasksPerMember: 1, learnLength: r.learnLength, queryLength: r.queryLength });
  try {
    const { onProgress, ...episode } = r;
    const m = await pop.runEpisodes(
      buffer,
      { ...episode, stateSeeds: Uint32Array.of(stateSeed) },
      { wantPredictions: true, onProgress },
    );
    return Uint8Array.from(m.queryPredictions!.subarray(0, r.queryLength));
  } finally {
    pop.destroy();
    buffer.destroy();
  }
}

export abstract class DeferredGpuLearner implements Learner {
  readonly predictChunk = Infinity;
  abstract readonly cost: LearnerCost;
  private images: Uint8Array;
  private labels: Uint8Array;
  private n = 0;

  /**
   * `width`: bytes this learner keeps of an image (the stream's pixels, or fewer where the learner
   * reads a subset: see input()); `name` labels the GPU splits.
   */
  constructor(
    protected readonly gpu: GpuContext,
    protected readonly shape: StreamShape,
    private readonly width: number,
    private readonly name: string,
    private readonly progress?: (p: ProgressEvent) => void,
  ) {
    this.images = new Uint8Array(1024 * width);
    this.labels = new Uint8Array(1024);
  }

  /** Writes the bytes this learner reads of `image` at out[at..] (default: the whole image). */
  protected input(image: Uint8Array, out: Uint8Array, at: number): void {
    if (image.length !== this.shape.pixels)
      throw new Error(`expected a ${this.shape.pixels}-pixel image, got ${image.length} bytes`);
    out.set(image, at);
  }

  /** Runs the learner on the GPU (see DeferredRun) and returns the query predictions. */
  protected abstract run(r: DeferredRun): Promise<Uint8Array>;

  abstract describeConfig(): string;

  learn(image: Uint8Array, label: number): void {
    if (this.n === this.labels.length) {
      const im = new Uint8Array(this.images.length * 2);
      im.set(this.images);
      const lb = new Uint8Array(this.labels.length * 2);
      lb.set(this.labels);
      this.images = im;
      this.labels = lb;
    }
    this.input(image, this.images, this.n * this.width);
    this.labels[this.n++] = label;
  }

  private split(what: string, images: Uint8Array, labels: Uint8Array, count: number): ImageSplit {
    const whole = this.width === this.shape.pixels;
    return {
      name: `${this.name} ${what}`,
      count,
      rows: whole ? this.shape.rows : 1,
      cols: whole ? this.shape.cols : this.width,
      images,
      labels,
      numClasses: this.shape.numClasses,
    };
  }

  freeze(): Frozen {
    const n = this.n;
    const { gpu, cost, progress, width } = this;
    // An empty stream still uploads one (never read) image: learnLength 0 reads none of it.
    const stream =
      n > 0
        ? this.split('stream', this.images.subarray(0, n * width), this.labels.subarray(0, n), n)
        : this.split('stream (empty)', new Uint8Array(width), new Uint8Array(1), 1);
    let learnMs = 0;
    let ranFlops = 0;
    const predict = async (images: Uint8Array, count: number): Promise<Uint8Array> => {
      // Every call runs the stream from the initial state (the harness decides what is extra).
      ranFlops += n * cost.flopsPerLearnExample;
      const read = new Uint8Array(count * width);
      const px = this.shape.pixels;
      for (let i = 0; i < count; i++) this.input(images.subarray(i * px, (i + 1) * px), read, i * width);
      const learnSplit = uploadImageSplit(gpu, stream);
      const querySplit = uploadImageSplit(gpu, this.split('queries', read, new Uint8Array(count), count));
      const t0 = performance.now();
      let learnedAt = t0;
      try {
        const predictions = await this.run({
          learnSplit,
          querySplit,
          learnLength: n,
          queryLength: count,
          learnIndices: Uint32Array.from({ length: n }, (_, i) => i),
          queryIndices: Uint32Array.from({ length: count }, (_, i) => i),
          onProgress: (done, total) => {
            if (done <= n) learnedAt = performance.now();
            progress?.({ phase: 'replay', done, total });
          },
        });
        learnMs = learnedAt - t0;
        return predictions;
      } finally {
        learnSplit.destroy();
        querySplit.destroy();
      }
    };
    return {
      flops: 0,
      predictor: {
        flopsPerImage: cost.flopsPerQueryExample,
        deferredLearnMs: () => learnMs,
        deferredLearnFlops: () => ranFlops,
        predict,
      },
    };
  }

  learnFlops(): number {
    return this.n * this.cost.flopsPerLearnExample;
  }

  stateBytes(): ByteItem[] {
    return this.cost.stateBreakdown;
  }

  algorithmBytes(): ByteItem[] {
    return this.cost.algorithmBreakdown;
  }
}
