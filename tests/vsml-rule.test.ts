/**
 * End-to-end proof that messages carry information: hand-set meta-parameters turn the VSML
 * learner into a known rule, a Hebbian class-sum classifier, and the GPU learner must predict as
 * that rule does, computed directly from the data (not by running an LSTM).
 *
 * Construction (1 layer A -> 10, H = 4, M = 2, 1 tick, label feeding: the backward message of
 * output b carries onehot_b(previous label) in slot 1). Gate rows are gate * H + unit, columns
 * [x, fwd1, error, label, h0..h3]; sigmoid(20) = 1 - 2e-9 and sigmoid(-20) = 2e-9 act as switches.
 *  - unit 0 remembers the input: i0 = s(25 - 5) = 1, f0 = s(-25 + 5) = 0, g0 = tanh(kx), o0 = s(25):
 *    h0 = tanh(tanh(k x_a)) of the current example, read by the next step.
 *  - units 2 and 3 accumulate: i = s(40 label_b - 15 - 5) is 1 exactly when the previous example
 *    had label b, f = s(20 + 5) = 1, g = tanh(l h0) = phi(x_prev,a), so
 *    c_ab = sum over earlier examples s of class b of phi(x_s,a), phi(v) = tanh(l tanh(tanh(k v))).
 *    Their output gates are s(+m x_a) and s(-m x_a).
 *  - forward head, component 1: G (h2 - h3), so after the mean over a
 *    y_b = 100 tanh( (G/A) sum_a (s(m x_a) - s(-m x_a)) tanh(c_ab) / 100 )
 *        = 100 tanh( (G/A) sum_a tanh(m x_a / 2) tanh(c_ab) / 100 ).
 * For small k, l, m this is score_b ~ sum_a x_a S_ab with S_ab = sum_{s: y_s = b} x_s,a: the
 * Hebbian outer-product (class-sum) rule. A prediction at step t uses examples 0..t-1 (label t-1
 * arrives with example t); queries use examples 0..N-2 (the last label is never delivered).
 *
 * What the construction guarantees, and what the test asserts exactly: every learner score is
 * within 4e-4 of the rule's score above. Error budget: the switches sigmoid(+-20) are 2e-9 from 0
 * or 1, so the gates leak < 1e-7 into c over 30 steps; in f32, c_ab sums at most 6 values of phi
 * (each < tanh(0.2) < 0.2, so |c| < 1.2) and tanh(c_ab) is off by < 1e-6; the output gates are
 * <= 1, so each (a, b) term of the forward head is off by < 2e-6, their mean over a (a 32-term
 * f32 sum) by < 4e-6, and after the gain G = 100 and the readout (slope <= 1) the score by < 4e-4.
 * So wherever the rule's best score beats the second by more than 1e-3 absolute and 1e-3 relative
 * ("clear winner"), the learner's prediction IS the rule's, online and on queries; and therefore
 * the learner's number of correct answers equals the rule's up to the answers without a clear
 * winner. These hold for every seed.
 *
 * What the construction does not guarantee: how well the class-sum rule does on MNIST (the data),
 * how often it has a clear winner, and how closely it follows its linearisation. Those are
 * asserted at this file's fixed seed (so the suite is deterministic), with thresholds that held
 * for every one of 2,000 seeds in a one-off run of the CPU side of this test (seed k * 2654435761,
 * k < 2000): clear winners on 93.3-100% of queries (bound 90%), agreement with the linear rule
 * 87.2-100% (bound 85%), rule accuracy 27.8-78.9%, median 48.9% (bound: above chance, 1/5). An
 * earlier version asserted accuracy > 0.3, a data property that 8 of those 2,000 seeds miss.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSplit } from '../src/data/dataset';
import { PhiloxStream } from '../src/rng/philox';
import { projectInput } from '../src/kernels/vsml-input';
import { classStream, sampleClasses } from '../src/inner/episodes';
import { VsmlPopulation } from '../src/inner/population';
import { referenceEpisode } from '../src/inner/reference';
import { metaParamLayout, validateVsmlConfig } from '../src/spec/vsml-config';
import { useGpu, useMnistSubset } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x5eed0004); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const KAPPA = 0.5;
const LAMBDA = 0.2;
const MU = 0.5;
const GAIN = 100;
const A = 32;

const cfg = validateVsmlConfig({
  projection: true,
  layers: [A, 10],
  hidden: 4,
  message: 2,
  ticks: 1,
  labelFeeding: true,
  readout: { component: 1, bound: 100 },
});

function ruleParams(): Float32Array {
  const L = metaParamLayout(cfg);
  const p = new Float32Array(L.size);
  const H = 4;
  const Z = 8;
  const W = (gate: number, unit: number, col: number, v: number) =>
    (p[L.get('lstm.W').offset + (gate * H + unit) * Z + col] = v);
  const b = (gate: number, unit: number, v: number) => (p[L.get('lstm.b').offset + gate * H + unit] = v);
  const [I, F, G, O] = [0, 1, 2, 3];
  const X = 0;
  const LABEL = 3;
  const H0 = 4;
  b(I, 0, 25);
  b(F, 0, -25);
  W(G, 0, X, KAPPA);
  b(O, 0, 25);
  for (const [unit, sign] of [
    [2, 1],
    [3, -1],
  ]) {
    W(I, unit, LABEL, 40);
    b(I, unit, -15);
    b(F, unit, 20);
    W(G, unit, H0, LAMBDA);
    W(O, unit, X, sign * MU);
  }
  const hw = L.get('head.fwd.W').offset;
  p[hw + 1 * H + 2] = GAIN;
  p[hw + 1 * H + 3] = -GAIN;
  return p;
}

const mnist = useMnistSubset(gpu, 2000, 500);

const phi = (v: number) => Math.tanh(LAMBDA * Math.tanh(Math.tanh(KAPPA * v)));

/** Scores of the exact rule (derived above) and of its linearisation, from examples `seen`. */
function scores(x: Float32Array, seen: { x: Float32Array; label: number }[]): { exact: number[]; linear: number[] } {
  const S = Array.from({ length: 10 }, () => new Float64Array(A));
  const lin = Array.from({ length: 10 }, () => new Float64Array(A));
  for (const s of seen) {
    for (let a = 0; a < A; a++) {
      S[s.label][a] += phi(s.x[a]);
      lin[s.label][a] += s.x[a];
    }
  }
  const exact = S.map((Sb) => {
    let f = 0;
    for (let a = 0; a < A; a++) f += Math.tanh((MU * x[a]) / 2) * Math.tanh(Sb[a]);
    return 100 * Math.tanh(((GAIN / A) * f) / 100);
  });
  const linear = lin.map((Lb) => Lb.reduce((s, v, a) => s + v * x[a], 0));
  return { exact, linear };
}

/** Rule scores closer than this (absolute) may swap on the learner: twice the error bound above, with margin. */
const EXACT_MARGIN = 1e-3;

/** Argmax, or -1 when the best two are within `rel` (relative) or `abs`, or the best is not positive. */
function clearWinner(v: number[], rel = 1e-3, abs = 0): number {
  const order = v.map((s, i) => [s, i]).sort((p, q) => q[0] - p[0]);
  const [top, second] = [order[0][0], order[1][0]];
  if (!(top > 0) || top - second < Math.max(rel * Math.abs(top), abs)) return -1;
  return order[0][1];
}

describe(`hand-set VSML learner = Hebbian class-sum rule (seed ${seed})`, () => {
  it('query predictions and online accuracy match the analytically derived rule', async () => {
    const g = gpu();
    const rng = new PhiloxStream(seed, 11);
    const members = 1;
    const tasks = 3;
    const perClass = 6;
    const nClasses = 5;
    const learnLength = perClass * nClasses;
    const queryLength = 30;
    const L = members * tasks;
    const learnIndices = new Uint32Array(L * learnLength);
    const queryIndices = new Uint32Array(L * queryLength);
    const labelMap = new Uint32Array(L * 10);
    const projectionSeeds = new Uint32Array(L);
    const stateSeeds = new Uint32Array(L);
    const classesOf: number[][] = [];
    for (let l = 0; l < L; l++) {
      const classes = sampleClasses(rng, 10, nClasses);
      classesOf.push(classes);
      learnIndices.set(classStream(mnist.train, classes, perClass, rng.int(50)), l * learnLength);
      for (let q = 0; q < queryLength; q++)
        queryIndices[l * queryLength + q] = classStream(mnist.test, [classes[q % nClasses]], 1, rng.int(40))[0];
      labelMap.set(rng.shuffle(Array.from({ length: 10 }, (_, i) => i)) as number[], l * 10);
      projectionSeeds[l] = rng.nextU32();
      stateSeeds[l] = rng.nextU32();
    }
    const params = ruleParams();
    const pop = VsmlPopulation.create(
      g,
      cfg,
      { members, tasksPerMember: tasks, learnLength, queryLength },
      { poison: true },
    );
    const paramBuf = g.storage('rule params', params);
    const m = await pop.runEpisodes(
      paramBuf,
      {
        learnSplit: mnist.gTrain,
        querySplit: mnist.gTest,
        learnLength,
        queryLength,
        learnIndices,
        queryIndices,
        labelMap,
        stateSeeds,
        projectionSeeds,
      },
      { wantPredictions: true },
    );
    pop.destroy();
    paramBuf.destroy();

    let compared = 0;
    let linearAgree = 0;
    let linearCompared = 0;
    let totalCorrect = 0;
    let ruleCorrect = 0;
    for (let l = 0; l < L; l++) {
      const input = (split: ImageSplit, i: number) =>
        projectInput(split.images, i * 784, 784, A, projectionSeeds[l], new Float32Array(A));
      const shown = (y: number) => labelMap[l * 10 + y];
      const seen: { x: Float32Array; label: number }[] = [];
      let ruleOnline = 0;
      let ambiguousOnline = 0;
      for (let t = 0; t < learnLength; t++) {
        const i = learnIndices[l * learnLength + t];
        const x = input(mnist.train, i);
        const w = clearWinner(scores(x, seen).exact, 1e-3, EXACT_MARGIN);
        if (w < 0) ambiguousOnline++;
        else if (w === shown(mnist.train.labels[i])) ruleOnline++;
        seen.push({ x, label: shown(mnist.train.labels[i]) });
      }
      // Online: equal up to the steps where the rule itself has no clear winner (e.g. step 0).
      expect(Math.abs(m.onlineCorrect[l] - ruleOnline), `learner ${l} online correct`).toBeLessThanOrEqual(
        ambiguousOnline,
      );
      const frozen = seen.slice(0, learnLength - 1);
      let learnerCorrect = 0;
      let learnerRuleCorrect = 0;
      let ambiguousQueries = 0;
      for (let q = 0; q < queryLength; q++) {
        const i = queryIndices[l * queryLength + q];
        const x = input(mnist.test, i);
        const s = scores(x, frozen);
        const want = clearWinner(s.exact, 1e-3, EXACT_MARGIN);
        const got = m.queryPredictions![l * queryLength + q];
        if (got === shown(mnist.test.labels[i])) learnerCorrect++;
        if (want < 0) ambiguousQueries++;
        else if (want === shown(mnist.test.labels[i])) learnerRuleCorrect++;
        if (want >= 0) {
          expect(got, `learner ${l} query ${q}`).toBe(want);
          compared++;
        }
        const lw = clearWinner(s.linear, 1e-2);
        if (lw >= 0 && want >= 0) {
          linearCompared++;
          if (lw === want) linearAgree++;
        }
      }
      // Guaranteed: the learner's query score is the rule's, up to the queries without a clear winner.
      expect(Math.abs(learnerCorrect - learnerRuleCorrect), `learner ${l} query correct`).toBeLessThanOrEqual(
        ambiguousQueries,
      );
      totalCorrect += learnerCorrect;
      ruleCorrect += learnerRuleCorrect;
    }
    // Data properties at this seed (see the file comment for their range over 2,000 seeds): nearly
    // every query has a clear winner (so the checks above are not vacuous), the rule agrees with
    // its linearisation on most of them (they differ only through the small tanh curvatures), and
    // the rule, hence the learner, beats chance (1/5).
    expect(compared).toBeGreaterThan(0.9 * L * queryLength);
    expect(linearAgree / linearCompared).toBeGreaterThan(0.85);
    expect(ruleCorrect / (L * queryLength)).toBeGreaterThan(1 / nClasses);
    console.log(
      `rule test (seed ${seed}): ${compared}/${L * queryLength} queries compared, linear-rule agreement ${linearAgree}/${linearCompared}, ` +
        `query accuracy ${((100 * totalCorrect) / (L * queryLength)).toFixed(1)}% (rule ${((100 * ruleCorrect) / (L * queryLength)).toFixed(1)}%, chance 20%)`,
    );
  });

  it('the float64 reference learner with the same parameters gives the same predictions', () => {
    // Independent of the GPU: the derivation above holds for the literal per-cell semantics too.
    const params = ruleParams();
    const rng = new PhiloxStream(seed, 12);
    const classes = sampleClasses(rng, 10, 4);
    const learn = classStream(mnist.train, classes, 5);
    const queries = Uint32Array.from({ length: 12 }, (_, q) => classStream(mnist.test, [classes[q % 4]], 1, q)[0]);
    const r = referenceEpisode(
      cfg,
      params,
      {
        learnImages: mnist.train.images,
        learnLabels: mnist.train.labels,
        queryImages: mnist.test.images,
        queryLabels: mnist.test.labels,
      },
      learn,
      queries,
      {
        stateSeed: 1,
        projectionSeed: 2,
      },
    );
    const seen = [...learn.slice(0, learn.length - 1)].map((i) => ({
      x: projectInput(mnist.train.images, i * 784, 784, A, 2, new Float32Array(A)),
      label: mnist.train.labels[i],
    }));
    queries.forEach((i, q) => {
      const want = clearWinner(
        scores(projectInput(mnist.test.images, i * 784, 784, A, 2, new Float32Array(A)), seen).exact,
        1e-3,
        EXACT_MARGIN,
      );
      if (want >= 0) expect(r.queryPredictions[q]).toBe(want);
    });
  });
});
