/**
 * The hand-designed class-mean rule (src/inner/rules/class-mean.ts): its counter schedule, the
 * literal float64 VSML learner against the rule computed straight from the data, and the GPU
 * learner against the same. No random draws: the streams are fixed slices of MNIST.
 */
import { describe, expect, it } from 'vitest';
import { classStream } from '../src/inner/episodes';
import { VsmlPopulation } from '../src/inner/population';
import { VsmlReference } from '../src/inner/reference';
import {
  CLASS_MEAN_RULE,
  ClassMeanDirect,
  classMeanRuleParams,
  classMeanUnits,
  counterRates,
} from '../src/inner/rules/class-mean';
import { validateVsmlConfig } from '../src/spec/vsml-config';
import { useGpu, useMnistSubset } from './helpers/gpu';
import { INK_RULE } from './helpers/ink-rule';

const gpu = useGpu();
const mnist = useMnistSubset(gpu, 2000, 200);
const cfg = validateVsmlConfig({ layers: [784, 10], hidden: 8, message: 2, ticks: 1, labelFeeding: true });
const pixels = (img: Uint8Array, i: number) => Float64Array.from(img.subarray(i * 784, (i + 1) * 784), (v) => v / 255);

function top2(v: ArrayLike<number>): { best: number; gap: number } {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  let second = -Infinity;
  for (let i = 0; i < v.length; i++) if (i !== best) second = Math.max(second, v[i]);
  return { best, gap: v[best] - second };
}

function logSumExp(v: Float64Array): number {
  const m = Math.max(...v);
  return m + Math.log(v.reduce((s, y) => s + Math.exp(y - m), 0));
}

describe('class-mean rule', () => {
  it('the counter gives a learning rate of 1/(n+1): within 3% from the 30th example on, never above it before', () => {
    const r = counterRates(7000);
    let worstLate = 0;
    for (let n = 0; n < r.length; n++) {
      const ratio = r[n] * (n + 1);
      if (n >= 30) worstLate = Math.max(worstLate, Math.abs(ratio - 1));
      else expect(ratio, `n = ${n}`).toBeGreaterThan(0.6);
    }
    expect(worstLate).toBeLessThan(0.03);
  });

  it('refuses configs that cannot carry it, naming why', () => {
    expect(() =>
      classMeanRuleParams(
        validateVsmlConfig({ layers: [784, 10], hidden: 4, message: 2, ticks: 1, labelFeeding: true }),
      ),
    ).toThrow(/hidden >= 8/);
    expect(() =>
      classMeanRuleParams(
        validateVsmlConfig({ layers: [784, 10], hidden: 8, message: 2, ticks: 2, labelFeeding: true }),
      ),
    ).toThrow(/ticks = 1/);
    expect(() =>
      classMeanRuleParams(validateVsmlConfig({ layers: [784, 10], hidden: 8, message: 2, ticks: 1 })),
    ).toThrow(/label feeding/);
  });

  it.each([
    ['plain', CLASS_MEAN_RULE],
    ['with 2 ink terms and a logit offset', INK_RULE],
  ])('the float64 VSML learner with the rule parameters is the rule computed from the data (%s)', (_, rule) => {
    const params = classMeanRuleParams(cfg, rule);
    const classes = [3, 1, 4, 0, 9, 2, 6, 5, 8, 7].sort((a, b) => a - b);
    const learn = classStream(mnist.train, classes, 3);
    const ref = new VsmlReference(cfg, params, { stateSeed: 7 });
    const direct = new ClassMeanDirect(cfg, rule);
    let prev: number | null = null;
    let worst = 0;
    for (const i of learn) {
      const got = ref.learn(mnist.train.images, i * 784, mnist.train.labels[i]).logits;
      const want = direct.learn(pixels(mnist.train.images, i), prev);
      for (let b = 0; b < 10; b++) worst = Math.max(worst, Math.abs(got[b] - want[b]) / Math.max(1, Math.abs(want[b])));
      prev = mnist.train.labels[i];
    }
    for (let q = 0; q < 20; q++) {
      const got = ref.query(mnist.test.images, q * 784, mnist.test.labels[q]).logits;
      const want = direct.query(pixels(mnist.test.images, q));
      for (let b = 0; b < 10; b++) worst = Math.max(worst, Math.abs(got[b] - want[b]) / Math.max(1, Math.abs(want[b])));
    }
    // The direct rule uses the constants rounded to f32 one by one, the learner holds the gate
    // biases rounded next to the +-30/60 switches (f32 ulp at 60: 3.8e-6), so the rates agree to
    // ~2e-6 relative and so do means and logits; the switches themselves (sigmoid(+-25) = 1.4e-11
    // from 0 and 1) add far less. 1e-5 relative covers that with margin, and a wrong unit,
    // column or sign moves logits by more than 1e-2.
    expect(worst).toBeLessThan(1e-5);
    // The running-mean units hold the class means of phi(x) (all but the last label delivered).
    const u = classMeanUnits(cfg);
    const c = ref.c[0];
    let worstMean = 0;
    for (const b of classes) {
      for (let a = 0; a < 784; a++) {
        const want = direct.mean[b][a];
        worstMean = Math.max(
          worstMean,
          Math.abs(c[(a * 10 + b) * cfg.hidden + u.plus] - want) / Math.max(1e-6, Math.abs(want)),
        );
      }
    }
    expect(worstMean).toBeLessThan(1e-5);
  });

  it.each([
    ['plain', CLASS_MEAN_RULE],
    ['with 2 ink terms and a logit offset', INK_RULE],
  ])(
    'the GPU learner answers as the rule computed from the data (300 class-sorted examples, 2 label maps; %s)',
    async (_, rule) => {
      const g = gpu();
      const params = classMeanRuleParams(cfg, rule);
      const all = Array.from({ length: 10 }, (_, i) => i);
      const learnOrder = classStream(mnist.train, all, 30);
      const learnLength = learnOrder.length;
      const queryLength = 100;
      const L = 2;
      const labelMaps = [all, [7, 2, 9, 0, 4, 1, 8, 3, 6, 5]];
      // Each learner sees the classes sorted by the label it is shown (OrderedMNIST order).
      const streams = labelMaps.map((map) =>
        classStream(
          mnist.train,
          all.slice().sort((x, y) => map[x] - map[y]),
          30,
        ),
      );
      const learnIndices = new Uint32Array(L * learnLength);
      streams.forEach((s, l) => learnIndices.set(s, l * learnLength));
      const queryIndices = new Uint32Array(L * queryLength);
      for (let l = 0; l < L; l++) for (let q = 0; q < queryLength; q++) queryIndices[l * queryLength + q] = q;
      const pop = VsmlPopulation.create(
        g,
        cfg,
        { members: 1, tasksPerMember: L, learnLength, queryLength },
        { poison: true },
      );
      const paramBuf = g.storage('class-mean rule', params);
      const m = await pop.runEpisodes(
        paramBuf,
        {
          learnSplit: mnist.gTrain,
          querySplit: mnist.gTest,
          learnLength,
          queryLength,
          learnIndices,
          queryIndices,
          labelMap: Uint32Array.from(labelMaps.flat()),
          stateSeeds: Uint32Array.of(11, 12),
        },
        { wantPredictions: true },
      );
      pop.destroy();
      paramBuf.destroy();

      for (let l = 0; l < L; l++) {
        const map = labelMaps[l];
        const direct = new ClassMeanDirect(cfg, rule);
        let prev: number | null = null;
        let online = 0;
        let ambiguous = 0;
        for (const i of streams[l]) {
          const y = direct.learn(pixels(mnist.train.images, i), prev);
          const { best, gap } = top2(y);
          if (gap < 1e-2) ambiguous++;
          else if (best === map[mnist.train.labels[i]]) online++;
          prev = map[mnist.train.labels[i]];
        }
        expect(
          Math.abs(m.onlineCorrect[l] - online),
          `learner ${l} online correct (${ambiguous} ambiguous steps)`,
        ).toBeLessThanOrEqual(ambiguous);
        let compared = 0;
        let ce = 0;
        let correct = 0;
        for (let q = 0; q < queryLength; q++) {
          const y = direct.query(pixels(mnist.test.images, q));
          const shown = map[mnist.test.labels[q]];
          ce += logSumExp(y) - y[shown];
          const { best, gap } = top2(y);
          if (best === shown) correct++;
          if (gap >= 1e-2) {
            compared++;
            expect(m.queryPredictions![l * queryLength + q], `learner ${l} query ${q}`).toBe(best);
          }
        }
        expect(compared).toBeGreaterThan(0.95 * queryLength);
        expect(Math.abs(m.queryCorrect[l] - correct)).toBeLessThanOrEqual(queryLength - compared);
        // f32 sums of 784 terms against float64: 1e-4 relative on the summed cross-entropy.
        console.log(
          `learner ${l}: summed query cross-entropy GPU ${m.queryCrossEntropy[l]} direct ${ce} rel ${Math.abs(m.queryCrossEntropy[l] - ce) / ce}; compared ${compared}; online ${m.onlineCorrect[l]} vs ${online} (${ambiguous} ambiguous); query acc ${correct}`,
        );
        expect(Math.abs(m.queryCrossEntropy[l] - ce) / ce).toBeLessThan(1e-4);
      }
    },
  );
});
