/**
 * Counter-based random numbers: Philox4x32-10 (Salmon et al., SC'11), implemented identically in
 * TypeScript and WGSL. Same (key, counter) -> same bits on the CPU and on every GPU.
 *
 * Why everything here is integer arithmetic: WGSL gives no bit-exactness guarantee for log, cos or
 * sqrt, and a shader compiler may fuse a*b+c into an FMA. So the standard normal is computed in
 * fixed point (log2 by repeated squaring, exact integer square root, CORDIC for cos/sin) and only
 * the final integer is converted to f32, exactly (|value| < 2^24, scaled by a power of two).
 *
 * Conventions used across the framework: key = [seed, domain] where `domain` names the purpose
 * (see RNG_DOMAIN), counter = [index, a, b, c] with a..c identifying the consumer (member, task...).
 *
 * Normal: Box-Muller on u = (w0>>1 + 1) / 2^31 and angle w1 / 2^32 turns, so |z| <= sqrt(62 ln 2)
 * = 6.56 (the tail beyond has probability 5e-11; documented, tested). Resolution 2^-20.
 */

import philoxTemplate from './philox.wgsl?raw';
import { fillWgsl } from '../wgsl/template';

/** Named RNG domains: the second key word, so that streams of different purposes never overlap. */
export const RNG_DOMAIN = {
  test: 0,
  esNoise: 1,
  stateInit: 2,
  projection: 3,
  taskSampling: 4,
  gaMutation: 5,
  paramInit: 6,
  labelPermutation: 7,
  replay: 8,
} as const;

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** atan(2^-i) in Q2.30, i = 0..29, and the CORDIC gain 1/prod(sqrt(1 + 2^-2i)) in Q2.30. */
const ATAN_Q30 = [
  843314857, 497837829, 263043837, 133525159, 67021687, 33543516, 16775851, 8388437, 4194283, 2097149, 1048576, 524288,
  262144, 131072, 65536, 32768, 16384, 8192, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2,
];
const CORDIC_GAIN_Q30 = 652032874;
const TWO_LN2_Q30 = 1488522236; // 2 ln 2
const HALF_PI_Q30 = 1686629713; // pi / 2
const CORDIC_ITERS = 30;
const LOG2_FRAC_BITS = 24;

// ---------------------------------------------------------------------------------------------
// TypeScript implementation. All values are kept as uint32 (>>> 0) or int32 (| 0).

/** 32x32 -> 64 bit product as [hi, lo], via 16-bit halves (exact in doubles, same as WGSL). */
function mulhilo(a: number, b: number): [number, number] {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  const lo = ((mid << 16) | (p00 & 0xffff)) >>> 0;
  const hi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, lo];
}

/** Philox4x32-10 block: 4 uint32 words for key [k0, k1] and counter [c0..c3]. */
export function philox4x32(
  k0: number,
  k1: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
): [number, number, number, number] {
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  let key0 = k0 >>> 0;
  let key1 = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const [h0, l0] = mulhilo(M0, x0);
    const [h1, l1] = mulhilo(M1, x2);
    const n0 = (h1 ^ x1 ^ key0) >>> 0;
    const n2 = (h0 ^ x3 ^ key1) >>> 0;
    x0 = n0;
    x1 = l1;
    x2 = n2;
    x3 = l0;
    key0 = (key0 + W0) >>> 0;
    key1 = (key1 + W1) >>> 0;
  }
  return [x0, x1, x2, x3];
}

/** Uniform f32 in [0, 1) with 24 random bits: exactly representable, identical on GPU. */
export function u32ToUnitFloat(w: number): number {
  return (w >>> 8) * 2 ** -24;
}

/** Fixed-point log2 of an integer u in [1, 2^31], in Q.24. */
function log2FixedQ24(u: number): number {
  const e = 31 - Math.clz32(u);
  let m = (u << (31 - e)) >>> 0; // Q1.31 in [1, 2)
  let frac = 0;
  for (let i = 0; i < LOG2_FRAC_BITS; i++) {
    const [hi] = mulhilo(m, m); // m^2 / 2^32, i.e. the square in Q2.30
    frac = frac << 1;
    if (hi >= 0x80000000) {
      frac |= 1;
      m = hi;
    } else {
      m = (hi << 1) >>> 0;
    }
  }
  return ((e << LOG2_FRAC_BITS) | frac) >>> 0;
}

/** floor(sqrt(q * 2^16)) for q < 2^30: digit-by-digit, 24 result bits. */
function isqrtShift16(q: number): number {
  let rem = 0;
  let root = 0;
  for (let i = 0; i < 24; i++) {
    const shift = 30 - 2 * i;
    const pair = shift >= 0 ? (q >>> shift) & 3 : 0;
    rem = ((rem << 2) | pair) >>> 0;
    root = (root << 1) >>> 0;
    const trial = ((root << 1) | 1) >>> 0;
    if (rem >= trial) {
      rem = (rem - trial) >>> 0;
      root = (root | 1) >>> 0;
    }
  }
  return root;
}

/** CORDIC rotation: [cos, sin] of theta (Q2.30 radians, 0 <= theta < pi/2), both Q2.30 int32. */
function cordicQ30(theta: number): [number, number] {
  let x = CORDIC_GAIN_Q30 | 0;
  let y = 0;
  let z = theta | 0;
  for (let i = 0; i < CORDIC_ITERS; i++) {
    const dx = y >> i;
    const dy = x >> i;
    if (z >= 0) {
      x = (x - dx) | 0;
      y = (y + dy) | 0;
      z = (z - ATAN_Q30[i]) | 0;
    } else {
      x = (x + dx) | 0;
      y = (y - dy) | 0;
      z = (z + ATAN_Q30[i]) | 0;
    }
  }
  return [x, y];
}

/** signed Q2.30 value times radius (Q.20) -> f32 value. */
function scaleToFloat(radiusQ20: number, trigQ30: number): number {
  const neg = trigQ30 < 0;
  const mag = (neg ? -trigQ30 : trigQ30) >>> 0;
  const [hi, lo] = mulhilo(radiusQ20, mag);
  const zQ20 = ((hi << 2) | (lo >>> 30)) >>> 0; // (r * t) >> 30, < 2^23
  const z = zQ20 * 2 ** -20;
  return neg ? -z : z;
}

/** Two standard normals from two uint32 words (fixed-point Box-Muller; see file comment). */
export function normalPair(wu: number, wv: number): [number, number] {
  const u = ((wu >>> 1) + 1) >>> 0; // [1, 2^31]
  const t = ((31 << LOG2_FRAC_BITS) - log2FixedQ24(u)) >>> 0; // -log2(u / 2^31), Q.24
  const [h, l] = mulhilo(t, TWO_LN2_Q30);
  const r2 = ((h << 2) | (l >>> 30)) >>> 0; // -2 ln(u), Q.24
  const radius = isqrtShift16(r2); // Q.20
  const quadrant = wv >>> 30;
  const f = wv & 0x3fffffff; // position inside the quadrant, Q.30 of a quarter turn
  const [th, tl] = mulhilo(f, HALF_PI_Q30);
  const theta = ((th << 2) | (tl >>> 30)) >>> 0; // Q2.30 radians
  const [c, s] = cordicQ30(theta);
  let cs: number;
  let sn: number;
  if (quadrant === 0) {
    cs = c;
    sn = s;
  } else if (quadrant === 1) {
    cs = -s;
    sn = c;
  } else if (quadrant === 2) {
    cs = -c;
    sn = -s;
  } else {
    cs = s;
    sn = -c;
  }
  return [scaleToFloat(radius, cs), scaleToFloat(radius, sn)];
}

/** Four uniform f32 in [0,1) for (key, counter). */
export function uniform4(k0: number, k1: number, c0: number, c1 = 0, c2 = 0, c3 = 0): number[] {
  return philox4x32(k0, k1, c0, c1, c2, c3).map(u32ToUnitFloat);
}

/** Four standard normals for (key, counter). */
export function normal4(k0: number, k1: number, c0: number, c1 = 0, c2 = 0, c3 = 0): number[] {
  const w = philox4x32(k0, k1, c0, c1, c2, c3);
  return [...normalPair(w[0], w[1]), ...normalPair(w[2], w[3])];
}

/**
 * Element i of the normal stream (key; a, b, c): block i>>2, component i&3. Matches WGSL
 * `rng_normal_at`. Used to regenerate noise and initial states without storing them.
 */
export function normalAt(k0: number, k1: number, i: number, a = 0, b = 0, c = 0): number {
  return normal4(k0, k1, Math.floor(i / 4), a, b, c)[i & 3];
}

/** Element i of the uniform stream, as `normalAt`. */
export function uniformAt(k0: number, k1: number, i: number, a = 0, b = 0, c = 0): number {
  return u32ToUnitFloat(philox4x32(k0, k1, Math.floor(i / 4), a, b, c)[i & 3]);
}

/** Fill `out` with the normal stream (key; a, b, c) from element 0: 4 per Philox block. */
export function fillNormal(out: Float32Array | Float64Array, k0: number, k1: number, a = 0, b = 0, c = 0): void {
  for (let blk = 0; blk * 4 < out.length; blk++) {
    const n = normal4(k0, k1, blk, a, b, c);
    for (let j = 0; j < 4 && blk * 4 + j < out.length; j++) out[blk * 4 + j] = n[j];
  }
}

/** A small sequential helper over Philox for CPU-side sampling (task sampling, shuffles). */
export class PhiloxStream {
  private block: number[] = [];
  private counter = 0;
  constructor(
    readonly k0: number,
    readonly k1: number,
    readonly c1 = 0,
    readonly c2 = 0,
  ) {}
  nextU32(): number {
    if (this.block.length === 0) {
      this.block = philox4x32(this.k0, this.k1, this.counter++, this.c1, this.c2, 0);
    }
    return this.block.shift()!;
  }
  /** Uniform float in [0, 1). */
  next(): number {
    return u32ToUnitFloat(this.nextU32());
  }
  /** Integer in [0, n), rejection-free via 53-bit-safe multiply (bias < 2^-32 * n). */
  int(n: number): number {
    return Math.floor((this.nextU32() / 2 ** 32) * n);
  }
  /** Fisher-Yates shuffle in place. */
  shuffle<T>(arr: T[] | Uint32Array | Int32Array): typeof arr {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }
}

// ---------------------------------------------------------------------------------------------
// WGSL implementation (philox.wgsl, the constants above filled in): include PHILOX_WGSL in any
// shader that needs random numbers.

export const PHILOX_WGSL = fillWgsl(
  philoxTemplate,
  {
    M0: `${M0}u`,
    M1: `${M1}u`,
    W0: `${W0}u`,
    W1: `${W1}u`,
    LOG2_FRAC_BITS: `${LOG2_FRAC_BITS}u`,
    // Square m (Q1.31) and take the next fraction bit: the top bit of m^2, renormalised.
    LOG2_STEPS: Array.from(
      { length: LOG2_FRAC_BITS },
      () => '  { let hi = rng_mulhilo(m, m).x; let top = hi >> 31u; frac = (frac << 1u) | top; m = hi << (1u - top); }',
    ).join('\n'),
    // Digit by digit: the next pair of q's bits (0 past the end), then keep the trial digit if it fits.
    ISQRT_STEPS: Array.from(
      { length: 24 },
      (_, i) =>
        `  { rem = (rem << 2u)${30 - 2 * i >= 0 ? ` | ((q >> ${30 - 2 * i}u) & 3u)` : ''}; root = root << 1u; let trial = (root << 1u) | 1u; let ok = rem >= trial; rem = select(rem, rem - trial, ok); root = root | select(0u, 1u, ok); }`,
    ).join('\n'),
    // Rotate towards z = 0 by atan(2^-i).
    CORDIC_STEPS: ATAN_Q30.slice(0, CORDIC_ITERS)
      .map(
        (t, i) =>
          `  { let dx = y >> ${i}u; let dy = x >> ${i}u; let pos = z >= 0i; x = select(x + dx, x - dx, pos); y = select(y - dy, y + dy, pos); z = select(z + ${t}i, z - ${t}i, pos); }`,
      )
      .join('\n'),
    CORDIC_GAIN_Q30: `${CORDIC_GAIN_Q30}i`,
    TWO_LN2_Q30: `${TWO_LN2_Q30}u`,
    HALF_PI_Q30: `${HALF_PI_Q30}u`,
    TWO_POW_M24: `${2 ** -24}`,
    TWO_POW_M20: `${2 ** -20}`,
  },
  'philox',
);
