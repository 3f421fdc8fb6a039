/**
 * Noise kernels on the GPU against their TypeScript references:
 * - noise-population builds every member bit-identical to buildMember() (poisoned output, odd
 *   dims, offsets, chunks under lowered limits);
 * - noise-weighted-sum (the ES gradient estimate) equals the float64 reference within a proven
 *   f32 rounding bound, and a whole ES run on the GPU tracks the TS run.
 */
import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../src/gpu/acquire';
import { RNG_DOMAIN } from '../src/rng/philox';
import { GpuPopulation, maxMembersPerBuffer } from '../src/kernels/noise-population';
import { TERMS_PER_CHUNK, gpuNoiseBackend, weightedNoiseSumsGpu } from '../src/kernels/noise-weighted-sum';
import { buildMember, cpuNoiseBackend, noiseStream, type NoiseTerm, type PopulationSpec } from '../src/rng/noise';
import { negSphere, runObjective } from '../src/meta/objective';
import { initStrategy, strategyFor } from '../src/meta/strategies';
import { GA_DEFAULTS } from '../src/meta/strategies/ga';
import { OPENAI_ES_DEFAULTS, type OpenAiEsState } from '../src/meta/strategies/openai-es';
import { SNES_DEFAULTS } from '../src/meta/strategies/snes';
import { POISON_U32, poisoned, useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x5eed0002); // fixed (VSML_TEST_SEED overrides); printed in the describe name

function u32(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

async function checkBitExact(spec: PopulationSpec, offset: number, count: number): Promise<void> {
  const g = gpu();
  const pop = new GpuPopulation(g, spec);
  const out = g.storage('out', poisoned(count * spec.dim));
  pop.build(offset, count, out);
  const got = await g.readU32(out, 0, count * spec.dim);
  pop.destroy();
  out.destroy();
  expect(got.includes(POISON_U32)).toBe(false);
  let bad = 0;
  let first = '';
  for (let m = 0; m < count; m++) {
    const want = u32(buildMember(spec, offset + m));
    for (let i = 0; i < spec.dim; i++) {
      if (got[m * spec.dim + i] !== want[i]) {
        if (!bad)
          first = `member ${offset + m} element ${i}: gpu 0x${got[m * spec.dim + i].toString(16)} ts 0x${want[i].toString(16)}`;
        bad++;
      }
    }
  }
  expect(bad, first).toBe(0);
}

describe(`noise-population is bit-identical to buildMember (seed ${seed})`, () => {
  it('OpenAI ES population (antithetic pairs + centre), D = 2384', async () => {
    const theta = new Float32Array(2384);
    noiseStream(theta, seed, RNG_DOMAIN.test, 1, 2, 3);
    theta[5] = -0; // -0 centre + 0 delta -> +0 on both sides
    const s = initStrategy({ ...OPENAI_ES_DEFAULTS, pairs: 6, sigma: 0.05 }, theta, seed);
    const spec = strategyFor(s).ask({ ...s, generation: 17 });
    await checkBitExact(spec, 0, spec.members.length);
  });

  it('SNES population with per-dimension scales, odd D = 103, from an offset', async () => {
    const mu = new Float32Array(103);
    noiseStream(mu, seed, RNG_DOMAIN.test, 4, 5, 6);
    const s = initStrategy({ ...SNES_DEFAULTS, popSize: 10 }, mu, seed ^ 1);
    if (s.kind !== 'snes') throw new Error('unreachable');
    noiseStream(s.sigma, seed, RNG_DOMAIN.test, 7, 8, 9);
    for (let i = 0; i < s.sigma.length; i++) s.sigma[i] = Math.fround(Math.abs(s.sigma[i]) * 0.1);
    const spec = strategyFor(s).ask(s);
    await checkBitExact(spec, 3, spec.members.length - 3);
  });

  it('GA population: elites copied, children mutated from several parents (D = 61)', async () => {
    const theta0 = new Float32Array(61);
    noiseStream(theta0, seed, RNG_DOMAIN.test, 10, 11, 12);
    const { state } = await runObjective(
      initStrategy({ ...GA_DEFAULTS, popSize: 12, truncation: 4, elites: 2, sigma: 0.1 }, theta0, seed),
      negSphere,
      3,
    );
    const spec = strategyFor(state).ask(state);
    expect(spec.centres).toHaveLength(4);
    await checkBitExact(spec, 0, spec.members.length);
  });
});

describe('chunking under lowered limits', () => {
  it('maxMembersPerBuffer follows maxStorageBufferBindingSize; chunks rebuild the same population', async () => {
    const small = await acquireGpu({ limits: { maxStorageBufferBindingSize: 4096 } });
    try {
      const dim = 100; // 400 bytes per member -> 10 members per binding
      expect(maxMembersPerBuffer(small, dim)).toBe(10);
      const theta = new Float32Array(dim).fill(0.5);
      const s = initStrategy({ ...OPENAI_ES_DEFAULTS, pairs: 12, sigma: 0.1 }, theta, seed);
      const spec = strategyFor(s).ask(s); // 25 members -> chunks of 10, 10, 5
      const pop = new GpuPopulation(small, spec);
      expect(() => pop.build(0, 11)).toThrow(/storage binding/);
      for (let first = 0; first < spec.members.length; first += 10) {
        const count = Math.min(10, spec.members.length - first);
        const out = small.storage('chunk', poisoned(count * dim));
        pop.build(first, count, out);
        const got = await small.readU32(out, 0, count * dim);
        for (let m = 0; m < count; m++)
          expect(got.subarray(m * dim, (m + 1) * dim)).toEqual(u32(buildMember(spec, first + m)));
        out.destroy();
      }
      pop.destroy();
      // The gradient kernel batches its chunks to the same limit and still sums every term.
      // 100 dims: 800 bytes of partial sums per chunk of 32 terms -> batches of 4 chunks in 4 KiB.
      const terms = makeTerms(200, 3);
      const got = await weightedNoiseSumsGpu(small, 100, terms, true, { poisonOutputs: true });
      const ref = reference(100, terms);
      expectWithinBound(got.sum, ref.want.sum, ref.bound);
      expectWithinBound(got.sumSq!, ref.want.sumSq, ref.boundSq);
    } finally {
      small.destroy();
    }
  });
});

function makeTerms(n: number, salt: number): NoiseTerm[] {
  const coefs = new Float32Array(2 * n);
  noiseStream(coefs, seed, RNG_DOMAIN.test, salt, 0, 0);
  return Array.from({ length: n }, (_, t) => ({
    k0: seed,
    k1: RNG_DOMAIN.esNoise,
    a: t,
    b: salt,
    c: 0,
    coef: coefs[2 * t],
    coefSq: coefs[2 * t + 1],
  }));
}

/**
 * float64 reference sums and their error bounds. The noise is bit-identical on both sides and the
 * coefficients are the same f32 values, so the only difference is rounding: each chunk of
 * k <= TERMS_PER_CHUNK terms is accumulated in f32 (one rounding per product and per addition,
 * possibly fused), then the chunks are added in float64. The standard bound for a recursive f32 sum
 * of k products is gamma_{k+1} * sum |coef * eps| with gamma_n = n u / (1 - n u), u = 2^-24; the
 * squared terms have one more product (gamma_{k+2}). Summing over chunks gives the per-element
 * bound. For 1,000 terms of comparable size this is about 2e-6 relative to sum |coef * eps|.
 */
function reference(dim: number, terms: NoiseTerm[]) {
  const want = { sum: new Float64Array(dim), sumSq: new Float64Array(dim) };
  const abs = new Float64Array(dim);
  const absSq = new Float64Array(dim);
  const eps = new Float32Array(dim);
  for (const t of terms) {
    noiseStream(eps, t.k0, t.k1, t.a, t.b, t.c);
    const c = Math.fround(t.coef);
    const cs = Math.fround(t.coefSq ?? 0);
    for (let i = 0; i < dim; i++) {
      want.sum[i] += c * eps[i];
      want.sumSq[i] += cs * eps[i] * eps[i];
      abs[i] += Math.abs(c * eps[i]);
      absSq[i] += Math.abs(cs) * eps[i] * eps[i];
    }
  }
  const gamma = (n: number) => (n * 2 ** -24) / (1 - n * 2 ** -24);
  const k = Math.min(TERMS_PER_CHUNK, terms.length);
  return { want, bound: abs.map((a) => gamma(k + 1) * a), boundSq: absSq.map((a) => gamma(k + 2) * a) };
}

function expectWithinBound(got: Float64Array, want: Float64Array, bound: Float64Array): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    expect(Number.isFinite(got[i]), `element ${i} is ${got[i]}`).toBe(true);
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / bound[i]);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

describe(`GPU gradient estimate equals the TypeScript one (seed ${seed})`, () => {
  it('weighted sums of 1,000 noise streams over D = 2384, with and without squares', async () => {
    const terms = makeTerms(1000, 1);
    const ref = reference(2384, terms);
    for (const squares of [false, true]) {
      const got = await weightedNoiseSumsGpu(gpu(), 2384, terms, squares, { poisonOutputs: true });
      expectWithinBound(got.sum, ref.want.sum, ref.bound);
      if (squares) expectWithinBound(got.sumSq!, ref.want.sumSq, ref.boundSq);
      else expect(got.sumSq).toBeUndefined();
    }
  });

  it('the OpenAI ES gradient of one generation: GPU vs TS (tail elements of D = 2385 included)', async () => {
    const dim = 2385;
    const s0 = initStrategy(
      { ...OPENAI_ES_DEFAULTS, pairs: 128, sigma: 0.05, lr: 0.025, evalCentre: false },
      new Float32Array(dim),
      seed,
    ) as OpenAiEsState;
    const impl = strategyFor(s0);
    const n = impl.ask(s0).members.length;
    const fitness = Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed));
    // Record the terms both backends are asked for.
    const seen: { terms: NoiseTerm[] }[] = [];
    const spy = (b: typeof cpuNoiseBackend) => ({
      weightedSums: (d: number, t: NoiseTerm[], sq: boolean) => (seen.push({ terms: t }), b.weightedSums(d, t, sq)),
    });
    const a = await impl.tell(s0, fitness, spy(gpuNoiseBackend(gpu(), { poisonOutputs: true })));
    const b = await impl.tell(s0, fitness, spy(cpuNoiseBackend));
    expect(seen[0].terms).toEqual(seen[1].terms);
    const gGpu = await weightedNoiseSumsGpu(gpu(), dim, seen[0].terms, false);
    const ref = reference(dim, seen[1].terms);
    expectWithinBound(gGpu.sum, ref.want.sum, ref.bound);
    expect(a.info.gradNorm).toBeCloseTo(b.info.gradNorm, 4);
  });

  it('an OpenAI ES run on the sphere with the GPU backend tracks the TS run', async () => {
    const cfg = { ...OPENAI_ES_DEFAULTS, pairs: 32, sigma: 0.1, lr: 0.05, evalCentre: false };
    const start = initStrategy(cfg, new Float32Array(64).fill(1), seed);
    const viaGpu = await runObjective(start, negSphere, 10, gpuNoiseBackend(gpu()));
    const viaTs = await runObjective(start, negSphere, 10, cpuNoiseBackend);
    // Same noise, same ranks; only the gradient rounding differs (bounded above), and Adam
    // normalises steps, so the paths agree to float32 rounding accumulated over 10 steps.
    for (let g = 0; g < 10; g++)
      expect(Math.abs(viaGpu.curve[g] - viaTs.curve[g])).toBeLessThan(1e-4 * Math.abs(viaTs.curve[g]));
  });
});
