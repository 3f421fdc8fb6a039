/**
 * Populations as recipes, never as stored noise.
 *
 * A strategy describes its population as a few parent vectors ("centres") plus, per member, the
 * Philox stream of its perturbation and a sign. Member m's parameters are, element by element,
 *
 *   delta_i  = f32(dimScale_i * (sign_m * eps_m,i))      (sign in {-1, 0, +1}: exact)
 *   theta_mi = f32(centre[parent_m]_i + delta_i)
 *
 * where eps_m,i = normalAt([k0, k1], i, a, b, c), bit-identical in TS and WGSL. Each operation is
 * rounded to f32 separately (the GPU kernel stores delta before adding, so no fused multiply-add
 * can change the bits): the GPU-built population equals this TypeScript reference bit for bit.
 * That is what lets a GA genome be rebuilt exactly from its seed chain.
 */
import { normal4 } from './philox';

export interface MemberSpec {
  /** Index into PopulationSpec.centres. */
  parent: number;
  /** -1, +1: perturbed; 0: an exact copy of the centre (ES centre evaluation, GA elites). */
  sign: -1 | 0 | 1;
  /** Philox key and counter words a, b, c of this member's noise stream. */
  k0: number;
  k1: number;
  a: number;
  b: number;
  c: number;
  /** What the member is for, so metrics can tell samples from the centre or elites. */
  role: 'sample' | 'centre' | 'elite';
}

export interface PopulationSpec {
  dim: number;
  centres: Float32Array[];
  /** Per-dimension noise scale (sigma, or SNES's sigma vector), f32. */
  dimScale: Float32Array;
  members: MemberSpec[];
}

/** A weighted noise stream: contributes coef * eps and coefSq * eps^2 to two weighted sums. */
export interface NoiseTerm {
  k0: number;
  k1: number;
  a: number;
  b: number;
  c: number;
  /** Weight of eps; rounded to f32 before use, on both backends. */
  coef: number;
  /** Weight of eps^2 (SNES's scale update); rounded to f32; used only when squares are asked for. */
  coefSq?: number;
}

export interface WeightedNoiseSums {
  /** sum_t coef_t * eps_t[i] */
  sum: Float64Array;
  /** sum_t coefSq_t * eps_t[i]^2, when requested */
  sumSq?: Float64Array;
}

/** Computes weighted sums of noise streams: on the GPU (kernels/noise-weighted-sum) or in TS. */
export interface NoiseBackend {
  weightedSums(dim: number, terms: NoiseTerm[], squares: boolean): Promise<WeightedNoiseSums>;
}

/** The noise stream of a member or term into `out` (length = dim), as f32 values. */
export function noiseStream(out: Float32Array, k0: number, k1: number, a: number, b: number, c: number): Float32Array {
  const dim = out.length;
  for (let blk = 0; blk * 4 < dim; blk++) {
    const z = normal4(k0, k1, blk, a, b, c);
    for (let j = 0; j < 4 && blk * 4 + j < dim; j++) out[blk * 4 + j] = z[j];
  }
  return out;
}

/** TypeScript reference of one member's parameters (see file comment for the exact rounding). */
export function buildMember(spec: PopulationSpec, m: number, out = new Float32Array(spec.dim)): Float32Array {
  const mem = spec.members[m];
  const centre = spec.centres[mem.parent];
  if (mem.sign === 0) {
    // +0 delta: centre + 0 (turns -0 into +0, exactly as the kernel does).
    for (let i = 0; i < spec.dim; i++) out[i] = centre[i] + 0;
    return out;
  }
  noiseStream(out, mem.k0, mem.k1, mem.a, mem.b, mem.c);
  for (let i = 0; i < spec.dim; i++) {
    const delta = Math.fround(spec.dimScale[i] * (mem.sign * out[i]));
    out[i] = Math.fround(centre[i] + delta);
  }
  return out;
}

/** Applies one perturbation to a vector exactly as buildMember does (GA genome replay). */
export function applyPerturbation(
  base: Float32Array,
  dimScale: Float32Array,
  sign: -1 | 1,
  k0: number,
  k1: number,
  a = 0,
  b = 0,
  c = 0,
): Float32Array {
  const out = noiseStream(new Float32Array(base.length), k0, k1, a, b, c);
  for (let i = 0; i < base.length; i++) out[i] = Math.fround(base[i] + Math.fround(dimScale[i] * (sign * out[i])));
  return out;
}

/** float64 reference of the weighted sums (the GPU accumulates in f32; see tests for tolerance). */
export const cpuNoiseBackend: NoiseBackend = {
  async weightedSums(dim, terms, squares) {
    const sum = new Float64Array(dim);
    const sumSq = squares ? new Float64Array(dim) : undefined;
    const eps = new Float32Array(dim);
    for (const t of terms) {
      const coef = Math.fround(t.coef);
      const coefSq = Math.fround(t.coefSq ?? 0);
      if (coef === 0 && (!sumSq || coefSq === 0)) continue;
      noiseStream(eps, t.k0, t.k1, t.a, t.b, t.c);
      for (let i = 0; i < dim; i++) {
        sum[i] += coef * eps[i];
        if (sumSq) sumSq[i] += coefSq * eps[i] * eps[i];
      }
    }
    return { sum, sumSq };
  },
};

export function filled(dim: number, value: number): Float32Array {
  return new Float32Array(dim).fill(value);
}
