/**
 * Streaming linear discriminant analysis (Hayes & Kanan, "Lifelong Machine Learning with Deep
 * Streaming Linear Discriminant Analysis", CVPR-W 2020), on pixels in [0, 1]:
 * per example (x, y), with t examples seen so far and mu_y the current mean of class y
 * (zero for a class not seen yet, as in the paper):
 *     D = x - mu_y
 *     Sigma <- (t Sigma + t/(t+1) D D^T) / (t+1)
 *     mu_y <- mu_y + D / (n_y + 1);  n_y <- n_y + 1
 * Order-invariant in exact arithmetic up to that first-example term.
 *
 * Switching to test mode solves once: Lambda = ((1 - eps) Sigma + eps I)^-1 by a Cholesky
 * factorisation, w_c = Lambda mu_c, b_c = -mu_c^T w_c / 2 for every seen class; then
 * predict argmax_c w_c.x + b_c. The solve is O(d^3) (about 1.6e8 multiply-adds at d = 784) and is
 * done once at the end (and at each forgetting-curve checkpoint), never per example.
 *
 * State: Sigma as a packed upper triangle, d(d+1)/2 f64 (f64 because 60,000 rank-1 updates
 * accumulate rounding); means C x d f64; counts C u32 (t is their sum).
 * Algorithm: shrinkage eps (4 bytes).
 * FLOPs: learn 5d + 3P + 5 per example (P = d(d+1)/2; scale d, D d, step sizes 3, b*D d, packed
 * update 3 per entry, mean update 2d + 2); freeze: shrink P + d, Cholesky, per seen class two
 * triangular solves + 2d + 1; predict d + (2d + 1) per seen class.
 */
import type { ByteItem, Frozen, InspectableLearner, StreamShape } from '../learner';
import { arrayBytes, scalars } from '../learner';
import { choleskyFlops, choleskySolveFlops } from '../flops';
import { assign, checkImage, checkLabel } from './common';

export interface SldaOptions {
  /** Shrinkage toward the identity; needed because border pixels never vary. */
  shrinkage: number;
}

/** Chosen on a validation split of the training set (train on the first 20k, score the last 10k), never on the test set. */
export const SLDA_DEFAULTS: SldaOptions = { shrinkage: 0.1 };

/** Cholesky in place on a dense row-major lower triangle; throws if not positive definite. */
export function choleskyInPlace(a: Float64Array, d: number): void {
  for (let j = 0; j < d; j++) {
    const rj = j * d;
    let s = a[rj + j];
    for (let k = 0; k < j; k++) s -= a[rj + k] * a[rj + k];
    if (!(s > 0))
      throw new Error(`SLDA covariance is not positive definite at column ${j} (pivot ${s}); raise the shrinkage`);
    const ljj = Math.sqrt(s);
    a[rj + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      const ri = i * d;
      let t = a[ri + j];
      for (let k = 0; k < j; k++) t -= a[ri + k] * a[rj + k];
      a[ri + j] = t / ljj;
    }
  }
}

/** Solve L L^T x = b with the factor from choleskyInPlace. */
export function choleskySolve(l: Float64Array, d: number, b: Float64Array): Float64Array {
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * d + k] * y[k];
    y[i] = s / l[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < d; k++) s -= l[k * d + i] * x[k];
    x[i] = s / l[i * d + i];
  }
  return x;
}

export class StreamingLda implements InspectableLearner {
  private readonly d: number;
  private readonly C: number;
  private readonly P: number;
  private sigma: Float64Array;
  private means: Float64Array;
  private counts: Uint32Array;
  private t = 0;
  private flops = 0;
  private readonly delta: Float64Array;

  constructor(
    shape: StreamShape,
    readonly opts: SldaOptions = SLDA_DEFAULTS,
  ) {
    if (!(opts.shrinkage > 0 && opts.shrinkage <= 1))
      throw new Error(`shrinkage must be in (0, 1], got ${opts.shrinkage}`);
    this.d = shape.pixels;
    this.C = shape.numClasses;
    this.P = (this.d * (this.d + 1)) / 2;
    this.sigma = new Float64Array(this.P);
    this.means = new Float64Array(this.C * this.d);
    this.counts = new Uint32Array(this.C);
    this.delta = new Float64Array(this.d);
  }

  static learnFlopsPerExample(d: number): number {
    return 5 * d + (3 * d * (d + 1)) / 2 + 5;
  }

  static freezeFlops(d: number, seenClasses: number): number {
    const P = (d * (d + 1)) / 2;
    return P + d + choleskyFlops(d) + seenClasses * (choleskySolveFlops(d) + 2 * d + 1);
  }

  learn(image: Uint8Array, label: number): void {
    checkImage(image, this.d);
    checkLabel(label, this.C);
    const { d, sigma, means, delta } = this;
    const base = label * d;
    for (let i = 0; i < d; i++) delta[i] = image[i] * (1 / 255) - means[base + i];
    const t = this.t;
    const a = t / (t + 1);
    const b = a / (t + 1);
    let p = 0;
    for (let i = 0; i < d; i++) {
      const bdi = b * delta[i];
      for (let j = i; j < d; j++, p++) sigma[p] = sigma[p] * a + bdi * delta[j];
    }
    const inv = 1 / (this.counts[label] + 1);
    for (let i = 0; i < d; i++) means[base + i] += delta[i] * inv;
    this.counts[label]++;
    this.t++;
    this.flops += StreamingLda.learnFlopsPerExample(d);
  }

  freeze(): Frozen {
    const { d, C, means, counts } = this;
    const eps = this.opts.shrinkage;
    const seen: number[] = [];
    for (let c = 0; c < C; c++) if (counts[c] > 0) seen.push(c);
    // Shrunk covariance, unpacked into a dense lower triangle for the factorisation.
    const L = new Float64Array(d * d);
    let p = 0;
    for (let i = 0; i < d; i++) {
      for (let j = i; j < d; j++, p++) L[j * d + i] = (1 - eps) * this.sigma[p] + (i === j ? eps : 0);
    }
    choleskyInPlace(L, d);
    const W = new Float64Array(C * d);
    const bias = new Float64Array(C);
    for (const c of seen) {
      const mu = means.subarray(c * d, (c + 1) * d);
      const w = choleskySolve(L, d, mu);
      W.set(w, c * d);
      let s = 0;
      for (let i = 0; i < d; i++) s += mu[i] * w[i];
      bias[c] = -0.5 * s;
    }
    const x = new Float64Array(d);
    return {
      flops: StreamingLda.freezeFlops(d, seen.length),
      predictor: {
        flopsPerImage: d + seen.length * (2 * d + 1),
        predict(images: Uint8Array, count: number): Uint8Array {
          const out = new Uint8Array(count);
          for (let k = 0; k < count; k++) {
            for (let i = 0; i < d; i++) x[i] = images[k * d + i] * (1 / 255);
            let best = 0;
            let bestS = -Infinity;
            for (const c of seen) {
              let s = bias[c];
              const o = c * d;
              for (let i = 0; i < d; i++) s += W[o + i] * x[i];
              if (s > bestS) {
                bestS = s;
                best = c;
              }
            }
            out[k] = best;
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
    return { covariance: this.sigma, means: this.means, counts: this.counts };
  }

  loadState(a: Record<string, ArrayBufferView>): void {
    assign(this.sigma, a.covariance, 'covariance');
    assign(this.means, a.means, 'means');
    assign(this.counts, a.counts, 'counts');
    this.t = this.counts.reduce((s, n) => s + n, 0);
  }

  stateBytes(): ByteItem[] {
    return arrayBytes(this.stateArrays());
  }

  algorithmBytes(): ByteItem[] {
    return scalars('shrinkage');
  }
}
