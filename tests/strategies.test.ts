/**
 * Search strategies on pure-TypeScript objectives (no GPU): fitness shaping and Adam against
 * hand-computed values, the ES update against its formula, convergence on sphere and Rastrigin
 * (D = 100, fixed seeds, stated thresholds), GA genome replay, failed rollouts, serialisation.
 */
import { describe, expect, it } from 'vitest';
import { RNG_DOMAIN, normalAt } from '../src/rng/philox';
import { adamInit, adamStep } from '../src/meta/adam';
import { centredRanks, nesUtilities, rankOrder, summarizeFitness, zScores } from '../src/meta/fitness-shaping';
import { buildMember, cpuNoiseBackend } from '../src/rng/noise';
import { negRastrigin, negSphere, runObjective } from '../src/meta/objective';
import { parseState, stringifyState } from '../src/meta/serialize';
import { initStrategy, strategyFor, type StrategyConfig, type StrategyState } from '../src/meta/strategies';
import { GA_DEFAULTS, rebuildGenome, type GaState } from '../src/meta/strategies/ga';
import { OPENAI_ES_DEFAULTS, type OpenAiEsState } from '../src/meta/strategies/openai-es';
import { SNES_DEFAULTS } from '../src/meta/strategies/snes';

const D = 100;

describe('fitness shaping (hand-computed)', () => {
  it('centred ranks: linear in rank, NaN/inf ranked worst, ties share their mean rank', () => {
    const r = centredRanks([3, 1, 2, NaN]);
    [0.5, -1 / 6, 1 / 6, -0.5].forEach((w, i) => expect(r[i]).toBeCloseTo(w, 15));
    expect(Array.from(centredRanks([1, 1, 2]))).toEqual([-0.25, -0.25, 0.5]);
    // +inf is a failed rollout too: it must not become the best.
    expect(Array.from(centredRanks([Infinity, 0, -Infinity]))).toEqual([-0.25, 0.5, -0.25]);
    expect(Array.from(centredRanks([7]))).toEqual([0]);
  });

  it('z-scores: failed members take the worst finite fitness', () => {
    const z = zScores([1, 2, 3, NaN]);
    const want = [-0.9045340337332909, 0.30151134457776363, 1.507556722888818, -0.9045340337332909];
    want.forEach((w, i) => expect(z[i]).toBeCloseTo(w, 12));
    expect(Array.from(zScores([2, 2, NaN]))).toEqual([0, 0, 0]);
    expect(Array.from(zScores([NaN, NaN]))).toEqual([0, 0]);
  });

  it('NES utilities for n = 4: ln(3) and ln(1.5) normalised, minus 1/n', () => {
    const u = nesUtilities([0.1, 0.4, 0.3, 0.2]); // best is index 1, then 2
    expect(u[1]).toBeCloseTo(0.48042271030918515, 12);
    expect(u[2]).toBeCloseTo(0.01957728969081496, 12);
    expect(u[3]).toBeCloseTo(-0.25, 12);
    expect(u[0]).toBeCloseTo(-0.25, 12);
  });

  it('rank order and summary skip non-finite values but count them', () => {
    expect(rankOrder([1, NaN, 3, 2])).toEqual([2, 3, 0, 1]);
    expect(summarizeFitness([1, NaN, 3, 2, Infinity])).toEqual({ best: 3, mean: 2, median: 2, worst: 1, nonFinite: 2 });
  });
});

describe('Adam (hand-computed)', () => {
  it('two steps with lr 0.1, betas 0.9/0.999', () => {
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    // t=1: m = (0.1, -0.2), v = (0.001, 0.004), lr_t = 0.1 sqrt(0.001) / 0.1; step = -lr_t m / (sqrt v + eps)
    const s1 = adamStep(adamInit(2), [1, -2], h);
    expect(s1.step[0]).toBeCloseTo(-0.09999996837723339, 14);
    expect(s1.step[1]).toBeCloseTo(0.09999998418861421, 14);
    expect(s1.state.t).toBe(1);
    // t=2 with gradient (1, 0): m = (0.19, -0.18), v = (0.001999, 0.003996), lr_t = 0.0235316725...
    const s2 = adamStep(s1.state, [1, 0], h);
    expect(s2.state.m[0]).toBeCloseTo(0.19, 14);
    expect(s2.state.v[1]).toBeCloseTo(0.003996, 14);
    expect(s2.step[0]).toBeCloseTo(-0.09999997763373224, 14);
    expect(s2.step[1]).toBeCloseTo(0.06700581481380305, 14);
  });
});

describe('OpenAI ES update', () => {
  it('g = sum_i w_i eps_i / (n sigma) with centred ranks; first Adam step is lr * sign(g)', async () => {
    const sigma = 0.5;
    const seed = 1234;
    const s0 = initStrategy(
      { ...OPENAI_ES_DEFAULTS, pairs: 2, sigma, lr: 0.01, evalCentre: true },
      new Float32Array(8).fill(0.25),
      seed,
    ) as OpenAiEsState;
    const impl = strategyFor(s0);
    const spec = impl.ask(s0);
    expect(spec.members.map((m) => m.sign)).toEqual([1, -1, 1, -1, 0]);
    // Fitness of members (+eps0, -eps0, +eps1, -eps1, centre): ranks -> w = (0.5, -0.5, -1/6, 1/6); the centre is ignored.
    const { state: s1, info } = await impl.tell(s0, [4, 1, 2, 3, 1000], cpuNoiseBackend);
    for (let i = 0; i < 8; i++) {
      const eps0 = normalAt(seed, RNG_DOMAIN.esNoise, i, 0, 0, 0);
      const eps1 = normalAt(seed, RNG_DOMAIN.esNoise, i, 1, 0, 0);
      const g = ((0.5 - -0.5) * eps0 + (-1 / 6 - 1 / 6) * eps1) / (4 * sigma);
      const want = Math.fround(0.25 + 0.01 * Math.sign(g));
      // Adam's first step is lr * m / (|m| + 1e-8): lr * sign(g) up to 1e-7 relative, i.e. within
      // one f32 spacing (2^-25 in [0.25, 0.5)) after rounding theta.
      expect(Math.abs((s1 as OpenAiEsState).theta[i] - want)).toBeLessThanOrEqual(2 ** -25);
    }
    expect(info.sigma).toBe(sigma);
    expect(s1.generation).toBe(1);
    expect(s0.generation).toBe(0); // tell does not mutate its input
  });

  it('sigma and lr schedules decay to their floors', async () => {
    const s = initStrategy(
      { ...OPENAI_ES_DEFAULTS, pairs: 1, sigma: 1, sigmaDecay: 0.5, sigmaMin: 0.3, evalCentre: false },
      new Float32Array(4),
      1,
    );
    const impl = strategyFor(s);
    expect(impl.ask(s).dimScale[0]).toBe(1);
    expect(impl.ask({ ...s, generation: 1 }).dimScale[0]).toBe(0.5);
    expect(impl.ask({ ...s, generation: 5 }).dimScale[0]).toBe(Math.fround(0.3));
  });
});

/** Each strategy's test setting; thresholds were measured with these seeds and hold with a margin. */
const CASES: {
  name: string;
  config: StrategyConfig;
  sphereConfig?: StrategyConfig;
  sphere: [number, number];
  rastrigin: [number, number];
}[] = [
  {
    name: 'openai-es',
    // Rastrigin: a large, decaying sigma smooths the ripples away first (cos term damped by exp(-2 pi^2 sigma^2)).
    config: {
      ...OPENAI_ES_DEFAULTS,
      pairs: 50,
      sigma: 1,
      sigmaDecay: 0.99,
      sigmaMin: 0.02,
      lr: 0.1,
      lrDecay: 0.995,
      evalCentre: false,
    },
    sphereConfig: { ...OPENAI_ES_DEFAULTS, pairs: 50, sigma: 0.1, lr: 0.05, evalCentre: false },
    // [generations, value to beat]: sphere starts at -100 (x = 1), Rastrigin at -2625 (x = 2.5).
    sphere: [100, -0.1],
    rastrigin: [250, -150],
  },
  {
    name: 'snes',
    config: { ...SNES_DEFAULTS, sigmaInit: 0.5, popSize: 100, evalCentre: false },
    sphere: [150, -0.01],
    rastrigin: [300, -600],
  },
  {
    name: 'ga',
    // Mutation size is the GA's only step size: large to hop between Rastrigin's basins, small for the sphere.
    config: { ...GA_DEFAULTS, popSize: 200, truncation: 10, sigma: 0.7 },
    sphereConfig: { ...GA_DEFAULTS, popSize: 100, truncation: 10, sigma: 0.05 },
    sphere: [150, -3],
    rastrigin: [150, -1200],
  },
];

describe.each(CASES)('$name on D = 100 objectives (seed 42)', ({ config, sphereConfig, sphere, rastrigin }) => {
  it(`sphere: from -100 above the threshold within the generation budget`, async () => {
    const { curve } = await runObjective(
      initStrategy(sphereConfig ?? config, new Float32Array(D).fill(1), 42),
      negSphere,
      sphere[0],
    );
    console.log(
      `${config.kind} sphere: ${[9, 49, sphere[0] - 1].map((g) => `gen ${g + 1}: ${curve[g].toFixed(3)}`).join(', ')}`,
    );
    expect(curve[sphere[0] - 1]).toBeGreaterThan(sphere[1]);
  });

  it(`Rastrigin: from -2625 above the threshold within the generation budget`, async () => {
    const { curve } = await runObjective(
      initStrategy(config, new Float32Array(D).fill(2.5), 42),
      negRastrigin,
      rastrigin[0],
    );
    console.log(
      `${config.kind} rastrigin: ${[9, 49, rastrigin[0] - 1].map((g) => `gen ${g + 1}: ${curve[g].toFixed(1)}`).join(', ')}`,
    );
    expect(curve[rastrigin[0] - 1]).toBeGreaterThan(rastrigin[1]);
  });
});

describe('state is data: serialise, resume, determinism', () => {
  it.each(CASES)('$name: a state round-tripped through JSON continues bit for bit', async ({ config }) => {
    const start = initStrategy(config, new Float32Array(20).fill(1), 7);
    const straight = await runObjective(start, negSphere, 6);
    const half = await runObjective(start, negSphere, 3);
    const text = stringifyState(half.state);
    const resumed = await runObjective(parseState<StrategyState>(text), negSphere, 3);
    expect(stringifyState(resumed.state)).toBe(stringifyState(straight.state));
    // Different seeds give different searches.
    const other = await runObjective(initStrategy(config, new Float32Array(20).fill(1), 8), negSphere, 3);
    expect(stringifyState(other.state)).not.toBe(stringifyState(half.state));
  });

  it('serialisation keeps -0, NaN payloads and float64 moments exactly', () => {
    const v = {
      a: new Float32Array([-0, NaN, 1.5e-42]),
      b: new Float64Array([Math.PI, -Infinity]),
      n: -Infinity,
      u: new Uint32Array([0xffffffff]),
    };
    const back = parseState<typeof v>(stringifyState(v));
    expect(Object.is(back.a[0], -0)).toBe(true);
    expect(back.a[1]).toBeNaN();
    expect(back.a[2]).toBe(v.a[2]);
    expect(Array.from(back.b)).toEqual([Math.PI, -Infinity]);
    expect(back.n).toBe(-Infinity);
    expect(back.u[0]).toBe(0xffffffff);
  });
});

describe('GA genomes and elitism', () => {
  it('rebuilding every parent from its seed chain gives its live parameters bit for bit', async () => {
    const theta0 = Float32Array.from({ length: 37 }, (_, i) => Math.sin(i));
    const { state } = await runObjective(
      initStrategy({ ...GA_DEFAULTS, popSize: 16, truncation: 4, sigma: 0.1 }, theta0, 3),
      negSphere,
      12,
    );
    const ga = state as GaState;
    expect(ga.parents).toHaveLength(4);
    for (const p of ga.parents) {
      expect(p.genome.chain.length).toBeGreaterThan(0);
      const rebuilt = rebuildGenome(theta0, p.genome, ga.config.sigma);
      expect(new Uint32Array(rebuilt.buffer)).toEqual(new Uint32Array(p.params.buffer));
    }
  });

  it('the elite is re-evaluated unchanged; failed (NaN) members never become parents', async () => {
    const s0 = initStrategy(
      { ...GA_DEFAULTS, popSize: 8, truncation: 3, elites: 1, sigma: 0.1 },
      new Float32Array(5).fill(1),
      9,
    ) as GaState;
    const impl = strategyFor(s0);
    const spec0 = impl.ask(s0);
    expect(spec0.members[0].role).toBe('elite');
    const f0 = [0, NaN, 5, Infinity, 3, NaN, 1, -Infinity];
    const { state: s1 } = await impl.tell(s0, f0, cpuNoiseBackend);
    const g1 = s1 as GaState;
    // Best three finite: member 2 (5), member 4 (3), member 6 (1).
    expect(g1.parents.map((p) => Array.from(p.params))).toEqual(
      [2, 4, 6].map((m) => Array.from(buildMember(spec0, m))),
    );
    const spec1 = impl.ask(g1);
    expect(spec1.members[0]).toMatchObject({ role: 'elite', sign: 0, parent: 0 });
    expect(Array.from(buildMember(spec1, 0))).toEqual(Array.from(g1.parents[0].params));
    // The elite wins again: it is carried over, not re-mutated.
    const f1 = spec1.members.map((_, m) => (m === 0 ? 100 : m));
    const { state: s2 } = await impl.tell(g1, f1, cpuNoiseBackend);
    expect((s2 as GaState).parents[0]).toBe(g1.parents[0]);
  });
});

describe('failed rollouts never crash a strategy', () => {
  it.each(CASES)('$name: all-NaN and mixed fitness give finite next states', async ({ config }) => {
    let s = initStrategy(config, new Float32Array(12).fill(0.5), 5);
    const impl = strategyFor(s);
    for (const mode of ['all', 'mixed'] as const) {
      const n = impl.ask(s).members.length;
      const f = Array.from({ length: n }, (_, i) => (mode === 'all' || i % 3 === 0 ? NaN : -i));
      s = (await impl.tell(s, f, cpuNoiseBackend)).state;
      expect(Array.from(impl.current(s)).every(Number.isFinite)).toBe(true);
    }
  });
});
