/**
 * Simple genetic algorithm after Such et al. 2017 ("Deep Neuroevolution"): Gaussian mutation of
 * a parent drawn uniformly from the top T (truncation selection), no crossover, and elitism: the
 * best `elites` genomes are re-evaluated every generation and carried over unchanged.
 *
 * A genome is its seed chain: theta = theta0 (from initSeed), then for each mutation seed s,
 * theta <- f32(theta + f32(sigma * eps_s)) with eps_s the Philox stream [s, gaMutation] from
 * counter 0. rebuildGenome() replays the chain with exactly the rounding the GPU uses to build the
 * population, so the rebuilt parameters equal the evaluated ones bit for bit.
 */
import { PhiloxStream, RNG_DOMAIN } from '../../rng/philox';
import { rankOrder } from '../fitness-shaping';
import { applyPerturbation, filled, type MemberSpec } from '../../rng/noise';
import { checkFitnessLength, type Strategy, type StrategyStateBase } from './types';

export interface GaConfig {
  kind: 'ga';
  /** Members per generation, elites included. */
  popSize: number;
  /** T: the best T of a generation become the parents of the next. */
  truncation: number;
  /** Elites carried over unchanged (and re-evaluated); >= 1 and <= truncation. */
  elites: number;
  /** Mutation std (constant, so a genome needs nothing but its seeds). */
  sigma: number;
}

export const GA_DEFAULTS: GaConfig = { kind: 'ga', popSize: 64, truncation: 8, elites: 1, sigma: 0.02 };

export interface Genome {
  /** Seed of the initial parameters (what initMetaParams / the objective's init used). */
  initSeed: number;
  /** Mutation seeds, oldest first. */
  chain: number[];
}

export interface GaParent {
  genome: Genome;
  params: Float32Array;
}

export interface GaState extends StrategyStateBase {
  kind: 'ga';
  config: GaConfig;
  /** Parents of the next generation, best first (parents[0] is the elite). */
  parents: GaParent[];
}

export function initGa(config: GaConfig, theta0: Float32Array, seed: number, initSeed = seed): GaState {
  if (config.elites < 1 || config.elites > config.truncation || config.truncation > config.popSize) {
    throw new Error(
      `ga: need 1 <= elites (${config.elites}) <= truncation (${config.truncation}) <= popSize (${config.popSize})`,
    );
  }
  return {
    kind: 'ga',
    config: { ...config },
    seed: seed >>> 0,
    generation: 0,
    parents: [{ genome: { initSeed: initSeed >>> 0, chain: [] }, params: Float32Array.from(theta0) }],
  };
}

/** Mutation noise key of seed s. */
export function mutationKey(s: number): { k0: number; k1: number; a: number; b: number; c: number } {
  return { k0: s >>> 0, k1: RNG_DOMAIN.gaMutation, a: 0, b: 0, c: 0 };
}

/** Parameters of a genome, from theta0 (= init(genome.initSeed)) and the chain. */
export function rebuildGenome(theta0: Float32Array, genome: Genome, sigma: number): Float32Array {
  const scale = filled(theta0.length, sigma);
  let p: Float32Array = Float32Array.from(theta0);
  for (const s of genome.chain) p = applyPerturbation(p, scale, 1, s, RNG_DOMAIN.gaMutation);
  return p;
}

interface Child {
  parent: number;
  seed: number;
}

/** Parent choice and mutation seed of each non-elite member of generation t. */
function children(state: GaState): Child[] {
  const { config: c, seed, generation: t, parents } = state;
  const rng = new PhiloxStream(seed, RNG_DOMAIN.gaMutation, t, 0x6761); // 'ga'
  const out: Child[] = [];
  const nElite = Math.min(c.elites, parents.length);
  for (let m = nElite; m < c.popSize; m++) out.push({ parent: rng.int(parents.length), seed: rng.nextU32() });
  return out;
}

export const ga: Strategy<GaState> = {
  kind: 'ga',

  ask(state) {
    const { config: c, parents } = state;
    const dim = parents[0].params.length;
    const members: MemberSpec[] = [];
    for (let e = 0; e < Math.min(c.elites, parents.length); e++) {
      members.push({ parent: e, sign: 0, k0: 0, k1: 0, a: 0, b: 0, c: 0, role: 'elite' });
    }
    for (const ch of children(state))
      members.push({ parent: ch.parent, sign: 1, ...mutationKey(ch.seed), role: 'sample' });
    return { dim, centres: parents.map((p) => p.params), dimScale: filled(dim, state.config.sigma), members };
  },

  async tell(state, fitness) {
    const spec = ga.ask(state);
    checkFitnessLength(spec, fitness);
    const { config: c, parents } = state;
    const kids = children(state);
    const nElite = spec.members.length - kids.length;
    const order = rankOrder(fitness).slice(0, c.truncation);
    const next: GaParent[] = order.map((m) => {
      if (m < nElite) return parents[m]; // carried over unchanged
      const kid = kids[m - nElite];
      const p = parents[kid.parent];
      return {
        genome: { initSeed: p.genome.initSeed, chain: [...p.genome.chain, kid.seed] },
        params: applyPerturbation(p.params, spec.dimScale, 1, kid.seed, RNG_DOMAIN.gaMutation),
      };
    });
    const eliteFitness = fitness[order[0]];
    return {
      state: { ...state, generation: state.generation + 1, parents: next },
      info: { eliteFitness, eliteChainLength: next[0].genome.chain.length, eliteWasCarried: order[0] < nElite ? 1 : 0 },
    };
  },

  current: (state) => state.parents[0].params,
};
