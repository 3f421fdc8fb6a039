/**
 * A generation-0 checkpoint of a preset, built without a GPU (the strategy's initial state and the
 * initial parameters), for tests that share or load checkpoints of every preset.
 */
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION, deployLearner, type Checkpoint } from '../../src/meta/checkpoint';
import { initialMetaParams } from '../../src/meta/init-params';
import { initStrategy } from '../../src/meta/strategies';
import { presetConfig } from '../../src/meta/train-config';

export function presetCheckpoint(name: string): Checkpoint {
  const config = presetConfig(name);
  const theta0 = initialMetaParams(config);
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    generation: 0,
    config,
    strategy: initStrategy(config.strategy, theta0, config.seed, config.initSeed),
    metaParams: theta0,
    learner: config.learner,
    deployLearner: deployLearner(config, 784, 10),
    elapsedMs: 0,
    savedAt: new Date(0).toISOString(),
  };
}
