/**
 * Float64 reference of the hidden-layer learner (src/spec/hidden-config.ts has the equations), one
 * function per GPU kernel (src/kernels/hidden*.wgsl) so every kernel can be checked on its own, and
 * a learner built from them, stepped cell by cell. Layouts as on the GPU: w[h * A + a],
 * o and n [h * C + b].
 */
import { fillNormal } from '../rng/philox';
import {
  HIDDEN_INIT_STREAM,
  type HiddenAggregation,
  type HiddenConfig,
  hiddenInitStd,
  hiddenParamIndex as ix,
} from '../spec/hidden-config';

/** Layer 1 forward: d_h = mean_a f(x_a, w_ha); also mean_a |each term| (the rounding scale, for tests). */
export function hiddenForwardRef(
  p: ArrayLike<number>,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  A: number,
  H: number,
): { d: Float64Array; scale: Float64Array } {
  const [fD, fX, fW, f1, f2] = [p[ix('fD')], p[ix('fX')], p[ix('fW')], p[ix('f1')], p[ix('f2')]];
  const d = new Float64Array(H);
  const scale = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    let s = 0;
    let m = 0;
    for (let a = 0; a < A; a++) {
      const xa = x[a];
      const wa = w[h * A + a];
      const t = xa - wa;
      const terms = [fD * t * t, fX * xa * xa, fW * wa * wa, f1 * xa, f2 * wa];
      for (const v of terms) {
        s += v;
        m += Math.abs(v);
      }
    }
    d[h] = s / A;
    scale[h] = m / A;
  }
  return { d, scale };
}

const aggregate = (agg: HiddenAggregation, values: number[]): number =>
  agg === 'max' ? Math.max(...values) : values.reduce((s, v) => s + v, 0) / values.length;

/** Layer 2 forward: q_hb, p_hb and their aggregations over h, Q_b and P_b. */
export function hiddenCompeteRef(
  p: ArrayLike<number>,
  d: ArrayLike<number>,
  own: ArrayLike<number>,
  count: ArrayLike<number>,
  H: number,
  C: number,
  agg: HiddenAggregation,
): { q: Float64Array; Q: Float64Array; P: Float64Array } {
  const [g0, gD, bid] = [p[ix('g0')], p[ix('gD')], p[ix('bid')]];
  const q = new Float64Array(H * C);
  const Q = new Float64Array(C);
  const P = new Float64Array(C);
  for (let b = 0; b < C; b++) {
    const qs: number[] = [];
    const ps: number[] = [];
    for (let h = 0; h < H; h++) {
      const i = h * C + b;
      const s = g0 + gD * d[h];
      q[i] = own[i] * (s + (count[i] === 0 ? bid : 0));
      qs.push(q[i]);
      ps.push(count[i] > 0 ? own[i] * s : 0);
    }
    Q[b] = aggregate(agg, qs);
    P[b] = aggregate(agg, ps);
  }
  return { q, Q, P };
}

/** Layer 2 backward with the example's label: the new counts n and rho_h = AGG over b of the messages. */
export function hiddenBackwardRef(
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  Q: ArrayLike<number>,
  own: ArrayLike<number>,
  count: ArrayLike<number>,
  label: number,
  H: number,
  C: number,
  agg: HiddenAggregation,
): { count: Float64Array; rho: Float64Array } {
  const [rA, rB] = [p[ix('rA')], p[ix('rB')]];
  const n = Float64Array.from(count);
  const rho = new Float64Array(H);
  for (let h = 0; h < H; h++) {
    const ms: number[] = [];
    for (let b = 0; b < C; b++) {
      const i = h * C + b;
      const win = (b === label ? 1 : 0) * own[i] * (q[i] >= Q[b] ? 1 : 0);
      n[i] += win;
      ms.push(win !== 0 ? (win * rA) / (n[i] + rB) : 0);
    }
    rho[h] = aggregate(agg, ms);
  }
  return { count: n, rho };
}

/** Layer 1 update: w_ha += rho_h (uX x_a + uW w_ha + u1), in place. */
export function hiddenUpdateRef(
  p: ArrayLike<number>,
  x: ArrayLike<number>,
  w: Float64Array,
  rho: ArrayLike<number>,
  A: number,
  H: number,
): void {
  const [uX, uW, u1] = [p[ix('uX')], p[ix('uW')], p[ix('u1')]];
  for (let h = 0; h < H; h++) for (let a = 0; a < A; a++) w[h * A + a] += rho[h] * (uX * x[a] + uW * w[h * A + a] + u1);
}

/** The initial state of a learner: w from its state seed (f32 values, as uploaded), o, n = 0. */
export function hiddenInitialState(
  c: HiddenConfig,
  stateSeed: number,
): { w: Float32Array; own: Float32Array; count: Float32Array } {
  const { inputs: A, hidden: H, classes: C } = c;
  const w = new Float32Array(A * H);
  const normals = new Float64Array(A * H);
  fillNormal(normals, stateSeed >>> 0, HIDDEN_INIT_STREAM);
  const std = hiddenInitStd(c);
  for (let i = 0; i < w.length; i++) w[i] = normals[i] * std;
  return { w, own: hiddenOwnership(c), count: new Float32Array(H * C) };
}

/** The structured initial state of layer 2: o = [h mod C = b] (hidden unit h belongs to class h mod C). */
export function hiddenOwnership(c: HiddenConfig): Float32Array {
  const { hidden: H, classes: C } = c;
  const own = new Float32Array(H * C);
  for (let h = 0; h < H; h++) own[h * C + (h % C)] = 1;
  return own;
}

/** The learner in float64, from the same f32 initial state as the GPU learner. */
export class HiddenReferenceLearner {
  readonly w: Float64Array;
  readonly own: Float64Array;
  count: Float64Array;
  private readonly x: Float64Array;

  constructor(
    readonly config: HiddenConfig,
    readonly params: ArrayLike<number>,
    stateSeed: number,
  ) {
    const s = hiddenInitialState(config, stateSeed);
    this.w = Float64Array.from(s.w);
    this.own = Float64Array.from(s.own);
    this.count = Float64Array.from(s.count);
    this.x = new Float64Array(config.inputs);
  }

  private scale(image: ArrayLike<number>): Float64Array {
    for (let a = 0; a < this.x.length; a++) this.x[a] = image[a] / 255;
    return this.x;
  }

  learn(image: ArrayLike<number>, label: number): void {
    const { inputs: A, hidden: H, classes: C, aggregation: agg } = this.config;
    const x = this.scale(image);
    const { d } = hiddenForwardRef(this.params, x, this.w, A, H);
    const { q, Q } = hiddenCompeteRef(this.params, d, this.own, this.count, H, C, agg);
    const back = hiddenBackwardRef(this.params, q, Q, this.own, this.count, label, H, C, agg);
    this.count = back.count;
    hiddenUpdateRef(this.params, x, this.w, back.rho, A, H);
  }

  /** Logits of a query, state frozen; with the distances d (their margins bound f32 disagreements). */
  logits(image: ArrayLike<number>): { logits: Float64Array; d: Float64Array } {
    const { inputs: A, hidden: H, classes: C, aggregation: agg } = this.config;
    const x = this.scale(image);
    const { d } = hiddenForwardRef(this.params, x, this.w, A, H);
    const { P } = hiddenCompeteRef(this.params, d, this.own, this.count, H, C, agg);
    const lambda = this.params[ix('lambda')];
    return { logits: P.map((v) => lambda * v), d };
  }
}
