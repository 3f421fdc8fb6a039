import { describe, expect, it } from 'vitest';
import { normal4, philox4x32, uniform4, PhiloxStream } from '../src/rng/philox';
import { rngFill } from '../src/kernels/rng-fill';
import { POISON_U32, useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();

/** Fresh random key per run (logged so a failure can be reproduced). */
const seed = testSeed(0x5eed0006); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const f32bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

describe('Philox4x32-10 in TypeScript', () => {
  it('matches the Random123 known-answer vectors', () => {
    // kat_vectors of Random123 for philox4x32_10.
    expect(philox4x32(0, 0, 0, 0, 0, 0)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
    ]);
    expect(philox4x32(0xa4093822, 0x299f31d0, 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344)).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });

  it('uniforms lie in [0,1) and PhiloxStream.int stays in range', () => {
    const s = new PhiloxStream(seed, 0);
    for (let i = 0; i < 2000; i++) {
      const u = s.next();
      expect(u >= 0 && u < 1).toBe(true);
      const k = s.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
    }
  });
});

describe(`Philox on the GPU is bit-identical to TypeScript (seed ${seed})`, () => {
  const blocks = 4096;
  for (const kind of ['u32', 'uniform', 'normal'] as const) {
    it(`${kind}: ${blocks * 4} values over scattered counters`, async () => {
      const key: [number, number] = [seed, 0x9e3779b9 ^ seed];
      const abc: [number, number, number] = [seed % 1000, 0xffffffff, 17];
      const first = 0xfffff000; // counters wrap across 2^32
      const got = await rngFill(gpu(), kind, key, blocks, abc, first);
      expect(got.some((w) => w === POISON_U32)).toBe(false);
      let mismatches = 0;
      let firstBad = '';
      for (let b = 0; b < blocks; b++) {
        const c0 = (first + b) >>> 0;
        const want =
          kind === 'u32'
            ? philox4x32(key[0], key[1], c0, ...abc)
            : (kind === 'uniform' ? uniform4 : normal4)(key[0], key[1], c0, ...abc).map(f32bits);
        for (let j = 0; j < 4; j++) {
          if (got[b * 4 + j] !== want[j]) {
            if (!mismatches) firstBad = `block ${b} word ${j}: gpu ${got[b * 4 + j]} ts ${want[j]}`;
            mismatches++;
          }
        }
      }
      expect(mismatches, firstBad).toBe(0);
    });
  }
});

describe('GPU normals are standard normal (statistical checks)', () => {
  it('mean, variance, kurtosis and tail frequencies', async () => {
    const blocks = 1 << 16; // 262,144 samples
    const words = await rngFill(gpu(), 'normal', [seed, 1], blocks);
    const z = new Float32Array(words.buffer);
    const n = z.length;
    let s = 0,
      s2 = 0,
      s4 = 0,
      over2 = 0,
      over3 = 0,
      maxAbs = 0;
    for (const v of z) {
      s += v;
      s2 += v * v;
      s4 += v ** 4;
      const a = Math.abs(v);
      if (a > 2) over2++;
      if (a > 3) over3++;
      maxAbs = Math.max(maxAbs, a);
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    // Tolerances are 5 standard errors: mean se = 1/sqrt(n); var se = sqrt(2/n); E[z^4] = 3, se = sqrt(96/n).
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(s4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    // P(|z|>2) = 0.0455, P(|z|>3) = 0.0027: binomial 5-sigma bands.
    const band = (p: number) => 5 * Math.sqrt((p * (1 - p)) / n);
    expect(Math.abs(over2 / n - 0.0455003)).toBeLessThan(band(0.0455003));
    expect(Math.abs(over3 / n - 0.0026998)).toBeLessThan(band(0.0026998));
    // Documented bound of the fixed-point Box-Muller: |z| <= sqrt(62 ln 2).
    expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(62 * Math.LN2) + 1e-6);
    expect(maxAbs).toBeGreaterThan(3.5);
  });
});
