/**
 * The black-box meta-learner: one plain LSTM whose weights are the meta-parameters (Kirsch &
 * Schmidhuber 2021's comparison). At every example step it reads z = [x (inputSize pixels / 255),
 * onehot(previous label) (classes; zero at the first step and for queries), h (hidden)]:
 *   pre = W z + b            (rows ordered i, f, g, o; row = gate * hidden + unit)
 *   i = sigmoid(pre_i)  f = sigmoid(pre_f + LSTM_FORGET_BIAS)  g = tanh(pre_g)  o = sigmoid(pre_o)
 *   c = f * c + i * g        h = o * tanh(c)        logits = Wo h + bo
 * A prediction is made from h after reading the example, before its label is fed (next step).
 * Queries run the same step from the frozen (h, c) without writing them back.
 *
 * Sizing (issue 21): its learned state (h and c, 2 x hidden floats) equals a VSML learner's
 * (sum over layers of A x B cells x 2H floats), so hidden = VSML cells x H; its meta-parameters are
 * then far larger than VSML's shared cell: the "big algorithm, same state" side of the hypothesis.
 */
import { RNG_DOMAIN, fillNormal } from '../rng/philox';
import type { LearnerCost } from './cost-model';
import { type VsmlConfig, learnerStateBytes, metaParamLayout, numClasses } from './vsml-config';

/** Added to the forget gate's pre-activation (the usual +1 of Jozefowicz et al. 2015): remember by default. */
export const LSTM_FORGET_BIAS = 1;

export interface LstmLearnerConfig {
  /** Pixels read per example. */
  inputSize: number;
  /** Output classes (= one-hot label inputs). */
  classes: number;
  /** Hidden units (h and c each this long). */
  hidden: number;
}

export interface LstmParamLayout {
  size: number;
  /** Columns of W: inputSize + classes + hidden. */
  cols: number;
  /** Offsets (floats) of W (4H x cols), b (4H), head W (classes x H), head b (classes). */
  W: number;
  b: number;
  headW: number;
  headB: number;
}

export function lstmParamLayout(c: LstmLearnerConfig): LstmParamLayout {
  const H = c.hidden;
  const cols = c.inputSize + c.classes + H;
  const W = 0;
  const b = W + 4 * H * cols;
  const headW = b + 4 * H;
  const headB = headW + c.classes * H;
  return { size: headB + c.classes, cols, W, b, headW, headB };
}

/** Learned-state floats of a VSML learner (h and c of every cell). */
export function vsmlStateFloats(v: VsmlConfig): number {
  return learnerStateBytes(v) / 4;
}

/** Hidden size whose LSTM state (2 x hidden) equals the VSML learner's state. */
export function matchedLstmHidden(v: VsmlConfig): number {
  return vsmlStateFloats(v) / 2;
}

export class LstmSizingError extends Error {
  override name = 'LstmSizingError';
}

/**
 * The LSTM that stands against VSML learner `v` on the same tasks: same input size and classes,
 * `hidden` (0: matched to v's learned state). Refuses a projecting VSML learner (the LSTM reads raw
 * pixels; use tasks.pixelSubset) and, when `requireRatio` > 0, a size whose meta-parameters are not
 * at least that many times VSML's.
 */
export function lstmFor(v: VsmlConfig, hidden = 0, requireRatio = 0): LstmLearnerConfig {
  if (v.projection)
    throw new LstmSizingError(
      'the LSTM learner reads raw pixels: use learner.projection false (and tasks.pixelSubset)',
    );
  const c: LstmLearnerConfig = {
    inputSize: v.inputSize,
    classes: numClasses(v),
    hidden: hidden > 0 ? hidden : matchedLstmHidden(v),
  };
  if (requireRatio > 0) {
    const ratio = lstmParamLayout(c).size / metaParamLayout(v).size;
    if (ratio < requireRatio)
      throw new LstmSizingError(
        `LSTM hidden ${c.hidden} has ${lstmParamLayout(c).size} meta-parameters, only ${ratio.toFixed(1)}x the VSML learner's ${metaParamLayout(v).size} (need >= ${requireRatio}x)`,
      );
  }
  return c;
}

/**
 * Initial meta-parameters: W normal with std 1/sqrt(cols) (unit-variance pre-activations for
 * unit-variance inputs), head W std 1/sqrt(hidden), biases 0; from Philox (seed, paramInit).
 */
export function initLstmParams(c: LstmLearnerConfig, seed: number): Float32Array {
  const l = lstmParamLayout(c);
  const out = new Float32Array(l.size);
  fillNormal(out, seed >>> 0, RNG_DOMAIN.paramInit);
  const scale = (from: number, to: number, s: number) => {
    for (let i = from; i < to; i++) out[i] = s === 0 ? 0 : Math.fround(out[i] * s);
  };
  scale(l.W, l.b, 1 / Math.sqrt(l.cols));
  scale(l.b, l.headW, 0);
  scale(l.headW, l.headB, 1 / Math.sqrt(c.hidden));
  scale(l.headB, l.size, 0);
  return out;
}

/** Multiply-adds of one example step (gates + head), for FLOP reports. */
export function lstmMacsPerStep(c: LstmLearnerConfig): number {
  return 4 * c.hidden * (c.inputSize + 1 + c.hidden) + c.classes * c.hidden;
}

export function describeLstm(c: LstmLearnerConfig): string {
  return `lstm ${c.inputSize}+${c.classes}->H${c.hidden}->${c.classes}`;
}

/** The four-axes cost of one LSTM learner. */
export type LstmCost = LearnerCost;

/**
 * Per example: pixel scaling (A), the gate affine map over [x, h] (2 x 4H x (A + H) + 4H), the
 * fed label's one-hot column (4H adds; learning only, queries feed none), the forget bias (H), three
 * sigmoids (exp, add, divide: 3 each), two tanh (H each), c = f c + i g (3H), h = o tanh(c) (H) and
 * the head (2 C H + C). State: h and c, and the label fed at the next step. Algorithm: the
 * meta-parameters, plus a 4-byte seed when `pixelSeed` (a fixed pixel subset) is used.
 */
export function lstmCost(c: LstmLearnerConfig, pixelSeed: boolean): LstmCost {
  const { inputSize: A, classes: C, hidden: H } = c;
  const query = A + 2 * 4 * H * (A + H) + 4 * H + H + 9 * H + 2 * H + 3 * H + H + 2 * C * H + C;
  const stateBreakdown = [
    { name: 'h (hidden)', bytes: 4 * H },
    { name: 'c (cell)', bytes: 4 * H },
    { name: 'label fed at the next step', bytes: 4 },
  ];
  const algorithmBreakdown = [{ name: 'meta-parameters (f32)', bytes: 4 * lstmParamLayout(c).size }];
  if (pixelSeed) algorithmBreakdown.push({ name: 'pixel subset seed', bytes: 4 });
  return {
    flopsPerLearnExample: query + 4 * H,
    flopsPerQueryExample: query,
    stateBytes: stateBreakdown.reduce((s, b) => s + b.bytes, 0),
    stateBreakdown,
    algorithmBytes: algorithmBreakdown.reduce((s, b) => s + b.bytes, 0),
    algorithmBreakdown,
  };
}
