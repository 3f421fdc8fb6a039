/**
 * The VSML readout kernel: one thread per learner reads the last layer's forward messages of its
 * E examples, forms logits y_b = bound * tanh(f_b[component] / bound), and accumulates metrics:
 * prediction (argmax, first on ties) before the label is used, correctness, cross-entropy
 * (Kahan-compensated f32 sums, so 60,000 steps lose no precision). When learning it also writes
 * the feedback message the last layer reads at the next step: slot 0 = softmax(y) - onehot(label),
 * slot 1 = onehot(label) with label feeding, other slots 0.
 *
 * Metrics [Lg][METRIC_WORDS] u32 words: see METRIC; f32 values are stored as bit patterns.
 * Stream position of example e at this step: (ctrl.chunkStart + ctrl.step) * E + e.
 */
import type { VsmlConfig } from '../spec/vsml-config';
import { numClasses } from '../spec/vsml-config';
import { cachedProgram, type Program } from './program';
import advanceSource from './vsml-advance.wgsl?raw';
import { activationsWgsl, configKey, layoutConstsWgsl } from './vsml-common';
import template from './vsml-readout.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const METRIC = {
  onlineCorrect: 0,
  onlineCe: 1,
  onlineCeComp: 2,
  queryCorrect: 3,
  queryCe: 4,
  queryCeComp: 5,
} as const;
export const METRIC_WORDS = 8;

/** Control block per learner group: the step within the current submission and the chunk's first step. */
export const CTRL_WORDS = 4;

export const READOUT_WORKGROUP = 64;
export const READOUT_PARAMS = ['learners', 'length', 'gridX', 'pad'] as const;

export function readoutProgram(
  c: VsmlConfig,
  mode: 'learn' | 'query',
  E: number,
  wantPredictions: boolean,
): Program<(typeof READOUT_PARAMS)[number]> {
  const learn = mode === 'learn';
  const predictions = !learn && wantPredictions;
  return cachedProgram(`vsml-readout/${configKey(c)}/${mode}/E${E}/${predictions ? 'pred' : ''}`, () => ({
    label: `vsml-readout-${mode}`,
    code: readoutKernelSource(c, mode, E, wantPredictions),
    entryPoint: 'main',
    workgroupSize: READOUT_WORKGROUP,
    uniforms: READOUT_PARAMS,
  }));
}

export function readoutKernelSource(
  c: VsmlConfig,
  mode: 'learn' | 'query',
  E: number,
  wantPredictions: boolean,
): string {
  const C = numClasses(c);
  const learn = mode === 'learn';
  return fillWgsl(
    template,
    {
      LAYOUT: layoutConstsWgsl(c),
      C: u(C),
      C_N: C,
      E: u(E),
      BOUND: c.readout.bound.toPrecision(9),
      COMPONENT: u(c.readout.component),
      MW: u(METRIC_WORDS),
      M_CORRECT: u(learn ? METRIC.onlineCorrect : METRIC.queryCorrect),
      M_CE: u(learn ? METRIC.onlineCe : METRIC.queryCe),
      M_COMP: u(learn ? METRIC.onlineCeComp : METRIC.queryCeComp),
      ACTIVATIONS: activationsWgsl,
      WG: READOUT_WORKGROUP,
      WG_U: u(READOUT_WORKGROUP),
      LEARN: learn,
      PREDICTIONS: !learn && wantPredictions,
      LABEL_FEEDING: c.labelFeeding,
    },
    'vsml-readout',
  );
}

/** One invocation: advance the group's step counter (separate dispatch: other kernels read it). */
export function advanceProgram(): Program<never> {
  return cachedProgram('vsml-advance', () => ({
    label: 'vsml-advance',
    code: advanceSource,
    entryPoint: 'main',
    workgroupSize: 1,
    uniforms: [],
  }));
}
