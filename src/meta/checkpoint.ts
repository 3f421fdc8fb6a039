/**
 * Checkpoints: everything needed to continue a run bit for bit (validated config, strategy state,
 * generations done), plus the current meta-parameters and learner config for consumers such as
 * `npm run bench:ordered -- --checkpoint <file>`. Plain JSON (typed arrays as base64, see
 * serialize.ts). Runtime-agnostic: the Node layer writes it atomically (temp file + rename).
 */
import type { VsmlConfig } from '../spec/vsml-config';
import { describeJsonError, nonFiniteInState } from './finite';
import { parseState, stringifyState } from './serialize';
import type { StrategyState } from './strategies';
import { validateTrainConfig, type TrainConfig } from './train-config';

export const CHECKPOINT_FORMAT = 'vsml-meta-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Generations completed; resuming runs generation `generation` next. */
  generation: number;
  config: TrainConfig;
  strategy: StrategyState;
  /** The strategy's current parameters (ES/SNES mean, GA elite): the evolved learner. */
  metaParams: Float32Array;
  /** The learner these parameters were trained with (= config.learner). */
  learner: VsmlConfig;
  /**
   * The learner to deploy them with on the full dataset: `learner` with its output layer widened
   * to the dataset's classes when it was trained on fewer (e.g. 2-way tasks). Valid because VSML
   * shares one cell across every weight: the meta-parameters do not depend on layer sizes.
   */
  deployLearner: VsmlConfig;
  /** Wall time spent training so far (all sessions), for throughput and ETA. Not part of the result. */
  elapsedMs: number;
  /** ISO time of writing. Not part of the result. */
  savedAt: string;
  /** Adapter that produced the last generations, for the record. */
  adapter?: string;
  /** With config.validation: the best parameters by validation score (train split), for deployment. */
  best?: BestParams;
}

export interface BestParams {
  generation: number;
  perClass: number[];
  accuracy: number[];
  score: number;
  metaParams: Float32Array;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function encodeCheckpoint(c: Checkpoint): string {
  return stringifyState(c);
}

/** Parse and check a checkpoint; `source` names it in errors. */
export function decodeCheckpoint(text: string, source = 'checkpoint'): Checkpoint {
  let c: Checkpoint;
  try {
    c = parseState<Checkpoint>(text);
  } catch (e) {
    throw new CheckpointError(`${source}: ${describeJsonError(text, e)}`);
  }
  if (c === null || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(`${source}: not a ${CHECKPOINT_FORMAT} file`);
  }
  if (c.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(`${source}: version ${c.version}, this build reads version ${CHECKPOINT_VERSION}`);
  }
  if (!(c.metaParams instanceof Float32Array)) throw new CheckpointError(`${source}: metaParams missing`);
  if (!Number.isInteger(c.generation) || c.generation < 0)
    throw new CheckpointError(`${source}: bad generation ${c.generation}`);
  if (c.strategy?.generation !== c.generation) {
    throw new CheckpointError(
      `${source}: strategy is at generation ${c.strategy?.generation}, checkpoint says ${c.generation}`,
    );
  }
  if (c.best !== undefined) {
    const b = c.best;
    if (
      b === null ||
      typeof b !== 'object' ||
      !(b.metaParams instanceof Float32Array) ||
      b.metaParams.length !== c.metaParams.length
    ) {
      throw new CheckpointError(`${source}: best parameters malformed`);
    }
    if (
      !Number.isInteger(b.generation) ||
      b.generation < 0 ||
      b.generation > c.generation ||
      !Number.isFinite(b.score)
    ) {
      throw new CheckpointError(`${source}: best parameters: bad generation ${b.generation} or score ${b.score}`);
    }
  }
  // Valid JSON can still decode to NaN (base64 parameters): refuse it here, not after a whole run.
  const nonFinite = nonFiniteInState(c);
  if (nonFinite)
    throw new CheckpointError(
      `${source}: ${nonFinite}; the run diverged or the file was altered (resume from an earlier checkpoint)`,
    );
  try {
    c.config = validateTrainConfig(c.config);
  } catch (e) {
    throw new CheckpointError(`${source}: ${(e as Error).message}`);
  }
  return c;
}

/** `learner` with at least `classes` outputs (the same meta-parameters drive any layer sizes). */
export function widenOutputs(learner: VsmlConfig, classes: number): VsmlConfig {
  const layers = [...learner.layers];
  layers[layers.length - 1] = Math.max(layers[layers.length - 1], classes);
  return { ...learner, layers };
}

/**
 * The learner a run's parameters are deployed as: its trained learner widened to the dataset's
 * classes and, when it was meta-trained on pixel subsets (tasks.pixelSubset), reading every pixel.
 */
export function deployLearner(config: TrainConfig, pixels: number, classes: number): VsmlConfig {
  const l = config.learner;
  // An LSTM's parameters fix its input size and classes: it deploys only as trained.
  if (config.learnerKind === 'lstm') return l;
  const input = config.tasks.pixelSubset > 0 ? { ...l, inputSize: pixels, layers: [pixels, ...l.layers.slice(1)] } : l;
  return widenOutputs(input, classes);
}

/**
 * What an evaluator of the evolved learner (e.g. the OrderedMNIST benchmark) needs: the
 * meta-parameters and the learner to run them in, sized for the whole dataset (deployLearner).
 * `which`: 'best' (default) takes the best parameters by validation score when the run kept
 * them (chosen on the train split), 'final' the strategy's current ones.
 */
export function checkpointLearner(
  c: Checkpoint,
  which: 'best' | 'final' = 'best',
): { learner: VsmlConfig; metaParams: Float32Array; generation: number; best: boolean } {
  if (c.config.learnerKind === 'lstm')
    throw new CheckpointError(
      `this checkpoint holds an LSTM learner (learnerKind 'lstm', ${c.metaParams.length} parameters), not VSML meta-parameters: use the scoreboard method 'lstm:checkpoint=FILE' (--methods lstm:checkpoint=FILE)`,
    );
  const best = which === 'best' && c.best !== undefined;
  return {
    learner: c.deployLearner ?? c.learner,
    metaParams: best ? c.best!.metaParams : c.metaParams,
    generation: best ? c.best!.generation : c.generation,
    best,
  };
}
