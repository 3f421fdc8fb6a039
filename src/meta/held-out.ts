/**
 * Evaluate one meta-parameter vector on a fixed set of tasks drawn with their own seed (not the
 * run's): the number to compare initial and evolved parameters by. Same episodes as training
 * (class-ordered learning, frozen-state queries, TRAIN split only), many tasks at once.
 */
import type { ImageSplit } from '../data/dataset';
import type { GpuContext } from '../gpu/context';
import { VsmlEvaluator } from './evaluator';
import type { PopulationSpec } from '../rng/noise';
import type { TrainConfig } from './train-config';

export interface HeldOutResult {
  tasks: number;
  queryAccuracy: number;
  queryCrossEntropy: number;
  onlineCrossEntropy: number;
  onlineAccuracy: number;
}

export async function evaluateHeldOut(
  gpu: GpuContext,
  config: TrainConfig,
  train: ImageSplit,
  params: Float32Array,
  opts: { tasks: number; seed: number },
): Promise<HeldOutResult> {
  const cfg: TrainConfig = { ...config, seed: opts.seed, tasks: { ...config.tasks, tasksPerMember: opts.tasks } };
  const spec: PopulationSpec = {
    dim: params.length,
    centres: [params],
    dimScale: new Float32Array(params.length),
    members: [{ parent: 0, sign: 0, k0: 0, k1: 0, a: 0, b: 0, c: 0, role: 'centre' }],
  };
  const ev = new VsmlEvaluator(gpu, cfg, train);
  try {
    const r = await ev.evaluate(spec, 0);
    const m = r.metrics;
    return {
      tasks: opts.tasks,
      queryAccuracy: m.queryAccuracy[0],
      queryCrossEntropy: m.queryCrossEntropy[0],
      onlineCrossEntropy: m.onlineCrossEntropy[0],
      onlineAccuracy: m.onlineAccuracy[0],
    };
  } finally {
    ev.destroy();
  }
}
