/**
 * Per-class online k-means (MacQueen's sequential k-means, run separately inside each class), on
 * pixels in [0, 1]. Class c owns K prototypes:
 *   - the first K examples of class c become its prototypes (count 1 each), in stream order;
 *   - every later example of class c moves its nearest prototype of class c (squared L2, ties to
 *     the lower index) by 1/n: p <- p + (x - p) / n, n = that prototype's count after the example.
 * A test image gets the class of its nearest prototype over every class (ties: lower class, then
 * lower prototype index). K = 1 is exactly nearest class mean (same f32 update; tested).
 *
 * Order: classes never interact, so any interleaving of the classes that keeps each class's own
 * order gives the same state (bit for bit); the order inside a class does matter (tested).
 *
 * State: prototypes C x K x d f32 + counts C x K u32 (a zero count marks a prototype not seeded yet).
 * Algorithm: K (4 bytes).
 * FLOPs per example: scale d; a seeding example costs nothing more (a copy); otherwise the search
 * over the class's K prototypes, 3dK + (K - 1) compares (skipped when K = 1: nothing to choose),
 * then 1/n (1) and the move (3d). Predict: scale d, 3d per seeded prototype, and the (K_c - 1)
 * compares per seen class that reduce prototype distances to class scores (the final argmin over
 * classes is not counted, as everywhere).
 */
import type { ByteItem, Frozen, InspectableLearner, StreamShape } from '../learner';
import { arrayBytes, scalars } from '../learner';
import { assign, checkImage, checkLabel } from './common';

export interface KMeansOptions {
  /** Prototypes per class. */
  k: number;
}

export const KMEANS_DEFAULTS: KMeansOptions = { k: 10 };

export class PerClassKMeans implements InspectableLearner {
  private readonly d: number;
  private readonly C: number;
  readonly k: number;
  private protos: Float32Array;
  private counts: Uint32Array;
  private flops = 0;
  private readonly x: Float64Array;

  constructor(shape: StreamShape, opts: KMeansOptions = KMEANS_DEFAULTS) {
    if (!Number.isInteger(opts.k) || opts.k < 1 || opts.k > 65_536)
      throw new Error(`kmeans: k must be an integer in 1..65536, got ${opts.k}`);
    this.d = shape.pixels;
    this.C = shape.numClasses;
    this.k = opts.k;
    this.protos = new Float32Array(this.C * this.k * this.d);
    this.counts = new Uint32Array(this.C * this.k);
    this.x = new Float64Array(this.d);
  }

  /** Learn FLOPs of one example that moves a prototype (a seeding example costs `d`). */
  static updateFlops(d: number, k: number): number {
    return d + (k > 1 ? 3 * d * k + (k - 1) : 0) + 1 + 3 * d;
  }

  learn(image: Uint8Array, label: number): void {
    checkImage(image, this.d);
    checkLabel(label, this.C);
    const { d, k, protos, counts, x } = this;
    for (let i = 0; i < d; i++) x[i] = image[i] * (1 / 255);
    const first = label * k;
    // Seeding: prototypes fill in index order, so the first empty one is the next to seed.
    for (let j = 0; j < k; j++) {
      if (counts[first + j] === 0) {
        counts[first + j] = 1;
        protos.set(x, (first + j) * d);
        this.flops += d;
        return;
      }
    }
    let best = 0;
    if (k > 1) {
      let bestD = Infinity;
      for (let j = 0; j < k; j++) {
        const base = (first + j) * d;
        let s = 0;
        for (let i = 0; i < d; i++) {
          const t = x[i] - protos[base + i];
          s += t * t;
        }
        if (s < bestD) {
          bestD = s;
          best = j;
        }
      }
    }
    const n = ++counts[first + best];
    const inv = 1 / n;
    const base = (first + best) * d;
    for (let i = 0; i < d; i++) protos[base + i] += (x[i] - protos[base + i]) * inv;
    this.flops += PerClassKMeans.updateFlops(d, k);
  }

  freeze(): Frozen {
    const { d, C, k, protos, counts } = this;
    // Seeded prototypes in class-major order, so a strict < keeps ties at the lower class and index.
    const live: { c: number; base: number }[] = [];
    let seenClasses = 0;
    for (let c = 0; c < C; c++) {
      let any = false;
      for (let j = 0; j < k; j++) {
        if (counts[c * k + j] > 0) {
          live.push({ c, base: (c * k + j) * d });
          any = true;
        }
      }
      if (any) seenClasses++;
    }
    const x = new Float64Array(d);
    return {
      flops: 0,
      predictor: {
        flopsPerImage: d + 3 * d * live.length + (live.length - seenClasses),
        predict(images: Uint8Array, count: number): Uint8Array {
          const out = new Uint8Array(count);
          for (let q = 0; q < count; q++) {
            for (let i = 0; i < d; i++) x[i] = images[q * d + i] * (1 / 255);
            let best = 0;
            let bestD = Infinity;
            for (const p of live) {
              let s = 0;
              for (let i = 0; i < d; i++) {
                const t = x[i] - protos[p.base + i];
                s += t * t;
              }
              if (s < bestD) {
                bestD = s;
                best = p.c;
              }
            }
            out[q] = best;
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
    return { prototypes: this.protos, counts: this.counts };
  }

  loadState(a: Record<string, ArrayBufferView>): void {
    assign(this.protos, a.prototypes, 'prototypes');
    assign(this.counts, a.counts, 'counts');
  }

  stateBytes(): ByteItem[] {
    return arrayBytes(this.stateArrays());
  }

  algorithmBytes(): ByteItem[] {
    return scalars('k');
  }
}
