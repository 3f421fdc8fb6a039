/**
 * The class-mean rule's validation score in closed form, fast enough to be an evolution fitness.
 *
 * The split is the TRAIN split only, shaped like the benchmark: the first (1 - holdFraction) of
 * every class, class-sorted, is the learn stream; the rest are queries with the state frozen.
 * After the stream, the rule's state is its class means (the counter's 1/(n+1) rates, exactly as
 * ClassMeanDirect and the learner keep them), so a query's logits are a fixed function of its
 * pixels and of the rule's constants. The base NCM part is computed once; each ink term costs one
 * (queries x pixels) x (pixels x classes) product, with the sigmoid of the 256 pixel intensities
 * tabulated. tests/rule-fit.test.ts pins this to ClassMeanDirect.
 */
import type { ImageSplit } from '../data/dataset';
import { heldOutStream } from '../data/ordered-stream';
import { type ClassMeanRule, type InkTerm, counterRates, readoutGains } from '../inner/rules/class-mean';

export interface RuleValidationSet {
  classes: number;
  pixels: number;
  queries: number;
  /** Query labels. */
  labels: Uint8Array;
  /** Query pixels as u8 (index into intensity tables). */
  images: Uint8Array;
  /** tanh of the class means, classes x pixels. */
  t: Float64Array;
  /** The NCM part of every query's summed logit (before / pixels), queries x classes. */
  base: Float64Array;
  /** The base rule (k, l, m, beta, lambda) the set was built for. */
  rule: ClassMeanRule;
  bound: number;
}

export interface RuleScore {
  accuracy: number;
  crossEntropy: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Learn stream and queries of the train split (see the file comment); `maxQueries` caps the queries evenly per class (0: all). */
export function buildRuleValidation(
  train: ImageSplit,
  rule: ClassMeanRule,
  opts: { holdFraction?: number; maxQueries?: number; bound?: number } = {},
): RuleValidationSet {
  const hold = opts.holdFraction ?? 1 / 6;
  const A = train.rows * train.cols;
  const C = train.numClasses;
  const { learn, queries, learnPerClass, queriesPerClass } = heldOutStream(train, hold);
  const f = Math.fround;
  const [k, l] = [f(rule.k), f(rule.l)];
  const phi = Float64Array.from({ length: 256 }, (_, v) => Math.tanh(l * Math.tanh(Math.tanh(k * (v / 255)))));
  const mean = new Float64Array(C * A);
  const queryIdx: number[] = [];
  const perClassCap = opts.maxQueries ? Math.ceil(opts.maxQueries / C) : Infinity;
  const rates = counterRates(Math.max(...learnPerClass));
  let [learnAt, queryAt] = [0, 0];
  for (let b = 0; b < C; b++) {
    const nLearn = learnPerClass[b];
    // The learner sees the last learn example's label only with the next class's first example;
    // the last class's final label is never delivered (as in ClassMeanDirect).
    const counted = b === C - 1 ? nLearn - 1 : nLearn;
    for (let n = 0; n < counted; n++) {
      const r = rates[n];
      const img = learn[learnAt + n] * A;
      for (let a = 0; a < A; a++) mean[b * A + a] = (1 - r) * mean[b * A + a] + r * phi[train.images[img + a]];
    }
    for (let q = 0; q < queriesPerClass[b] && q < perClassCap; q++) queryIdx.push(queries[queryAt + q]);
    learnAt += nLearn;
    queryAt += queriesPerClass[b];
  }
  const Q = queryIdx.length;
  const images = new Uint8Array(Q * A);
  const labels = new Uint8Array(Q);
  queryIdx.forEach((i, q) => {
    images.set(train.images.subarray(i * A, (i + 1) * A), q * A);
    labels[q] = train.labels[i];
  });
  const t = mean.map(Math.tanh);
  // NCM part: G1 tanh(m x / 2) t - G2 (s(beta t) - 1/2) t, summed over pixels (queries: t' = t).
  const { G1, G2 } = readoutGains(rule);
  const psi = Float64Array.from({ length: 256 }, (_, v) => G1 * Math.tanh((f(rule.m) * (v / 255)) / 2));
  const sq = new Float64Array(C);
  for (let b = 0; b < C; b++)
    for (let a = 0; a < A; a++) sq[b] += G2 * (sigmoid(f(rule.beta) * t[b * A + a]) - 0.5) * t[b * A + a];
  const base = new Float64Array(Q * C);
  const row = new Float64Array(A);
  for (let q = 0; q < Q; q++) {
    for (let a = 0; a < A; a++) row[a] = psi[images[q * A + a]];
    for (let b = 0; b < C; b++) {
      let s = -sq[b];
      const tb = b * A;
      for (let a = 0; a < A; a++) s += row[a] * t[tb + a];
      base[q * C + b] = s;
    }
  }
  return {
    classes: C,
    pixels: A,
    queries: Q,
    labels,
    images,
    t,
    base,
    rule: { ...rule, ink: undefined },
    bound: opts.bound ?? 100,
  };
}

/**
 * Every query's logits before the readout, in units of the set's lambda: S = (summed cell
 * outputs / pixels) / lambda, queries x classes, for the base rule plus `ink` terms.
 */
export function ruleLogits(set: RuleValidationSet, ink: readonly InkTerm[]): Float64Array {
  const { classes: C, pixels: A, queries: Q, t, base } = set;
  const s = Float64Array.from(base);
  const gate = new Float64Array(256);
  const u = new Float64Array(C * A);
  const row = new Float64Array(A);
  for (const term of ink) {
    const head = term.gamma * set.rule.lambda;
    for (let v = 0; v < 256; v++) gate[v] = head * sigmoid(term.a * (v / 255) + term.b);
    for (let i = 0; i < C * A; i++) u[i] = Math.tanh(Math.tanh(term.w * t[i] + term.c));
    for (let q = 0; q < Q; q++) {
      for (let a = 0; a < A; a++) row[a] = gate[set.images[q * A + a]];
      for (let b = 0; b < C; b++) {
        let acc = 0;
        const ub = b * A;
        for (let a = 0; a < A; a++) acc += row[a] * u[ub + a];
        s[q * C + b] += acc;
      }
    }
  }
  const norm = 1 / (A * set.rule.lambda);
  for (let i = 0; i < s.length; i++) s[i] *= norm;
  return s;
}

/**
 * Evolution fitness: accuracy, ties broken by the mean cross-entropy of an unbounded softmax at
 * temperature 1 / lambda (weight 1e-3: a 1-query accuracy change on 10,000 queries outweighs a
 * cross-entropy change of 0.1). Shift-invariant, so the ink terms' large common offset does not
 * matter here; the deployed readout is calibrated afterwards (calibrateReadout).
 */
export function ruleFitness(set: RuleValidationSet, S: Float64Array, lambda = set.rule.lambda): number {
  const C = set.classes;
  let correct = 0;
  let ce = 0;
  for (let q = 0; q < set.queries; q++) {
    let best = 0;
    for (let b = 1; b < C; b++) if (S[q * C + b] > S[q * C + best]) best = b;
    const max = S[q * C + best];
    let z = 0;
    for (let b = 0; b < C; b++) z += Math.exp(lambda * (S[q * C + b] - max));
    ce += Math.log(z) - lambda * (S[q * C + set.labels[q]] - max);
    if (best === set.labels[q]) correct++;
  }
  return correct / set.queries - (1e-3 * ce) / set.queries;
}

/** Accuracy and mean cross-entropy of the deployed readout y = bound tanh(lambda (S - offset) / bound). */
export function readoutScore(set: RuleValidationSet, S: Float64Array, lambda: number, offset: number): RuleScore {
  const { classes: C, queries: Q, bound } = set;
  let correct = 0;
  let ce = 0;
  const y = new Float64Array(C);
  for (let q = 0; q < Q; q++) {
    let best = 0;
    let max = -Infinity;
    for (let b = 0; b < C; b++) {
      y[b] = bound * Math.tanh((lambda * (S[q * C + b] - offset)) / bound);
      if (y[b] > y[best]) best = b;
      max = Math.max(max, y[b]);
    }
    let z = 0;
    for (let b = 0; b < C; b++) z += Math.exp(y[b] - max);
    ce += max + Math.log(z) - y[set.labels[q]];
    if (best === set.labels[q]) correct++;
  }
  return { accuracy: correct / Q, crossEntropy: ce / Q };
}

/**
 * The readout's temperature and offset for logits S: offset = the median over queries of the top
 * logit (keeps the bounded readout in its linear range), lambda = the value on a log grid
 * (10 .. 10,000, 61 points) with the least cross-entropy. Neither changes which class wins.
 */
export function calibrateReadout(
  set: RuleValidationSet,
  S: Float64Array,
): { lambda: number; offset: number; score: RuleScore } {
  const C = set.classes;
  const tops = Float64Array.from({ length: set.queries }, (_, q) => Math.max(...S.subarray(q * C, (q + 1) * C))).sort();
  const offset = tops[tops.length >> 1];
  let best = { lambda: 0, offset, score: { accuracy: 0, crossEntropy: Infinity } };
  for (let i = 0; i <= 60; i++) {
    const lambda = 10 * 1000 ** (i / 60);
    const score = readoutScore(set, S, lambda, offset);
    if (score.crossEntropy < best.score.crossEntropy) best = { lambda, offset, score };
  }
  return best;
}
