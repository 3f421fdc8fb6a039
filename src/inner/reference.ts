/**
 * Plain float64 TypeScript implementation of the VSML learner: the literal per-cell semantics
 * (every cell computes the full gate pre-activation W z and both heads; messages are means of the
 * heads), with none of the kernels' rewrites. The GPU kernels are tested against it.
 */
import { RNG_DOMAIN, normalAt, philox4x32 } from '../rng/philox';
import {
  FORGET_GATE_OFFSET,
  INPUT_GATE_OFFSET,
  type VsmlConfig,
  metaParamLayout,
  numClasses,
} from '../spec/vsml-config';

export interface ReferenceOptions {
  stateSeed: number;
  projectionSeed?: number;
  /** numClasses entries: shown label = labelMap[trueLabel] (identity if absent). */
  labelMap?: ArrayLike<number>;
}

export interface StepResult {
  prediction: number;
  crossEntropy: number;
  correct: boolean;
  /** Logits y_b. */
  logits: Float64Array;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Index of the largest value, first on ties (as the kernel). */
function argmax(v: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  return best;
}

export class VsmlReference {
  /** Per layer: h and c, [A][B][H] row-major. */
  readonly h: Float64Array[] = [];
  readonly c: Float64Array[] = [];
  /** Per layer: incoming backward message [B][M] (for the last layer: the feedback). */
  readonly bwd: Float64Array[] = [];
  private readonly p: Float64Array;
  private readonly seg: Record<string, number> = {};
  private readonly C: number;

  constructor(
    readonly config: VsmlConfig,
    params: ArrayLike<number>,
    readonly opts: ReferenceOptions,
  ) {
    const layout = metaParamLayout(config);
    if (params.length !== layout.size) throw new Error(`expected ${layout.size} meta-parameters, got ${params.length}`);
    this.p = Float64Array.from(params);
    for (const s of layout.segments) this.seg[s.name] = s.offset;
    this.C = numClasses(config);
    const H = config.hidden;
    const K = config.layers.length - 1;
    for (let k = 0; k < K; k++) {
      const A = config.layers[k];
      const B = config.layers[k + 1];
      const h = new Float64Array(A * B * H);
      const c = new Float64Array(A * B * H);
      for (let cell = 0; cell < A * B; cell++) {
        for (let j = 0; j < H / 2; j++) {
          c[cell * H + j] =
            normalAt(opts.stateSeed >>> 0, RNG_DOMAIN.stateInit, cell * (H / 2) + j, k, 0, 0) / Math.sqrt(A);
        }
      }
      this.h.push(h);
      this.c.push(c);
      this.bwd.push(new Float64Array(B * config.message));
    }
  }

  /** First-layer input of a raw image (pixels scaled to [0, 1], projected when configured). */
  input(image: Uint8Array, offset = 0): Float64Array {
    const cfg = this.config;
    const n = cfg.inputSize;
    const A0 = cfg.layers[0];
    const x = new Float64Array(A0);
    if (!cfg.projection) {
      for (let a = 0; a < A0; a++) x[a] = image[offset + a] / 255;
      return x;
    }
    const signs = this.projectionSigns();
    for (let a = 0; a < A0; a++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += signs[a * n + p] * image[offset + p];
      x[a] = s / (255 * Math.sqrt(n));
    }
    return x;
  }

  private signs: Int8Array | null = null;

  /** s_ap = +-1: bit p % 32 of word (p / 32) % 4 of Philox block [p / 128, a, 0, 0] (set = -1). */
  projectionSigns(): Int8Array {
    if (this.signs) return this.signs;
    const n = this.config.inputSize;
    const A0 = this.config.layers[0];
    const seed = (this.opts.projectionSeed ?? this.config.projectionSeed) >>> 0;
    const s = new Int8Array(A0 * n);
    for (let a = 0; a < A0; a++) {
      for (let j = 0; j * 128 < n; j++) {
        const w = philox4x32(seed, RNG_DOMAIN.projection, j, a, 0, 0);
        for (let p = j * 128; p < Math.min(n, j * 128 + 128); p++)
          s[a * n + p] = (w[(p >> 5) & 3] >>> (p & 31)) & 1 ? -1 : 1;
      }
    }
    this.signs = s;
    return s;
  }

  shownLabel(trueLabel: number): number {
    return this.opts.labelMap ? this.opts.labelMap[trueLabel] : trueLabel;
  }

  /** Learning step: predict, then store the feedback for the next step; updates the state. */
  learn(image: Uint8Array, offset: number, trueLabel: number): StepResult {
    return this.step(this.input(image, offset), this.shownLabel(trueLabel), true);
  }

  /** Query from the frozen state (nothing written). */
  query(image: Uint8Array, offset: number, trueLabel: number): StepResult {
    return this.step(this.input(image, offset), this.shownLabel(trueLabel), false);
  }

  step(x: Float64Array, label: number, learn: boolean): StepResult {
    const cfg = this.config;
    const M = cfg.message;
    const K = cfg.layers.length - 1;
    let fwd: Float64Array = new Float64Array(x.length * M);
    for (let a = 0; a < x.length; a++) fwd[a * M] = x[a];
    for (let k = 0; k < K; k++) {
      // Query mode: the last layer's feedback is zero; other layers read the frozen messages.
      const bwdIn = !learn && k === K - 1 ? new Float64Array(this.bwd[k].length) : this.bwd[k];
      const out = this.layer(k, fwd, bwdIn, learn);
      if (learn && k > 0) this.bwd[k - 1].set(out.bwdOut);
      fwd = out.fwdOut;
    }
    const C = this.C;
    const { component, bound } = cfg.readout;
    const y = new Float64Array(C);
    for (let b = 0; b < C; b++) y[b] = bound * Math.tanh(fwd[b * M + component] / bound);
    const ymax = Math.max(...y);
    let z = 0;
    for (let b = 0; b < C; b++) z += Math.exp(y[b] - ymax);
    const lse = ymax + Math.log(z);
    const prediction = argmax(y);
    if (learn) {
      const fb = this.bwd[K - 1];
      fb.fill(0);
      for (let b = 0; b < C; b++) {
        const onehot = b === label ? 1 : 0;
        fb[b * M] = Math.exp(y[b] - lse) - onehot;
        if (cfg.labelFeeding) fb[b * M + 1] = onehot;
      }
    }
    return { prediction, crossEntropy: lse - y[label], correct: prediction === label, logits: y };
  }

  /** One layer for one example: every cell ticks, heads averaged. Writes the state when `write`. */
  private layer(
    k: number,
    fwdIn: Float64Array,
    bwdIn: Float64Array,
    write: boolean,
  ): { fwdOut: Float64Array; bwdOut: Float64Array } {
    const cfg = this.config;
    const H = cfg.hidden;
    const M = cfg.message;
    const Z = 2 * M + H;
    const A = cfg.layers[k];
    const B = cfg.layers[k + 1];
    const p = this.p;
    const S = this.seg;
    const fwdOut = new Float64Array(B * M);
    const bwdOut = new Float64Array(A * M);
    const z = new Float64Array(Z);
    const pre = new Float64Array(4 * H);
    const rank = cfg.cell.kind === 'lstm-lowrank' ? cfg.cell.rank : 0;
    const v = new Float64Array(rank);
    const h = new Float64Array(H);
    const c = new Float64Array(H);
    for (let a = 0; a < A; a++) {
      for (let b = 0; b < B; b++) {
        const cell = (a * B + b) * H;
        for (let j = 0; j < H; j++) {
          h[j] = this.h[k][cell + j];
          c[j] = this.c[k][cell + j];
        }
        for (let t = 0; t < cfg.ticks; t++) {
          for (let m = 0; m < M; m++) {
            z[m] = fwdIn[a * M + m];
            z[M + m] = bwdIn[b * M + m];
          }
          for (let j = 0; j < H; j++) z[2 * M + j] = h[j];
          if (rank === 0) {
            for (let r = 0; r < 4 * H; r++) {
              let s = p[S['lstm.b'] + r];
              for (let j = 0; j < Z; j++) s += p[S['lstm.W'] + r * Z + j] * z[j];
              pre[r] = s;
            }
          } else {
            for (let q = 0; q < rank; q++) {
              let s = 0;
              for (let j = 0; j < Z; j++) s += p[S['lstm.V'] + q * Z + j] * z[j];
              v[q] = s;
            }
            for (let r = 0; r < 4 * H; r++) {
              let s = p[S['lstm.b'] + r];
              for (let q = 0; q < rank; q++) s += p[S['lstm.U'] + r * rank + q] * v[q];
              pre[r] = s;
            }
          }
          for (let j = 0; j < H; j++) {
            const ig = sigmoid(pre[j] + INPUT_GATE_OFFSET);
            const fg = sigmoid(pre[H + j] + FORGET_GATE_OFFSET);
            const g = Math.tanh(pre[2 * H + j]);
            const og = sigmoid(pre[3 * H + j]);
            c[j] = fg * c[j] + ig * g;
            h[j] = og * Math.tanh(c[j]);
          }
        }
        for (let m = 0; m < M; m++) {
          let f = p[S['head.fwd.b'] + m];
          let bk = p[S['head.bwd.b'] + m];
          for (let j = 0; j < H; j++) {
            f += p[S['head.fwd.W'] + m * H + j] * h[j];
            bk += p[S['head.bwd.W'] + m * H + j] * h[j];
          }
          fwdOut[b * M + m] += f / A;
          bwdOut[a * M + m] += bk / B;
        }
        if (write) {
          for (let j = 0; j < H; j++) {
            this.h[k][cell + j] = h[j];
            this.c[k][cell + j] = c[j];
          }
        }
      }
    }
    return { fwdOut, bwdOut };
  }
}

export interface ReferenceEpisodeResult {
  onlineCorrect: number;
  onlineCrossEntropy: number;
  queryCorrect: number;
  queryCrossEntropy: number;
  queryPredictions: Uint32Array;
  onlinePredictions: Uint32Array;
  /** Logits of every query. */
  queryLogits: Float64Array[];
  /** Online steps whose two best logits are within 1e-4 (relative): an f32 run may pick either. */
  nearTies: number;
  learner: VsmlReference;
}

function isNearTie(y: Float64Array): boolean {
  const s = [...y].sort((a, b) => b - a);
  return s[0] - s[1] < 1e-4 * Math.max(1, Math.abs(s[0]));
}

/** One learner's episode over a raw image split (images u8, pixels per image = config.inputSize). */
export function referenceEpisode(
  config: VsmlConfig,
  params: ArrayLike<number>,
  data: {
    learnImages: Uint8Array;
    learnLabels: ArrayLike<number>;
    queryImages: Uint8Array;
    queryLabels: ArrayLike<number>;
  },
  learnIndices: ArrayLike<number>,
  queryIndices: ArrayLike<number>,
  opts: ReferenceOptions,
): ReferenceEpisodeResult {
  const ref = new VsmlReference(config, params, opts);
  const n = config.inputSize;
  const r: ReferenceEpisodeResult = {
    onlineCorrect: 0,
    onlineCrossEntropy: 0,
    queryCorrect: 0,
    queryCrossEntropy: 0,
    queryPredictions: new Uint32Array(queryIndices.length),
    onlinePredictions: new Uint32Array(learnIndices.length),
    queryLogits: [],
    nearTies: 0,
    learner: ref,
  };
  for (let t = 0; t < learnIndices.length; t++) {
    const i = learnIndices[t];
    const s = ref.learn(data.learnImages, i * n, data.learnLabels[i]);
    r.onlineCorrect += s.correct ? 1 : 0;
    r.onlineCrossEntropy += s.crossEntropy;
    r.onlinePredictions[t] = s.prediction;
    if (isNearTie(s.logits)) r.nearTies++;
  }
  for (let q = 0; q < queryIndices.length; q++) {
    const i = queryIndices[q];
    const s = ref.query(data.queryImages, i * n, data.queryLabels[i]);
    r.queryCorrect += s.correct ? 1 : 0;
    r.queryCrossEntropy += s.crossEntropy;
    r.queryPredictions[q] = s.prediction;
    r.queryLogits.push(s.logits);
  }
  return r;
}
