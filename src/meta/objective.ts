/**
 * Pure-TypeScript objectives and a driver loop: runs any strategy on a function of the parameter
 * vector, building members with the exact TS reference. Used by the strategy tests and handy for
 * checking a strategy change without a GPU.
 */
import { buildMember, cpuNoiseBackend, type NoiseBackend } from '../rng/noise';
import { strategyFor, type StrategyState } from './strategies';

/** Higher is better. */
export type Objective = (x: Float32Array) => number;

/** -sum x_i^2 (maximum 0 at the origin). */
export const negSphere: Objective = (x) => {
  let s = 0;
  for (const v of x) s -= v * v;
  return s;
};

/** -(10 D + sum x_i^2 - 10 cos(2 pi x_i)) (maximum 0 at the origin; local optima at integers). */
export const negRastrigin: Objective = (x) => {
  let s = 10 * x.length;
  for (const v of x) s += v * v - 10 * Math.cos(2 * Math.PI * v);
  return -s;
};

export interface ObjectiveRun {
  state: StrategyState;
  /** Objective at the strategy's current() point after each generation. */
  curve: number[];
}

export async function runObjective(
  initial: StrategyState,
  objective: Objective,
  generations: number,
  noise: NoiseBackend = cpuNoiseBackend,
): Promise<ObjectiveRun> {
  let state = initial;
  const impl = strategyFor(state);
  const curve: number[] = [];
  for (let g = 0; g < generations; g++) {
    const spec = impl.ask(state);
    const x = new Float32Array(spec.dim);
    const fitness = spec.members.map((_, m) => objective(buildMember(spec, m, x)));
    state = (await impl.tell(state, fitness, noise)).state;
    curve.push(objective(impl.current(state)));
  }
  return { state, curve };
}
