/**
 * Per-block symmetric quantisation of a parameter vector to int8 or int16, one f32 scale per block:
 * value_i = f32(q_i * scale_block(i)). The dequantised vector is what a share link carries: the
 * replayed learner is defined by these values, not by the original floats.
 */

export type QuantBits = 8 | 16;

export interface Quantised {
  bits: QuantBits;
  blockSize: number;
  /** ceil(n / blockSize) scales, finite and >= 0. */
  scales: Float32Array;
  /** n values in [-qmax, qmax]. */
  values: Int8Array | Int16Array;
}

export const QMAX: Record<QuantBits, number> = { 8: 127, 16: 32767 };

export function quantise(params: Float32Array, bits: QuantBits, blockSize: number): Quantised {
  if (!(bits === 8 || bits === 16)) throw new RangeError(`quantisation bits must be 8 or 16, got ${bits}`);
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65535) {
    throw new RangeError(`quantisation block size must be an integer in [1, 65535], got ${blockSize}`);
  }
  const qmax = QMAX[bits];
  const n = params.length;
  const blocks = Math.ceil(n / blockSize);
  const scales = new Float32Array(blocks);
  const values = bits === 8 ? new Int8Array(n) : new Int16Array(n);
  for (let b = 0; b < blocks; b++) {
    const lo = b * blockSize;
    const hi = Math.min(n, lo + blockSize);
    let maxAbs = 0;
    for (let i = lo; i < hi; i++) {
      const v = params[i];
      if (!Number.isFinite(v)) throw new RangeError(`parameter ${i} is ${v}: only finite learners can be shared`);
      maxAbs = Math.max(maxAbs, Math.abs(v));
    }
    const scale = Math.fround(maxAbs / qmax);
    scales[b] = scale;
    if (scale === 0) continue; // all zeros (or subnormal dust): values stay 0
    for (let i = lo; i < hi; i++) values[i] = Math.max(-qmax, Math.min(qmax, Math.round(params[i] / scale)));
  }
  return { bits, blockSize, scales, values };
}

/** f32(q * scale): one correctly rounded f32 product, identical on every platform. */
export function dequantise(q: Quantised): Float32Array {
  const out = new Float32Array(q.values.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(q.values[i] * q.scales[Math.floor(i / q.blockSize)]);
  return out;
}
