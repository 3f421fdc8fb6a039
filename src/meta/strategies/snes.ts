/**
 * Separable natural evolution strategy (Schaul, Glasmachers & Schmidhuber 2011): a diagonal
 * Gaussian N(mu, diag(sigma^2)) whose mean and per-dimension scales follow the natural gradient.
 *
 *   z_k ~ N(0, I), x_k = mu + sigma * z_k, u_k = shaped fitness (sum u = 0)
 *   mu    += lrMean * sigma * sum_k u_k z_k
 *   sigma *= exp(lrSigma / 2 * sum_k u_k (z_k^2 - 1))
 *
 * With mirrored sampling (antithetic, default) members come in pairs +/- z_j, which halves the
 * noise streams: sum_k u_k z_k = sum_j (u_j+ - u_j-) z_j and sum_k u_k z_k^2 = sum_j (u_j+ + u_j-) z_j^2.
 * Noise of stream j in generation t: key [seed, esNoise], counter words (j, t, 1).
 */
import { RNG_DOMAIN } from '../../rng/philox';
import { centredRanks, nesUtilities } from '../fitness-shaping';
import type { MemberSpec, NoiseBackend, NoiseTerm } from '../../rng/noise';
import { checkFitnessLength, type Strategy, type StrategyStateBase } from './types';

export interface SnesConfig {
  kind: 'snes';
  /** Population size (even when antithetic). 0: the default 4 + floor(3 ln D), rounded up to even. */
  popSize: number;
  sigmaInit: number;
  lrMean: number;
  /** 0: the default (3 + ln D) / (5 sqrt D). */
  lrSigma: number;
  antithetic: boolean;
  /** 'nes-utilities' (the paper's) or 'centred-ranks'. */
  shaping: 'nes-utilities' | 'centred-ranks';
  /** Lower bound on every sigma_i (0: none), so a collapsed dimension can recover. */
  sigmaMin: number;
  evalCentre: boolean;
}

export const SNES_DEFAULTS: SnesConfig = {
  kind: 'snes',
  popSize: 0,
  sigmaInit: 0.05,
  lrMean: 1,
  lrSigma: 0,
  antithetic: true,
  shaping: 'nes-utilities',
  sigmaMin: 0,
  evalCentre: true,
};

export interface SnesState extends StrategyStateBase {
  kind: 'snes';
  config: SnesConfig;
  mu: Float32Array;
  sigma: Float32Array;
}

export function snesPopSize(c: SnesConfig, dim: number): number {
  let n = c.popSize > 0 ? c.popSize : 4 + Math.floor(3 * Math.log(dim));
  if (c.antithetic && n % 2) n++;
  return n;
}

export function snesLrSigma(c: SnesConfig, dim: number): number {
  return c.lrSigma > 0 ? c.lrSigma : (3 + Math.log(dim)) / (5 * Math.sqrt(dim));
}

export function initSnes(config: SnesConfig, theta0: Float32Array, seed: number): SnesState {
  if (config.antithetic && config.popSize % 2)
    throw new Error(`snes: antithetic sampling needs an even popSize, got ${config.popSize}`);
  return {
    kind: 'snes',
    config: { ...config },
    seed: seed >>> 0,
    generation: 0,
    mu: Float32Array.from(theta0),
    sigma: new Float32Array(theta0.length).fill(config.sigmaInit),
  };
}

function stream(seed: number, j: number, t: number) {
  return { k0: seed, k1: RNG_DOMAIN.esNoise, a: j, b: t, c: 1 };
}

export const snes: Strategy<SnesState> = {
  kind: 'snes',

  ask(state) {
    const { config: c, seed, generation: t, mu } = state;
    const n = snesPopSize(c, mu.length);
    const members: MemberSpec[] = [];
    if (c.antithetic) {
      for (let j = 0; j < n / 2; j++) {
        members.push({ parent: 0, sign: 1, ...stream(seed, j, t), role: 'sample' });
        members.push({ parent: 0, sign: -1, ...stream(seed, j, t), role: 'sample' });
      }
    } else {
      for (let j = 0; j < n; j++) members.push({ parent: 0, sign: 1, ...stream(seed, j, t), role: 'sample' });
    }
    if (c.evalCentre) members.push({ parent: 0, sign: 0, k0: 0, k1: 0, a: 0, b: 0, c: 0, role: 'centre' });
    return { dim: mu.length, centres: [mu], dimScale: state.sigma, members };
  },

  async tell(state, fitness, noise: NoiseBackend) {
    const spec = snes.ask(state);
    checkFitnessLength(spec, fitness);
    const { config: c, seed, generation: t, mu } = state;
    const dim = mu.length;
    const n = snesPopSize(c, dim);
    const f = Array.from({ length: n }, (_, i) => fitness[i]);
    const u = c.shaping === 'nes-utilities' ? nesUtilities(f) : centredRanks(f);
    let uSum = 0;
    for (const x of u) uSum += x;
    const terms: NoiseTerm[] = [];
    if (c.antithetic) {
      for (let j = 0; j < n / 2; j++)
        terms.push({ ...stream(seed, j, t), coef: u[2 * j] - u[2 * j + 1], coefSq: u[2 * j] + u[2 * j + 1] });
    } else {
      for (let j = 0; j < n; j++) terms.push({ ...stream(seed, j, t), coef: u[j], coefSq: u[j] });
    }
    const { sum: gMu, sumSq } = await noise.weightedSums(dim, terms, true);
    const lrSigma = snesLrSigma(c, dim);
    const nextMu = new Float32Array(dim);
    const nextSigma = new Float32Array(dim);
    let meanSigma = 0;
    for (let i = 0; i < dim; i++) {
      const s = state.sigma[i];
      nextMu[i] = mu[i] + c.lrMean * s * gMu[i];
      // sum u_k (z_k^2 - 1) = sum u_k z_k^2 - sum u_k (the utilities need not sum to exactly 0).
      nextSigma[i] = Math.max(c.sigmaMin, s * Math.exp((lrSigma / 2) * (sumSq![i] - uSum)));
      meanSigma += nextSigma[i];
    }
    return {
      state: { ...state, generation: t + 1, mu: nextMu, sigma: nextSigma },
      info: { sigmaMean: meanSigma / dim, lrSigma },
    };
  },

  current: (state) => state.mu,
};
