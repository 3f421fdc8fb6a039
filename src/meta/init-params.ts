/** The initial meta-parameters of a run (config.init): random, or a hand-designed rule to warm-start from. */
import { classMeanRuleParams } from '../inner/rules/class-mean';
import { randomLearnerParams } from './learner-kind';
import type { TrainConfig } from './train-config';

export function initialMetaParams(config: TrainConfig): Float32Array {
  if (config.init === 'rule:class-mean') return classMeanRuleParams(config.learner);
  return randomLearnerParams(config);
}
