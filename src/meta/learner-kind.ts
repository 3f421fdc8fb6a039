/**
 * What differs between the two meta-learners a training config may name (config.learnerKind):
 * parameter count, learned-state bytes, initial parameters and a description. Everything else
 * (tasks, strategies, checkpoints, the trainer) is shared.
 */
import { type LstmLearnerConfig, describeLstm, initLstmParams, lstmFor, lstmParamLayout } from '../spec/lstm-config';
import { describeVsmlConfig, initMetaParams, learnerStateBytes, metaParamLayout } from '../spec/vsml-config';
import type { TrainConfig } from './train-config';

/** The LSTM a config runs (learnerKind 'lstm'); throws for a VSML config. */
export function lstmOf(config: Pick<TrainConfig, 'learner' | 'learnerKind' | 'lstmHidden'>): LstmLearnerConfig {
  if (config.learnerKind !== 'lstm') throw new Error(`learnerKind is '${config.learnerKind}', not 'lstm'`);
  return lstmFor(config.learner, config.lstmHidden);
}

/** Floats per population member. */
export function learnerParamCount(config: TrainConfig): number {
  return config.learnerKind === 'lstm' ? lstmParamLayout(lstmOf(config)).size : metaParamLayout(config.learner).size;
}

/** Bytes of learned state one learner carries between examples. */
export function learnerStateBytesOf(config: TrainConfig): number {
  return config.learnerKind === 'lstm' ? 2 * lstmOf(config).hidden * 4 : learnerStateBytes(config.learner);
}

/** Random initial meta-parameters from config.initSeed. */
export function randomLearnerParams(config: TrainConfig): Float32Array {
  return config.learnerKind === 'lstm'
    ? initLstmParams(lstmOf(config), config.initSeed)
    : initMetaParams(config.learner, config.initSeed);
}

export function describeLearnerOf(config: TrainConfig): string {
  return config.learnerKind === 'lstm' ? describeLstm(lstmOf(config)) : describeVsmlConfig(config.learner);
}
