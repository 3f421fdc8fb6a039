/**
 * The adapter-ceiling microkernels of `npm run bench:speed` (src/kernels/ceiling-fma.ts,
 * src/kernels/ceiling-copy.ts) against their float64 TypeScript references, on seeded random
 * inputs, with poisoned (NaN-pattern) output buffers so an element the kernel fails to write shows.
 *
 * FMA tolerance: relative error below 1e-5. Why: every chain is x <- a x + b with a in [0.5, 0.9),
 * b in [0.25, 1), x0 in [0, 1), so x stays in [0, 10] and above 0.25 after one step; each f32 step
 * (fused or not) adds at most 2 roundings of relative size 2^-24 ~ 6e-8 of values of the same
 * magnitude, and the contraction a < 0.9 damps earlier errors, so a chain's error stays below
 * 2 x 6e-8 / (1 - 0.9) ~ 1.2e-6 relative; summing 8 positive chains adds 7 roundings (~4e-7).
 * 1e-5 leaves a factor ~6. The copy must be exact (bit for bit).
 */
import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../src/gpu/acquire';
import { CopyCeiling, copyCeilingBytes, copyCeilingReference } from '../src/kernels/ceiling-copy';
import {
  FMA_CHAINS,
  FmaCeiling,
  fmaCeilingFlops,
  fmaCeilingInputs,
  fmaCeilingReference,
} from '../src/kernels/ceiling-fma';
import { PhiloxStream } from '../src/rng/philox';
import { POISON_U32, maxRelError, poisoned, useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x5eed0020); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const FMA_TOL = 1e-5;

describe(`ceiling microkernels vs float64 references (seed ${seed})`, () => {
  it('FMA chains: 1,000 threads (not a multiple of the workgroup) x 37 iterations', async () => {
    const rng = new PhiloxStream(seed, 1);
    const inputs = fmaCeilingInputs(1000, () => rng.next());
    const k = new FmaCeiling(gpu(), inputs, 37, poisoned(1000 * 4));
    k.submit();
    const got = await k.read();
    k.destroy();
    const want = fmaCeilingReference(inputs, 37);
    expect(new Uint32Array(got.buffer).some((w) => w === POISON_U32)).toBe(false);
    const err = maxRelError(got, want);
    console.log(`ceiling-fma max relative error ${err.toExponential(2)} (tolerance ${FMA_TOL})`);
    expect(err).toBeLessThan(FMA_TOL);
    expect(k.flops).toBe(1000 * 37 * FMA_CHAINS * 8);
    expect(fmaCeilingFlops(1, 1)).toBe(64);
  });

  it('FMA chains over a split (2-D) dispatch grid write every thread and nothing past the end', async () => {
    const g2 = await acquireGpu({ limits: { maxComputeWorkgroupsPerDimension: 7 } });
    try {
      const rng = new PhiloxStream(seed, 2);
      const threads = 1500; // 24 workgroups of 64 -> a 6 x 4 grid
      const inputs = fmaCeilingInputs(threads, () => rng.next());
      const k = new FmaCeiling(g2, inputs, 5, poisoned((threads + 16) * 4));
      k.submit(3); // repeated dispatches recompute the same values
      const all = new Uint32Array(await g2.read(k.output));
      k.destroy();
      const got = new Float32Array(all.buffer, 0, threads * 4);
      expect(new Uint32Array(got.buffer, 0, threads * 4).some((w) => w === POISON_U32)).toBe(false);
      expect([...all.subarray(threads * 4)].every((w) => w === POISON_U32)).toBe(true);
      expect(maxRelError(got, fmaCeilingReference(inputs, 5))).toBeLessThan(FMA_TOL);
    } finally {
      g2.destroy();
    }
  });

  it('vec4 copy: 12,345 vec4s copied bit for bit, the element past the end untouched', async () => {
    const rng = new PhiloxStream(seed, 3);
    const n = 12345;
    const input = Float32Array.from({ length: n * 4 }, () => (rng.next() - 0.5) * 2 ** (rng.int(40) - 20));
    const k = new CopyCeiling(gpu(), n, input, poisoned((n + 1) * 4));
    k.submit(2);
    const all = new Uint32Array(await gpu().read(k.output));
    k.destroy();
    const got = new Float32Array(all.buffer, 0, n * 4);
    const want = copyCeilingReference(input);
    expect(maxRelError(got, want)).toBe(0);
    expect(Buffer.from(got.buffer, 0, n * 16).equals(Buffer.from(input.buffer))).toBe(true);
    expect([...all.subarray(n * 4, n * 4 + 4)].every((w) => w === POISON_U32)).toBe(true);
    expect(k.bytes).toBe(copyCeilingBytes(n));
    expect(copyCeilingBytes(1)).toBe(32);
  });
});
