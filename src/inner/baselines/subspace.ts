/**
 * Per-class incremental PCA subspace classifier, on pixels in [0, 1]. Each class keeps its running
 * mean and r principal directions estimated online by candid covariance-free incremental PCA
 * (CCIPCA: Weng, Zhang & Hwang, IEEE TPAMI 25(8), 2003; no amnesia), and a test image goes to the
 * class whose affine subspace (mean + span of its directions) is nearest: the classic subspace
 * classifier (CLAFIC) made streaming. It compresses a class into (r + 1) d numbers and, unlike
 * k-means, models within-class variation (stroke thickness, slant) as directions. r = 0 is exactly
 * nearest class mean (tested).
 *
 * Per example (x, y), n = the class's count after it:
 *   m <- m + (x - m) / n;  u <- x - m
 *   for component i = 1 .. min(r, n - 1):
 *     if i = n - 1 (its first data):  v_i <- u, stop
 *     else  v_i <- ((n - 1) / n) v_i + (1 / n) (u . v_i / |v_i|) u     (|v_i| estimates the eigenvalue)
 *           u <- u - (u . v_i / |v_i|^2) v_i                          (deflate for the next component)
 * (A zero v_i, possible only if a class repeats one image, takes u instead, like a first datum.)
 * Freeze: modified Gram-Schmidt on each class's directions (they are only nearly orthogonal);
 * score_c(x) = |x - m_c|^2 - sum_j (q_cj . (x - m_c))^2, the smallest wins (ties: lower class).
 *
 * Order: classes never interact (any interleaving that keeps each class's order gives the same
 * state, bit for bit); the order inside a class matters (tested).
 *
 * State: means C x d f32, directions C x r x d f32, counts C u32. Algorithm: r (4 bytes).
 * FLOPs: learn d (scale) + 1 + 3d (mean) + d (u) + (13d + 6) per updated component
 * (|v|^2 2d, u.v 2d, sqrt + divide 2, the two step sizes 3, the move 3d, then |v|^2 2d, u.v 2d,
 * ratio 1, deflation 2d); a component's first datum is a copy. The updated components at count
 * n are max(0, min(r, n - 2)).
 * Freeze per seen class with k = min(r, n - 1) directions: 4d k(k - 1)/2 + (3d + 1) k.
 * Predict: d + per seen class 3d + k (2d + 2).
 */
import type { ByteItem, Frozen, InspectableLearner, StreamShape } from '../learner';
import { arrayBytes, scalars } from '../learner';
import { assign, checkImage, checkLabel } from './common';

export interface SubspaceOptions {
  /** Principal directions per class. */
  r: number;
}

/** Chosen on a train-split validation (docs/benchmark.md), never on the test split. */
export const SUBSPACE_DEFAULTS: SubspaceOptions = { r: 20 };

export class PerClassSubspace implements InspectableLearner {
  private readonly d: number;
  private readonly C: number;
  readonly r: number;
  private means: Float32Array;
  private dirs: Float32Array;
  private counts: Uint32Array;
  private flops = 0;
  private readonly x: Float64Array;
  private readonly u: Float64Array;

  constructor(shape: StreamShape, opts: SubspaceOptions = SUBSPACE_DEFAULTS) {
    // r may exceed the pixel count (tiny test images): directions past the rank deflate to ~0 and
    // Gram-Schmidt leaves them zero, so they cost state but change no answer.
    if (!Number.isInteger(opts.r) || opts.r < 0 || opts.r > 4096)
      throw new Error(`subspace: r must be an integer in 0..4096, got ${opts.r}`);
    this.d = shape.pixels;
    this.C = shape.numClasses;
    this.r = opts.r;
    this.means = new Float32Array(this.C * this.d);
    this.dirs = new Float32Array(this.C * this.r * this.d);
    this.counts = new Uint32Array(this.C);
    this.x = new Float64Array(this.d);
    this.u = new Float64Array(this.d);
  }

  /** Learn FLOPs of the example that brings a class's count to n. */
  static learnFlops(d: number, r: number, n: number): number {
    return 6 * d + 1 + Math.max(0, Math.min(r, n - 2)) * (13 * d + 6);
  }

  learn(image: Uint8Array, label: number): void {
    checkImage(image, this.d);
    checkLabel(label, this.C);
    const { d, r, means, dirs, x, u } = this;
    for (let i = 0; i < d; i++) x[i] = image[i] * (1 / 255);
    const n = ++this.counts[label];
    const inv = 1 / n;
    const mb = label * d;
    for (let i = 0; i < d; i++) means[mb + i] += (x[i] - means[mb + i]) * inv;
    for (let i = 0; i < d; i++) u[i] = x[i] - means[mb + i];
    const comps = Math.min(r, n - 1);
    for (let c = 0; c < comps; c++) {
      const vb = (label * r + c) * d;
      let vv = 0;
      for (let i = 0; i < d; i++) vv += dirs[vb + i] * dirs[vb + i];
      if (c === n - 2 || vv === 0) {
        for (let i = 0; i < d; i++) dirs[vb + i] = u[i];
        break;
      }
      let uv = 0;
      for (let i = 0; i < d; i++) uv += u[i] * dirs[vb + i];
      const keep = (n - 1) * inv;
      const step = (uv / Math.sqrt(vv)) * inv;
      for (let i = 0; i < d; i++) dirs[vb + i] = keep * dirs[vb + i] + step * u[i];
      let vv2 = 0;
      let uv2 = 0;
      for (let i = 0; i < d; i++) {
        vv2 += dirs[vb + i] * dirs[vb + i];
        uv2 += u[i] * dirs[vb + i];
      }
      if (vv2 > 0) {
        const g = uv2 / vv2;
        for (let i = 0; i < d; i++) u[i] -= g * dirs[vb + i];
      }
    }
    this.flops += PerClassSubspace.learnFlops(d, r, n);
  }

  /** Orthonormal bases (f64) of every seen class's directions; exported for tests. */
  bases(): { c: number; k: number; q: Float64Array }[] {
    const { d, C, r, dirs, counts } = this;
    const out: { c: number; k: number; q: Float64Array }[] = [];
    for (let c = 0; c < C; c++) {
      if (counts[c] === 0) continue;
      const k = Math.min(r, counts[c] - 1);
      const q = new Float64Array(k * d);
      for (let j = 0; j < k; j++) {
        const qj = q.subarray(j * d, (j + 1) * d);
        for (let i = 0; i < d; i++) qj[i] = dirs[(c * r + j) * d + i];
        for (let p = 0; p < j; p++) {
          const qp = q.subarray(p * d, (p + 1) * d);
          let s = 0;
          for (let i = 0; i < d; i++) s += qj[i] * qp[i];
          for (let i = 0; i < d; i++) qj[i] -= s * qp[i];
        }
        let nn = 0;
        for (let i = 0; i < d; i++) nn += qj[i] * qj[i];
        // A direction inside the span of the earlier ones adds nothing: leave it zero.
        const scale = nn > 1e-24 ? 1 / Math.sqrt(nn) : 0;
        for (let i = 0; i < d; i++) qj[i] *= scale;
      }
      out.push({ c, k, q });
    }
    return out;
  }

  freeze(): Frozen {
    const { d, means } = this;
    const bases = this.bases();
    let freezeFlops = 0;
    let predictFlops = d;
    for (const b of bases) {
      freezeFlops += 2 * d * b.k * (b.k - 1) + (3 * d + 1) * b.k;
      predictFlops += 3 * d + b.k * (2 * d + 2);
    }
    const x = new Float64Array(d);
    const z = new Float64Array(d);
    return {
      flops: freezeFlops,
      predictor: {
        flopsPerImage: predictFlops,
        predict(images: Uint8Array, count: number): Uint8Array {
          const out = new Uint8Array(count);
          for (let t = 0; t < count; t++) {
            for (let i = 0; i < d; i++) x[i] = images[t * d + i] * (1 / 255);
            let best = 0;
            let bestS = Infinity;
            for (const b of bases) {
              let s = 0;
              for (let i = 0; i < d; i++) {
                z[i] = x[i] - means[b.c * d + i];
                s += z[i] * z[i];
              }
              for (let j = 0; j < b.k; j++) {
                let p = 0;
                for (let i = 0; i < d; i++) p += b.q[j * d + i] * z[i];
                s -= p * p;
              }
              if (s < bestS) {
                bestS = s;
                best = b.c;
              }
            }
            out[t] = best;
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
    return { means: this.means, directions: this.dirs, counts: this.counts };
  }

  loadState(a: Record<string, ArrayBufferView>): void {
    assign(this.means, a.means, 'means');
    assign(this.dirs, a.directions, 'directions');
    assign(this.counts, a.counts, 'counts');
  }

  stateBytes(): ByteItem[] {
    return arrayBytes(this.stateArrays());
  }

  algorithmBytes(): ByteItem[] {
    return scalars('r');
  }
}
