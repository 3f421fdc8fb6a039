/**
 * Programs of the LSTM learner (src/spec/lstm-config.ts): the step kernel (gates and state, one
 * thread per learner and hidden unit) and the readout kernel (logits, metrics, state commit, one
 * thread per learner). Constants come from the config's layout; the step counter is `ctrl[0]`,
 * advanced between steps by vsml-readout's advanceProgram.
 */
import { LSTM_FORGET_BIAS, type LstmLearnerConfig, lstmParamLayout } from '../spec/lstm-config';
import { cachedProgram, type Program } from './program';
import { METRIC, METRIC_WORDS } from './vsml-readout';
import stepTemplate from './lstm-step.wgsl?raw';
import readoutTemplate from './lstm-readout.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const LSTM_WORKGROUP = 64;
export const LSTM_PARAMS = ['learners', 'length', 'gridX', 'pad'] as const;
export type LstmMode = 'learn' | 'query';

/** What shapes the generated source: the learner, tasks per member, words per image. */
export interface LstmKernelShape {
  cfg: LstmLearnerConfig;
  tasksPerMember: number;
  wordsPerImage: number;
}

const keyOf = (s: LstmKernelShape) =>
  `${s.cfg.inputSize}/${s.cfg.classes}/${s.cfg.hidden}/T${s.tasksPerMember}/W${s.wordsPerImage}`;

export function lstmStepProgram(s: LstmKernelShape, mode: LstmMode): Program<(typeof LSTM_PARAMS)[number]> {
  return cachedProgram(`lstm-step/${keyOf(s)}/${mode}`, () => {
    const l = lstmParamLayout(s.cfg);
    return {
      label: `lstm-step-${mode}`,
      code: fillWgsl(
        stepTemplate,
        {
          A: u(s.cfg.inputSize),
          C: u(s.cfg.classes),
          H: u(s.cfg.hidden),
          COLS: u(l.cols),
          D: u(l.size),
          T: u(s.tasksPerMember),
          WPI: u(s.wordsPerImage),
          OFF_B: u(l.b),
          FORGET_BIAS: LSTM_FORGET_BIAS.toFixed(1),
          LEARN: mode === 'learn',
          LEARN_U: mode === 'learn' ? 'true' : 'false',
          WG: LSTM_WORKGROUP,
          WG_U: u(LSTM_WORKGROUP),
        },
        'lstm-step',
      ),
      entryPoint: 'main',
      workgroupSize: LSTM_WORKGROUP,
      uniforms: LSTM_PARAMS,
    };
  });
}

export function lstmReadoutProgram(
  s: LstmKernelShape,
  mode: LstmMode,
  wantPredictions: boolean,
): Program<(typeof LSTM_PARAMS)[number]> {
  const learn = mode === 'learn';
  const predictions = !learn && wantPredictions;
  return cachedProgram(`lstm-readout/${keyOf(s)}/${mode}/${predictions ? 'pred' : ''}`, () => {
    const l = lstmParamLayout(s.cfg);
    return {
      label: `lstm-readout-${mode}`,
      code: fillWgsl(
        readoutTemplate,
        {
          C: u(s.cfg.classes),
          C_N: s.cfg.classes,
          H: u(s.cfg.hidden),
          D: u(l.size),
          T: u(s.tasksPerMember),
          OFF_HW: u(l.headW),
          OFF_HB: u(l.headB),
          MW: u(METRIC_WORDS),
          M_CORRECT: u(learn ? METRIC.onlineCorrect : METRIC.queryCorrect),
          M_CE: u(learn ? METRIC.onlineCe : METRIC.queryCe),
          M_COMP: u(learn ? METRIC.onlineCeComp : METRIC.queryCeComp),
          LEARN: learn,
          PREDICTIONS: predictions,
          WG: LSTM_WORKGROUP,
          WG_U: u(LSTM_WORKGROUP),
        },
        'lstm-readout',
      ),
      entryPoint: 'main',
      workgroupSize: LSTM_WORKGROUP,
      uniforms: LSTM_PARAMS,
    };
  });
}
