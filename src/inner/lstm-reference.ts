/**
 * Float64 reference of the LSTM learner's episode (src/spec/lstm-config.ts for the equations),
 * the ground truth of the WGSL kernels (src/kernels/lstm-step.wgsl, lstm-readout.wgsl) and a CPU
 * fallback for tiny runs. It also reports the largest sum of |terms| of any dot product it formed
 * (`maxAbsTerms`), from which the parity test derives its f32 tolerance.
 */
import { LSTM_FORGET_BIAS, type LstmLearnerConfig, lstmParamLayout } from '../spec/lstm-config';

export interface LstmEpisodeInput {
  /** learnLength x inputSize pixels (0..255). */
  learnImages: Uint8Array;
  learnLabels: ArrayLike<number>;
  queryImages: Uint8Array;
  queryLabels: ArrayLike<number>;
}

export interface LstmEpisodeResult {
  onlineCorrect: number;
  onlineCrossEntropy: number;
  queryCorrect: number;
  queryCrossEntropy: number;
  queryPredictions: number[];
  /** Top logit minus the runner-up, per query (ties within tolerance make predictions ambiguous). */
  queryMargins: number[];
  h: Float64Array;
  c: Float64Array;
  maxAbsTerms: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function lstmEpisodeReference(
  cfg: LstmLearnerConfig,
  params: ArrayLike<number>,
  ep: LstmEpisodeInput,
): LstmEpisodeResult {
  const l = lstmParamLayout(cfg);
  const { inputSize: A, classes: C, hidden: H } = cfg;
  const h = new Float64Array(H);
  const c = new Float64Array(H);
  let maxAbsTerms = 0;
  const pre = new Float64Array(4 * H);
  /** One step: returns the new (h, c) and the logits; label < 0 feeds no label. */
  const step = (img: Uint8Array, off: number, prevLabel: number) => {
    for (let r = 0; r < 4 * H; r++) {
      const row = l.W + r * l.cols;
      let s = params[l.b + r];
      let abs = Math.abs(s);
      for (let a = 0; a < A; a++) {
        const t = params[row + a] * (img[off + a] / 255);
        s += t;
        abs += Math.abs(t);
      }
      if (prevLabel >= 0) {
        s += params[row + A + prevLabel];
        abs += Math.abs(params[row + A + prevLabel]);
      }
      for (let k = 0; k < H; k++) {
        const t = params[row + A + C + k] * h[k];
        s += t;
        abs += Math.abs(t);
      }
      pre[r] = s;
      maxAbsTerms = Math.max(maxAbsTerms, abs);
    }
    const hn = new Float64Array(H);
    const cn = new Float64Array(H);
    for (let j = 0; j < H; j++) {
      const i = sigmoid(pre[j]);
      const f = sigmoid(pre[H + j] + LSTM_FORGET_BIAS);
      const g = Math.tanh(pre[2 * H + j]);
      const o = sigmoid(pre[3 * H + j]);
      cn[j] = f * c[j] + i * g;
      hn[j] = o * Math.tanh(cn[j]);
    }
    const y = new Float64Array(C);
    for (let b = 0; b < C; b++) {
      let s = params[l.headB + b];
      let abs = Math.abs(s);
      for (let k = 0; k < H; k++) {
        const t = params[l.headW + b * H + k] * hn[k];
        s += t;
        abs += Math.abs(t);
      }
      y[b] = s;
      maxAbsTerms = Math.max(maxAbsTerms, abs);
    }
    return { hn, cn, y };
  };
  const score = (y: Float64Array, label: number) => {
    let best = 0;
    for (let b = 1; b < C; b++) if (y[b] > y[best]) best = b;
    let runner = -Infinity;
    for (let b = 0; b < C; b++) if (b !== best) runner = Math.max(runner, y[b]);
    const ymax = y[best];
    let z = 0;
    for (let b = 0; b < C; b++) z += Math.exp(y[b] - ymax);
    return { best, margin: ymax - runner, ce: ymax + Math.log(z) - y[label] };
  };
  const r: LstmEpisodeResult = {
    onlineCorrect: 0,
    onlineCrossEntropy: 0,
    queryCorrect: 0,
    queryCrossEntropy: 0,
    queryPredictions: [],
    queryMargins: [],
    h,
    c,
    maxAbsTerms: 0,
  };
  let prev = -1;
  for (let t = 0; t < ep.learnLabels.length; t++) {
    const { hn, cn, y } = step(ep.learnImages, t * A, prev);
    h.set(hn);
    c.set(cn);
    const s = score(y, ep.learnLabels[t]);
    if (s.best === ep.learnLabels[t]) r.onlineCorrect++;
    r.onlineCrossEntropy += s.ce;
    prev = ep.learnLabels[t];
  }
  for (let q = 0; q < ep.queryLabels.length; q++) {
    const { y } = step(ep.queryImages, q * A, -1);
    const s = score(y, ep.queryLabels[q]);
    if (s.best === ep.queryLabels[q]) r.queryCorrect++;
    r.queryCrossEntropy += s.ce;
    r.queryPredictions.push(s.best);
    r.queryMargins.push(s.margin);
  }
  r.maxAbsTerms = maxAbsTerms;
  return r;
}
