/**
 * OpenAI-style evolution strategy (Salimans et al. 2017), as VSML uses it: antithetic pairs
 * theta +/- sigma * eps_j, fitness shaping (centred ranks, or z-scores), gradient estimate
 * g = sum_i w_i eps_i / (n sigma) over all n = 2 * pairs members, Adam on -g + weightDecay * theta.
 *
 * Noise of pair j in generation t: Philox key [seed, esNoise], counter words (j, t, 0).
 */
import { RNG_DOMAIN } from '../../rng/philox';
import { ADAM_DEFAULTS, adamInit, adamStep, type AdamState } from '../adam';
import { shapeFitness, type ShapingKind } from '../fitness-shaping';
import { filled, type MemberSpec, type NoiseBackend, type PopulationSpec } from '../../rng/noise';
import { checkFitnessLength, type Strategy, type StrategyStateBase } from './types';

export interface OpenAiEsConfig {
  kind: 'openai-es';
  /** Antithetic pairs: the population has 2 * pairs sampled members. */
  pairs: number;
  /** Initial noise std. */
  sigma: number;
  /** sigma_t = max(sigmaMin, sigma * sigmaDecay^t). */
  sigmaDecay: number;
  sigmaMin: number;
  /** Adam learning rate; lr_t = max(lrMin, lr * lrDecay^t). */
  lr: number;
  lrDecay: number;
  lrMin: number;
  beta1: number;
  beta2: number;
  adamEps: number;
  /** L2 coefficient added to the descent gradient (OpenAI's l2coeff). */
  weightDecay: number;
  shaping: ShapingKind;
  /** Also evaluate the unperturbed centre (one extra member; not used by the update, reported). */
  evalCentre: boolean;
}

export const OPENAI_ES_DEFAULTS: OpenAiEsConfig = {
  kind: 'openai-es',
  pairs: 32,
  sigma: 0.05,
  sigmaDecay: 1,
  sigmaMin: 0,
  lr: 0.025,
  lrDecay: 1,
  lrMin: 0,
  beta1: ADAM_DEFAULTS.beta1,
  beta2: ADAM_DEFAULTS.beta2,
  adamEps: ADAM_DEFAULTS.eps,
  weightDecay: 0,
  shaping: 'centred-ranks',
  evalCentre: true,
};

export interface OpenAiEsState extends StrategyStateBase {
  kind: 'openai-es';
  config: OpenAiEsConfig;
  theta: Float32Array;
  adam: AdamState;
}

export function openAiEsSigma(c: OpenAiEsConfig, generation: number): number {
  return Math.max(c.sigmaMin, c.sigma * c.sigmaDecay ** generation);
}

export function openAiEsLr(c: OpenAiEsConfig, generation: number): number {
  return Math.max(c.lrMin, c.lr * c.lrDecay ** generation);
}

export function initOpenAiEs(config: OpenAiEsConfig, theta0: Float32Array, seed: number): OpenAiEsState {
  return {
    kind: 'openai-es',
    config: { ...config },
    seed: seed >>> 0,
    generation: 0,
    theta: Float32Array.from(theta0),
    adam: adamInit(theta0.length),
  };
}

/** Noise stream of pair j in generation t. */
function pairStream(seed: number, j: number, t: number) {
  return { k0: seed, k1: RNG_DOMAIN.esNoise, a: j, b: t, c: 0 };
}

export const openAiEs: Strategy<OpenAiEsState> = {
  kind: 'openai-es',

  ask(state) {
    const { config: c, seed, generation: t, theta } = state;
    const members: MemberSpec[] = [];
    for (let j = 0; j < c.pairs; j++) {
      const s = pairStream(seed, j, t);
      members.push({ parent: 0, sign: 1, ...s, role: 'sample' });
      members.push({ parent: 0, sign: -1, ...s, role: 'sample' });
    }
    if (c.evalCentre) members.push({ parent: 0, sign: 0, k0: 0, k1: 0, a: 0, b: 0, c: 0, role: 'centre' });
    return { dim: theta.length, centres: [theta], dimScale: filled(theta.length, openAiEsSigma(c, t)), members };
  },

  async tell(state, fitness, noise: NoiseBackend) {
    const spec: PopulationSpec = openAiEs.ask(state);
    checkFitnessLength(spec, fitness);
    const { config: c, seed, generation: t } = state;
    const n = 2 * c.pairs;
    const w = shapeFitness(
      c.shaping,
      Array.from({ length: n }, (_, i) => fitness[i]),
    );
    // The sigma actually used to build the members (f32), so the estimate matches the samples.
    const sigma = spec.dimScale[0];
    const terms = [];
    for (let j = 0; j < c.pairs; j++)
      terms.push({ ...pairStream(seed, j, t), coef: (w[2 * j] - w[2 * j + 1]) / (n * sigma) });
    const { sum: g } = await noise.weightedSums(state.theta.length, terms, false);
    const dim = state.theta.length;
    const grad = new Float64Array(dim);
    let gNorm = 0;
    for (let i = 0; i < dim; i++) {
      grad[i] = -g[i] + c.weightDecay * state.theta[i];
      gNorm += g[i] * g[i];
    }
    const lr = openAiEsLr(c, t);
    const { state: adam, step } = adamStep(state.adam, grad, { lr, beta1: c.beta1, beta2: c.beta2, eps: c.adamEps });
    const theta = new Float32Array(dim);
    let stepNorm = 0;
    for (let i = 0; i < dim; i++) {
      theta[i] = state.theta[i] + step[i];
      stepNorm += step[i] * step[i];
    }
    return {
      state: { ...state, generation: t + 1, theta, adam },
      info: { sigma, lr, gradNorm: Math.sqrt(gNorm), stepNorm: Math.sqrt(stepNorm) },
    };
  },

  current: (state) => state.theta,
};
