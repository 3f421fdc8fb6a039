/**
 * Nearest class mean: one running mean per class (f32), updated per example; predicts the class
 * whose mean is nearest in squared Euclidean distance (pixels in [0, 1]). Order-invariant up to
 * rounding. Ties go to the lower class index; classes never seen are never predicted.
 *
 * State: means C x d f32 + counts C u32. Algorithm: nothing (no hyperparameters).
 * FLOPs: learn 4d + 1 per example (scale d, 1/n, then m += (x - m) / n: 3d);
 * predict d + 3d per seen class.
 */
import type { ByteItem, Frozen, InspectableLearner, StreamShape } from '../learner';
import { arrayBytes } from '../learner';
import { assign, checkImage, checkLabel } from './common';

export class NearestClassMean implements InspectableLearner {
  private readonly d: number;
  private readonly C: number;
  private means: Float32Array;
  private counts: Uint32Array;
  private flops = 0;

  constructor(shape: StreamShape) {
    this.d = shape.pixels;
    this.C = shape.numClasses;
    this.means = new Float32Array(this.C * this.d);
    this.counts = new Uint32Array(this.C);
  }

  static learnFlopsPerExample(d: number): number {
    return 4 * d + 1;
  }

  learn(image: Uint8Array, label: number): void {
    checkImage(image, this.d);
    checkLabel(label, this.C);
    const n = ++this.counts[label];
    const inv = 1 / n;
    const m = this.means;
    const base = label * this.d;
    for (let i = 0; i < this.d; i++) m[base + i] += (image[i] * (1 / 255) - m[base + i]) * inv;
    this.flops += NearestClassMean.learnFlopsPerExample(this.d);
  }

  freeze(): Frozen {
    const { d, C, means, counts } = this;
    const seen: number[] = [];
    for (let c = 0; c < C; c++) if (counts[c] > 0) seen.push(c);
    const x = new Float64Array(d);
    return {
      flops: 0,
      predictor: {
        flopsPerImage: d + 3 * d * seen.length,
        predict(images: Uint8Array, count: number): Uint8Array {
          const out = new Uint8Array(count);
          for (let k = 0; k < count; k++) {
            for (let i = 0; i < d; i++) x[i] = images[k * d + i] * (1 / 255);
            let best = -1;
            let bestD = Infinity;
            for (const c of seen) {
              let s = 0;
              const base = c * d;
              for (let i = 0; i < d; i++) {
                const t = x[i] - means[base + i];
                s += t * t;
              }
              if (s < bestD) {
                bestD = s;
                best = c;
              }
            }
            out[k] = Math.max(best, 0);
          }
          return out;
        },
      },
    };
  }

  learnFlops(): number {
    return this.flops;
  }

  stateArrays(): Record<string, ArrayBufferView> {
    return { means: this.means, counts: this.counts };
  }

  loadState(a: Record<string, ArrayBufferView>): void {
    assign(this.means, a.means, 'means');
    assign(this.counts, a.counts, 'counts');
  }

  stateBytes(): ByteItem[] {
    return arrayBytes(this.stateArrays());
  }

  algorithmBytes(): ByteItem[] {
    return [];
  }
}
