/**
 * The hidden-layer learner as a whole (src/inner/hidden-population.ts) on class-sorted MNIST
 * streams taken from the first 1,200 TRAIN images (queries are other train images):
 *  - GPU population (f32) against the float64 reference learner, both aggregations, two learners
 *    with their own seeds and streams: identical win counts, prototypes within a derived bound,
 *    identical predictions wherever the reference's margin exceeds the f32 error bound;
 *  - the hand-designed meta-parameters (src/inner/rules/hidden-kmeans.ts) against the rule computed
 *    directly from the data, the `kmeans` baseline (PerClassKMeans, K = H / C): same win counts per
 *    class, same predictions up to near-ties;
 *  - config and rule-file errors.
 * The streams are fixed slices of MNIST; the seeds (state seeds) are fixed and printed.
 */
import { describe, expect, it } from 'vitest';
import { classSortedOrder } from '../src/data/dataset';
import { METHODS, parseMethod } from '../src/bench/methods';
import { PerClassKMeans } from '../src/inner/baselines';
import { HiddenPopulation } from '../src/inner/hidden-population';
import { HiddenReferenceLearner } from '../src/inner/hidden-reference';
import { hiddenKMeansParams, parseHiddenRuleFile } from '../src/inner/rules/hidden-kmeans';
import { type HiddenAggregation, type HiddenConfig, hiddenCost, validateHiddenConfig } from '../src/spec/hidden-config';
import { useGpu, useMnistSubset } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const mnist = useMnistSubset(gpu, 1200, 1);
const seed = testSeed(0x41dd0023);
const U = 2 ** -24;
const PER_CLASS = 12;
const QUERIES = 150;

/** The first `perClass` images of every class among train images [from, to), class-sorted. */
function classSortedStream(labels: Uint8Array, from: number, to: number, perClass: number): Uint32Array {
  const order = classSortedOrder(labels.subarray(from, to));
  const taken = new Uint32Array(10);
  const out: number[] = [];
  for (const i of order) if (taken[labels[from + i]]++ < perClass) out.push(from + i);
  return Uint32Array.from(out);
}

function top2(v: ArrayLike<number>): { best: number; gap: number } {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
  let second = -Infinity;
  for (let i = 0; i < v.length; i++) if (i !== best) second = Math.max(second, v[i]);
  return { best, gap: v[best] - second };
}

describe(`hidden-layer learner (state seeds ${seed}, ${seed + 1})`, () => {
  for (const aggregation of ['max', 'mean'] as HiddenAggregation[]) {
    it(`GPU population = float64 reference (${aggregation} aggregation, designed meta-parameters)`, async () => {
      const c = validateHiddenConfig({ inputs: 784, hidden: 30, classes: 10, aggregation });
      const { hidden: H, classes: C, inputs: A } = c;
      const L = 2;
      const streams = [
        classSortedStream(mnist.train.labels, 0, 600, PER_CLASS),
        classSortedStream(mnist.train.labels, 300, 900, PER_CLASS),
      ];
      const n = streams[0].length;
      expect(streams[1].length).toBe(n);
      const queries = Uint32Array.from({ length: QUERIES }, (_, i) => 900 + 2 * i);
      const params = hiddenKMeansParams();
      const pop = new HiddenPopulation(gpu(), c, L, 1);
      const res = await pop.run(
        Float32Array.from([...params, ...params]),
        {
          learnSplit: mnist.gTrain,
          querySplit: mnist.gTrain,
          learnLength: n,
          queryLength: QUERIES,
          learnIndices: Uint32Array.from([...streams[0], ...streams[1]]),
          queryIndices: Uint32Array.from([...queries, ...queries]),
          stateSeeds: Uint32Array.of(seed, seed + 1),
        },
        { wantState: true, stepsPerSubmit: 7 },
      );
      const img = (i: number) => mnist.train.images.subarray(i * A, (i + 1) * A);
      for (let l = 0; l < L; l++) {
        const ref = new HiddenReferenceLearner(c, params, seed + l);
        for (const i of streams[l]) ref.learn(img(i), mnist.train.labels[i]);
        const count = res.state!.count.subarray(l * H * C, (l + 1) * H * C);
        expect(Array.from(count), `win counts of learner ${l}`).toEqual(Array.from(ref.count));
        if (aggregation === 'max') expect(count.reduce((s, v) => s + v, 0)).toBe(n); // one winner per example
        // Each win moves w by rho (x - w), a convex step: f32 error <= 10u (|w| + |x - w|) <= 20u per
        // win (values in [0, 1] after a seed, |init| << 1), not amplified by later steps: 20u (wins + 1).
        for (let h = 0; h < H; h++) {
          let wins = 0;
          for (let b = 0; b < C; b++) wins += ref.count[h * C + b];
          for (let a = 0; a < A; a++) {
            const got = res.state!.w[(l * H + h) * A + a];
            expect(Math.abs(got - ref.w[h * A + a]), `w l ${l} h ${h} a ${a}`).toBeLessThanOrEqual(20 * U * (wins + 1));
          }
        }
        // A logit lambda AGG(1 - d) (lambda = 1, d <= 1 here) is off by at most the forward bound
        // (A + 16) u, the mean's H u, and the drift of d from the prototypes': |dd| <= 2 max|dw|.
        // Two logits each that far off can swap only when their gap is below twice the sum.
        const maxWins = Math.max(...ref.count);
        const tol = (A + 16 + H) * U + 2 * 20 * U * (maxWins + 1);
        let compared = 0;
        for (let j = 0; j < QUERIES; j++) {
          const want = ref.logits(img(queries[j]));
          const t = top2(want.logits);
          if (t.gap > 2 * tol) {
            compared++;
            expect(res.predictions[l * QUERIES + j], `learner ${l} query ${j}`).toBe(t.best);
          }
        }
        // The mean divides the gaps by H: fewer queries clear the bound, enough still to mean something.
        expect(compared, 'queries away from ties').toBeGreaterThan(QUERIES * (aggregation === 'max' ? 0.9 : 0.5));
      }
    });
  }

  it('designed meta-parameters compute per-class online k-means (the kmeans baseline, K = H / C)', async () => {
    const c: HiddenConfig = validateHiddenConfig({ inputs: 784, hidden: 30, classes: 10, aggregation: 'max' });
    const { hidden: H, classes: C, inputs: A } = c;
    const K = H / C;
    const stream = classSortedStream(mnist.train.labels, 0, 900, 25);
    const queries = Uint32Array.from({ length: 300 }, (_, i) => 900 + i);
    const res = await new HiddenPopulation(gpu(), c, 1).run(
      hiddenKMeansParams(),
      {
        learnSplit: mnist.gTrain,
        querySplit: mnist.gTrain,
        learnLength: stream.length,
        queryLength: queries.length,
        learnIndices: stream,
        queryIndices: queries,
        stateSeeds: Uint32Array.of(seed),
      },
      { wantState: true },
    );
    const km = new PerClassKMeans({ rows: 28, cols: 28, pixels: A, numClasses: C }, { k: K });
    const img = (i: number) => mnist.train.images.slice(i * A, (i + 1) * A);
    for (const i of stream) km.learn(img(i), mnist.train.labels[i]);
    // Same win counts per class, as multisets (which unit takes which seed differs).
    const kmCounts = km.stateArrays().counts as Uint32Array;
    for (let b = 0; b < C; b++) {
      const ours: number[] = [];
      for (let h = 0; h < H; h++) if (h % C === b) ours.push(res.state!.count[h * C + b]);
      const theirs = Array.from(kmCounts.subarray(b * K, (b + 1) * K));
      expect(
        ours.sort((x, y) => x - y),
        `class ${b} counts`,
      ).toEqual(theirs.sort((x, y) => x - y));
    }
    // Same predictions wherever kmeans's nearest prototype of the best class beats the other
    // classes' by more than the f32 drift of both learners (squared distances summed over A pixels).
    const ref = new HiddenReferenceLearner(c, hiddenKMeansParams(), seed);
    for (const i of stream) ref.learn(img(i), mnist.train.labels[i]);
    const predicted = await km
      .freeze()
      .predictor.predict(Uint8Array.from(Array.from(queries).flatMap((q) => Array.from(img(q)))), queries.length);
    // Bound as in the test above (max aggregation), 25 examples per class.
    const tol = (A + 16) * U + 2 * 20 * U * 26;
    let agree = 0;
    let compared = 0;
    for (let j = 0; j < queries.length; j++) {
      const t = top2(ref.logits(img(queries[j])).logits);
      if (t.gap > 2 * tol) {
        compared++;
        if (predicted[j] === res.predictions[j]) agree++;
      }
    }
    expect(compared).toBeGreaterThan(queries.length * 0.9);
    expect(agree, `GPU learner vs kmeans:k=${K} on ${compared} queries`).toBe(compared);
  });

  it('scoreboard method vsml-hidden: the same predictions as the population, four axes from the cost model', async () => {
    const shape = { rows: 28, cols: 28, pixels: 784, numClasses: 10 };
    const stream = classSortedStream(mnist.train.labels, 0, 600, 5);
    const queries = Uint32Array.from({ length: 40 }, (_, i) => 900 + i);
    const spec = parseMethod('vsml-hidden:hidden=20:stateSeed=7');
    const learner = await METHODS[spec.name].create(shape, spec.params, { gpu: async () => gpu() });
    for (const i of stream)
      await learner.learn(mnist.train.images.slice(i * 784, (i + 1) * 784), mnist.train.labels[i]);
    const frozen = await learner.freeze();
    const got = await frozen.predictor.predict(
      Uint8Array.from(
        Array.from(queries).flatMap((q) => Array.from(mnist.train.images.subarray(q * 784, (q + 1) * 784))),
      ),
      queries.length,
    );
    const c = validateHiddenConfig({ inputs: 784, hidden: 20, classes: 10, aggregation: 'max' });
    const want = await new HiddenPopulation(gpu(), c, 1).run(hiddenKMeansParams(), {
      learnSplit: mnist.gTrain,
      querySplit: mnist.gTrain,
      learnLength: stream.length,
      queryLength: queries.length,
      learnIndices: stream,
      queryIndices: queries,
      stateSeeds: Uint32Array.of(7),
    });
    expect(Array.from(got)).toEqual(Array.from(want.predictions));
    const cost = hiddenCost(c);
    expect(learner.learnFlops()).toBe(stream.length * cost.flopsPerLearnExample);
    expect(frozen.predictor.flopsPerImage).toBe(cost.flopsPerQueryExample);
    expect(learner.stateBytes().reduce((t, b) => t + b.bytes, 0)).toBe(cost.stateBytes);
    expect(learner.algorithmBytes().reduce((t, b) => t + b.bytes, 0)).toBe(60);
    expect(() => parseMethod('vsml-hidden:width=3')).toThrow(/has no parameter 'width'/);
  });

  it('cost: 322 kB of state and 60 B of algorithm at H = 100', () => {
    const cost = hiddenCost(validateHiddenConfig({ inputs: 784, hidden: 100, classes: 10, aggregation: 'max' }));
    expect(cost.stateBytes).toBe(4 * (784 * 100 + 2 * 100 * 10));
    expect(cost.algorithmBytes).toBe(4 * 14 + 4);
  });

  it('bad configs and rule files get specific errors', () => {
    expect(() => validateHiddenConfig({ inputs: 784, hidden: 25, classes: 10, aggregation: 'max' })).toThrow(
      /hidden: hidden must be a multiple of classes/,
    );
    expect(() => validateHiddenConfig({ inputs: 784, hidden: 20, classes: 10, aggregation: 'sum' })).toThrow(
      /aggregation: must be one of mean, max/,
    );
    expect(() => parseHiddenRuleFile('{"params": {"fD": 1}}', 'x.json')).toThrow(/x.json: params.fX/);
    expect(() => parseHiddenRuleFile('nope', 'y.json')).toThrow(/y.json: not JSON/);
  });
});
