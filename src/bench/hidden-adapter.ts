/**
 * The hidden-layer VSML-style learner (src/spec/hidden-config.ts) on the OrderedMNIST protocol:
 * method `vsml-hidden`, e.g. `vsml-hidden:hidden=100`, `vsml-hidden:params=results/.../rule.json`.
 *
 *   hidden=H          hidden units (a multiple of the classes; default 100: K = 10 per class)
 *   aggregation=max|mean   layer-2 aggregation (default max)
 *   params=designed|FILE   meta-parameters: the hand-designed k-means rule (src/inner/rules/
 *                          hidden-kmeans.ts, default) or a rule file (written by `npm run evolve:hidden`)
 *   stateSeed=S       seed of the initial state (default 1)
 *
 * One HiddenPopulation learner on the GPU. As the VSML adapter (./vsml-adapter.ts) it defers the GPU
 * work: learn() stages each example (a transport buffer, not learner state) and the first predict()
 * runs the stream from the initial state in order, then the queries; the wall time of that run is
 * reported as learning time and re-runs (forgetting-curve probes) are counted as extra compute.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ImageSplit } from '../data/dataset';
import { uploadImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { HiddenPopulation } from '../inner/hidden-population';
import type { ByteItem, Frozen, Learner, StreamShape } from '../inner/learner';
import { hiddenKMeansParams, parseHiddenRuleFile } from '../inner/rules/hidden-kmeans';
import {
  DEFAULT_HIDDEN_CONFIG,
  type HiddenConfig,
  type HiddenCost,
  describeHiddenConfig,
  hiddenCost,
  validateHiddenConfig,
} from '../spec/hidden-config';
import type { ProgressEvent } from './ordered-mnist';

export interface HiddenLearnerSpec {
  config: HiddenConfig;
  params: Float32Array;
  stateSeed: number;
  source: string;
}

/** The learner spec of a method's parameters (see the file comment). */
export function hiddenSpec(shape: StreamShape, p: Record<string, string>): HiddenLearnerSpec {
  const int = (key: string, fallback: number): number => {
    if (p[key] === undefined) return fallback;
    const v = Number(p[key]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`vsml-hidden: ${key}=${p[key]} is not a non-negative integer`);
    return v;
  };
  const config = validateHiddenConfig({
    inputs: shape.pixels,
    hidden: int('hidden', DEFAULT_HIDDEN_CONFIG.hidden),
    classes: shape.numClasses,
    aggregation: p.aggregation ?? DEFAULT_HIDDEN_CONFIG.aggregation,
  });
  const source = p.params ?? 'designed';
  let params: Float32Array;
  let described: string;
  if (source === 'designed') {
    params = hiddenKMeansParams();
    described = 'hand-designed per-class k-means meta-parameters (src/inner/rules/hidden-kmeans.ts)';
  } else {
    if (!existsSync(source))
      throw new Error(`vsml-hidden: params=${source}: no such file (params=designed or params=FILE.json)`);
    params = parseHiddenRuleFile(readFileSync(source, 'utf8'), source);
    described = `rule file ${source}`;
  }
  return { config, params, stateSeed: int('stateSeed', 1) >>> 0, source: described };
}

export class HiddenLearner implements Learner {
  readonly predictChunk = Infinity;
  readonly cost: HiddenCost;
  private images: Uint8Array;
  private labels: Uint8Array;
  private n = 0;

  constructor(
    private readonly gpu: GpuContext,
    readonly spec: HiddenLearnerSpec,
    private readonly shape: StreamShape,
    private readonly progress?: (p: ProgressEvent) => void,
  ) {
    this.cost = hiddenCost(spec.config);
    this.images = new Uint8Array(1024 * shape.pixels);
    this.labels = new Uint8Array(1024);
  }

  learn(image: Uint8Array, label: number): void {
    const d = this.shape.pixels;
    if (image.length !== d) throw new Error(`expected a ${d}-pixel image, got ${image.length} bytes`);
    if (this.n === this.labels.length) {
      const im = new Uint8Array(this.images.length * 2);
      im.set(this.images);
      const lb = new Uint8Array(this.labels.length * 2);
      lb.set(this.labels);
      this.images = im;
      this.labels = lb;
    }
    this.images.set(image, this.n * d);
    this.labels[this.n++] = label;
  }

  freeze(): Frozen {
    const n = this.n;
    const { gpu, spec, shape, cost, progress } = this;
    const split = (name: string, images: Uint8Array, labels: Uint8Array, count: number): ImageSplit => ({
      name,
      count,
      rows: shape.rows,
      cols: shape.cols,
      images,
      labels,
      numClasses: shape.numClasses,
    });
    const stream = split(
      'vsml-hidden stream',
      this.images.subarray(0, n * shape.pixels),
      this.labels.subarray(0, n),
      n,
    );
    let learnMs = 0;
    let ranFlops = 0;
    return {
      flops: 0,
      predictor: {
        flopsPerImage: cost.flopsPerQueryExample,
        deferredLearnMs: () => learnMs,
        deferredLearnFlops: () => ranFlops,
        async predict(images: Uint8Array, count: number): Promise<Uint8Array> {
          ranFlops += n * cost.flopsPerLearnExample;
          const learnSplit = uploadImageSplit(
            gpu,
            stream.count > 0 ? stream : split('empty', new Uint8Array(shape.pixels), new Uint8Array(1), 1),
          );
          const querySplit = uploadImageSplit(gpu, split('vsml-hidden queries', images, new Uint8Array(count), count));
          const t0 = performance.now();
          let learnedAt = t0;
          try {
            const r = await new HiddenPopulation(gpu, spec.config, 1).run(
              spec.params,
              {
                learnSplit,
                querySplit,
                learnLength: n,
                queryLength: count,
                learnIndices: Uint32Array.from({ length: n }, (_, i) => i),
                queryIndices: Uint32Array.from({ length: count }, (_, i) => i),
                stateSeeds: Uint32Array.of(spec.stateSeed),
              },
              {
                stepsPerSubmit: 256,
                onProgress: (done, total) => {
                  learnedAt = performance.now();
                  progress?.({ phase: 'replay', done, total });
                },
              },
            );
            learnMs = learnedAt - t0;
            return r.predictions;
          } finally {
            learnSplit.destroy();
            querySplit.destroy();
          }
        },
      },
    };
  }

  describeConfig(): string {
    return `${describeHiddenConfig(this.spec.config)}; ${this.spec.source}; state seed ${this.spec.stateSeed}`;
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

/** `vsml-hidden` learner of a method's parameters (METHODS in ./methods.ts loads this on demand). */
export async function createHiddenLearner(
  shape: StreamShape,
  p: Record<string, string>,
  // The part of bench/methods.ts's MethodContext it uses (that module loads this one on demand).
  ctx: { gpu(): Promise<GpuContext>; progress?: (p: ProgressEvent) => void },
): Promise<HiddenLearner> {
  const spec = hiddenSpec(shape, p);
  return new HiddenLearner(await ctx.gpu(), spec, shape, ctx.progress);
}
