/**
 * Length generalisation, measured during training (config.validation): the parameters run as the
 * deployed learner (every pixel, every class) on long class-sorted streams of the TRAIN split,
 * then answer held-out train queries with the state frozen. The streams are fixed by
 * validation.seed, so every evaluation of a run sees the same ones. Never the test split.
 */
import type { ImageSplit } from '../data/dataset';
import type { GpuContext } from '../gpu/context';
import { deployLearner } from './checkpoint';
import { evaluateHeldOut } from './held-out';
import type { TrainConfig } from './train-config';

export interface ValidationResult {
  /** Generations completed when measured. */
  generation: number;
  perClass: number[];
  /** Query accuracy after each stream length. */
  accuracy: number[];
  /** Mean of `accuracy`: what the best checkpoint is chosen by. */
  score: number;
}

export async function validateParams(
  gpu: GpuContext,
  config: TrainConfig,
  train: ImageSplit,
  params: Float32Array,
  generation: number,
): Promise<ValidationResult> {
  const v = config.validation;
  const learner = deployLearner(config, train.rows * train.cols, train.numClasses);
  const accuracy: number[] = [];
  for (const n of v.perClass) {
    const cfg: TrainConfig = {
      ...config,
      learner,
      tasks: {
        ...config.tasks,
        minClasses: v.classes,
        maxClasses: v.classes,
        learnLength: n * v.classes,
        maxLearnLength: 0,
        queryLength: v.queryLength,
        pixelSubset: 0,
      },
    };
    const r = await evaluateHeldOut(gpu, cfg, train, params, { tasks: 1, seed: v.seed });
    accuracy.push(r.queryAccuracy);
  }
  return {
    generation,
    perClass: [...v.perClass],
    accuracy,
    score: accuracy.reduce((s, a) => s + a, 0) / accuracy.length,
  };
}
