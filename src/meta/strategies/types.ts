/**
 * One ask/tell interface for every search strategy. A state is plain data (numbers, strings,
 * typed arrays, nested objects): it holds its own config, seed and generation, so
 * `stringifyState(state)` is a complete checkpoint of the search and `tell` is a pure function of
 * (state, fitness) given the same noise. Fitness is "higher is better"; NaN/inf ranks worst.
 */
import type { NoiseBackend, PopulationSpec } from '../../rng/noise';

export interface StrategyStateBase {
  kind: string;
  /** Run seed: all noise and random choices derive from (seed, generation). */
  seed: number;
  /** Generations told so far: the next ask() describes this generation. */
  generation: number;
}

/** Numbers a strategy reports about one update (sigma used, gradient norm, ...). */
export type TellInfo = Record<string, number>;

export interface Strategy<S extends StrategyStateBase = StrategyStateBase> {
  readonly kind: S['kind'];
  /** The population of generation `state.generation`. Deterministic. */
  ask(state: S): PopulationSpec;
  /** Consume one fitness value per member of ask(state); returns the next state (the input is not modified). */
  tell(state: S, fitness: ArrayLike<number>, noise: NoiseBackend): Promise<{ state: S; info: TellInfo }>;
  /** The parameters the search currently proposes (ES mean, GA elite): what a checkpoint exports. */
  current(state: S): Float32Array;
}

export function checkFitnessLength(spec: PopulationSpec, fitness: ArrayLike<number>): void {
  if (fitness.length !== spec.members.length) {
    throw new Error(`tell: got ${fitness.length} fitness values for a population of ${spec.members.length}`);
  }
}
