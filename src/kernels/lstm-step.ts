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

/** Workgroup memory the step kernel may use for staged inputs (of the 16 KiB WebGPU guarantees). */
const STAGE_BYTES = 12 * 1024;

/**
 * Tasks of a member staged at once by the step kernel: a multiple of 4 (vec4 groups; tasks past
 * the member's count are zero padding), at most 16, their inputs within STAGE_BYTES.
 */
export function stagedTasks(s: LstmKernelShape): number {
  const z = s.cfg.inputSize + s.cfg.hidden;
  const fit = Math.floor(STAGE_BYTES / (4 * z) / 4) * 4;
  if (fit < 4)
    throw new Error(`LSTM step: 4 learners' inputs (${4 * z} floats) exceed ${STAGE_BYTES} bytes of workgroup memory`);
  return Math.min(Math.ceil(s.tasksPerMember / 4) * 4, 16, fit);
}

/** Workgroups per member of the step kernel (blocks of LSTM_WORKGROUP hidden units). */
export function unitBlocks(c: LstmLearnerConfig): number {
  return Math.ceil(c.hidden / LSTM_WORKGROUP);
}

export function lstmStepProgram(s: LstmKernelShape, mode: LstmMode): Program<(typeof LSTM_PARAMS)[number]> {
  return cachedProgram(`lstm-step/${keyOf(s)}/${mode}`, () => {
    const l = lstmParamLayout(s.cfg);
    const z = s.cfg.inputSize + s.cfg.hidden;
    const tt = stagedTasks(s);
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
          TT: u(tt),
          TT_N: tt,
          TG: u(tt / 4),
          Z: u(z),
          ZS_N: (tt / 4) * z,
          UB: u(unitBlocks(s.cfg)),
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
