import { describe, expect, it } from 'vitest';
import { choleskyFlops, choleskySolveFlops } from '../src/inner/flops';
import type { InspectableLearner, StreamShape } from '../src/inner/learner';
import { sumBytes } from '../src/inner/learner';
import { runProtocol, shapeOf, streamOrder } from '../src/bench/ordered-mnist';
import { clusterSplit, splitOf } from '../src/bench/synthetic';
import { cloneView } from '../src/inner/baselines/common';
import { KNearestNeighbours, cpuKnnBackend, referenceNearest } from '../src/inner/baselines/knn';
import { Mlp } from '../src/inner/baselines/mlp';
import { PerClassKMeans } from '../src/inner/baselines/kmeans';
import { NearestClassMean } from '../src/inner/baselines/ncm';
import { PerClassSubspace } from '../src/inner/baselines/subspace';
import { ReplayLearner } from '../src/inner/baselines/replay';
import { SgdLearner } from '../src/inner/baselines/sgd-learner';
import { LogisticRegression } from '../src/inner/baselines/sgd-logreg';
import type { SgdModel } from '../src/inner/baselines/sgd-model';
import { StreamingLda } from '../src/inner/baselines/slda';
import { PhiloxStream } from '../src/rng/philox';

/** Three clusters on a 1x4 image; class c lives on pixel c. Hand-derivable answers below. */
const tiny = splitOf(
  'tiny/train',
  1,
  4,
  3,
  [
    [200, 0, 0, 0],
    [0, 200, 0, 0],
    [0, 0, 200, 0],
    [100, 0, 0, 0],
    [0, 100, 0, 0],
    [0, 0, 100, 0],
  ],
  [0, 1, 2, 0, 1, 2],
);
const tinyShape = shapeOf(tiny);
// Sorted stream: [200,0,0,0] [100,0,0,0] [0,200,0,0] [0,100,0,0] [0,0,200,0] [0,0,100,0] (stored indices 0..5).
const queries = [
  [140, 10, 0, 0], // NCM: mean of class 0 is (150,0,0,0) -> 0
  [0, 0, 0, 255], // NCM: equidistant to all three means -> lowest class, 0
  [0, 160, 0, 0], // -> 1
  [10, 0, 90, 0], // -> 2
  [120, 0, 0, 0], // 1-NN: stored #1 (100,0,0,0) at 20^2
  [100, 100, 0, 0], // 1-NN: #1 and #3 tie at 100^2 -> earlier stored (#1, class 0)
  [60, 60, 60, 0], // 3-NN: #1, #3, #5 tie at 8800 -> labels 0,1,2 -> tied vote -> nearest (class 0)
  [0, 130, 0, 90], // 3-NN: #3 (0,100,0,0): 30^2+90^2=9000; #2 (0,200): 70^2+90^2=13000; #5 (0,0,100,0)? 130^2+100^2+90^2 -> 1,1 -> class 1
];
const qbuf = Uint8Array.from(queries.flat());

async function feedSorted(l: InspectableLearner, split = tiny): Promise<void> {
  const d = split.rows * split.cols;
  for (const i of streamOrder(split, 'sorted')) await l.learn(split.images.slice(i * d, (i + 1) * d), split.labels[i]);
}

async function predictAll(l: InspectableLearner, images: Uint8Array, count: number): Promise<number[]> {
  const f = await l.freeze();
  return Array.from(await f.predictor.predict(images, count));
}

describe('nearest class mean', () => {
  it('predicts the nearest mean, ties to the lowest class (hand-derived)', async () => {
    const l = new NearestClassMean(tinyShape);
    await feedSorted(l);
    expect((await predictAll(l, qbuf, 4)).slice(0, 4)).toEqual([0, 0, 1, 2]);
    const means = l.stateArrays().means as Float32Array;
    expect(Array.from(means.subarray(0, 4))).toEqual([150 / 255, 0, 0, 0].map(Math.fround));
  });
  it('never predicts an unseen class', async () => {
    const l = new NearestClassMean(tinyShape);
    await l.learn(Uint8Array.from([0, 0, 200, 0]), 2);
    expect(await predictAll(l, qbuf, 8)).toEqual(new Array(8).fill(2));
  });
});

describe('k-nearest neighbours', () => {
  it('1-NN and 3-NN answers derived by hand, including distance and vote ties', async () => {
    const k1 = new KNearestNeighbours(tinyShape, { k: 1 });
    const k3 = new KNearestNeighbours(tinyShape, { k: 3 });
    await feedSorted(k1);
    await feedSorted(k3);
    const p1 = await predictAll(k1, qbuf, 8);
    const p3 = await predictAll(k3, qbuf, 8);
    expect(p1.slice(4, 6)).toEqual([0, 0]);
    expect(p3[6]).toBe(0);
    expect(p3[7]).toBe(1);
    const nb = cpuKnnBackend.prepare(k3.stateArrays().images as Uint8Array, 6, 4).nearest(qbuf, 8, 3) as Int32Array;
    expect(Array.from(nb.subarray(4 * 3, 5 * 3))).toEqual([1, 0, 3]); // 20^2, 80^2, then #3 ties #5 at 120^2+100^2: earlier wins
    expect(Array.from(nb.subarray(6 * 3, 7 * 3))).toEqual([1, 3, 5]);
  });
  it('CPU sparse distances match the float64 dense reference on random data with duplicates', () => {
    const rng = new PhiloxStream(11, 0);
    const n = 120;
    const dd = 30;
    const store = new Uint8Array(n * dd).map(() => (rng.next() < 0.6 ? 0 : rng.int(256)));
    store.copyWithin(50 * dd, 10 * dd, 11 * dd); // duplicates -> exact ties
    store.copyWithin(90 * dd, 10 * dd, 11 * dd);
    const q = new Uint8Array(15 * dd).map(() => (rng.next() < 0.6 ? 0 : rng.int(256)));
    q.set(store.subarray(10 * dd, 11 * dd), 0);
    const got = cpuKnnBackend.prepare(store, n, dd).nearest(q, 15, 5) as Int32Array;
    expect(Array.from(got)).toEqual(Array.from(referenceNearest(store, n, dd, q, 15, 5)));
    expect(Array.from(got.subarray(0, 3))).toEqual([10, 50, 90]);
  });
  it('with fewer stored examples than k, votes over what it has', async () => {
    const l = new KNearestNeighbours(tinyShape, { k: 3 });
    await l.learn(Uint8Array.from([0, 0, 9, 0]), 2);
    expect(await predictAll(l, qbuf, 2)).toEqual([2, 2]);
  });
});

describe('streaming LDA', () => {
  it('covariance follows the closed form (1/T) sum_t t/(t+1) D_t D_t^T of the recursion', async () => {
    const split = clusterSplit('c', 4, 3, 2, 3, 2);
    const l = new StreamingLda(shapeOf(split), { shrinkage: 0.5 });
    await feedSorted(l, split);
    const d = 6;
    const order = streamOrder(split, 'sorted');
    const mu = new Float64Array(3 * d);
    const cnt = [0, 0, 0];
    const S = new Float64Array(d * d);
    order.forEach((idx, t) => {
      const y = split.labels[idx];
      const x = Array.from(split.images.subarray(idx * d, (idx + 1) * d), (v) => v / 255);
      const D = x.map((v, i) => v - mu[y * d + i]);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) S[i * d + j] += (t / (t + 1)) * D[i] * D[j];
      cnt[y]++;
      for (let i = 0; i < d; i++) mu[y * d + i] += D[i] / cnt[y];
    });
    const packed = l.stateArrays().covariance as Float64Array;
    let p = 0;
    for (let i = 0; i < d; i++)
      for (let j = i; j < d; j++) expect(packed[p++]).toBeCloseTo(S[i * d + j] / order.length, 12);
  });
  it('with shrinkage 1 it is exactly nearest class mean (w = mu, b = -|mu|^2/2)', async () => {
    const split = clusterSplit('c', 6, 4, 3, 4, 3);
    const s = new StreamingLda(shapeOf(split), { shrinkage: 1 });
    const n = new NearestClassMean(shapeOf(split));
    await feedSorted(s, split);
    await feedSorted(n, split);
    const rng = new PhiloxStream(5, 0);
    const q = new Uint8Array(40 * 12).map(() => rng.int(256));
    expect(await predictAll(s, q, 40)).toEqual(await predictAll(n, q, 40));
  });
  it('uses the covariance: separates two classes that differ across their main axis of variation, where NCM fails', async () => {
    // class 0: (u, u); class 1: (u + 30, u), u = 0..200. Within-class variation lies along (1, 1);
    // the classes differ along (1, -1). Means: (100, 100) and (130, 100). NCM squared distances:
    // (150,150): 5000 vs 2900 -> 1 (wrong); (180,150): 8900 vs 5000 -> 1; (40,40): 7200 vs 11700 -> 0;
    // (70,40): 4500 vs 7200 -> 0 (wrong). LDA projects out the (1, 1) direction: x0 - x1 = 0 -> 0, 30 -> 1.
    const imgs: number[][] = [];
    const labels: number[] = [];
    for (let u = 0; u <= 200; u += 10) {
      imgs.push([u, u], [u + 30, u]);
      labels.push(0, 1);
    }
    const split = splitOf('diag', 1, 2, 2, imgs, labels);
    const s = new StreamingLda(shapeOf(split), { shrinkage: 1e-3 });
    const n = new NearestClassMean(shapeOf(split));
    await feedSorted(s, split);
    await feedSorted(n, split);
    const q = Uint8Array.from([150, 150, 180, 150, 40, 40, 70, 40]);
    expect(await predictAll(n, q, 4)).toEqual([1, 1, 0, 0]);
    expect(await predictAll(s, q, 4)).toEqual([0, 1, 0, 1]);
  });
  it('Cholesky and solve FLOP counts match hand counts for d = 1, 2, 3', () => {
    // d=2: column 0: sqrt + 1 divide; column 1: 1 multiply-subtract + sqrt -> 5.
    expect([1, 2, 3].map(choleskyFlops)).toEqual([1, 5, 14]);
    expect(choleskySolveFlops(3)).toBe(18);
  });
});

describe('online SGD models', () => {
  it('logistic regression: first step from zero weights is W_c -= lr (1/C - [c = y]) x', () => {
    const m = new LogisticRegression(tinyShape, { learningRate: 0.3 });
    m.step(Uint8Array.from([255, 51, 0, 0]), 0, 1);
    const x = [1, 0.2, 0, 0];
    const want = [0, 1, 2].flatMap((c) => x.map((v) => Math.fround(-0.3 * (1 / 3 - (c === 1 ? 1 : 0)) * v)));
    Array.from(m.W).forEach((v, i) => expect(v).toBeCloseTo(want[i], 6));
    expect(Array.from(m.b)).toEqual([0, 1, 2].map((c) => Math.fround(-0.3 * (1 / 3 - (c === 1 ? 1 : 0)))));
  });
  it('a model that has only seen class c predicts c for every image (the forgetting failure mode)', async () => {
    const l = new SgdLearner(new LogisticRegression(tinyShape, { learningRate: 0.5 }));
    for (let i = 0; i < 5; i++) await l.learn(Uint8Array.from([0, 0, 200, 0]), 2);
    const rng = new PhiloxStream(3, 0);
    const q = new Uint8Array(30 * 4).map(() => rng.int(256));
    expect(await predictAll(l, q, 30)).toEqual(new Array(30).fill(2));
  });
  it('MLP step equals -lr x the finite-difference gradient of the cross-entropy', () => {
    const shape: StreamShape = { rows: 1, cols: 4, pixels: 4, numClasses: 3 };
    const lr = 1e-3;
    const m = new Mlp(shape, { hidden: 5, learningRate: lr, seed: 9 });
    const img = Uint8Array.from([255, 128, 0, 64]);
    const y = 2;
    const before = Object.fromEntries(Object.entries(m.params()).map(([k, v]) => [k, Float64Array.from(v)]));
    // Independent float64 loss with the same parameter layout.
    const loss = (p: Record<string, Float64Array>) => {
      const x = Array.from(img, (v) => v / 255);
      const h = [...Array(5).keys()].map((j) =>
        Math.max(0, p.b1[j] + x.reduce((s, v, i) => s + p.W1[j * 4 + i] * v, 0)),
      );
      const z = [...Array(3).keys()].map((c) => p.b2[c] + h.reduce((s, v, j) => s + p.W2[c * 5 + j] * v, 0));
      const mx = Math.max(...z);
      return Math.log(z.reduce((s, v) => s + Math.exp(v - mx), 0)) + mx - z[y];
    };
    m.step(img, 0, y);
    const after = m.params();
    const h = 1e-6;
    for (const key of Object.keys(before)) {
      for (let i = 0; i < before[key].length; i++) {
        const plus = { ...before, [key]: Float64Array.from(before[key]) };
        plus[key][i] += h;
        const minus = { ...before, [key]: Float64Array.from(before[key]) };
        minus[key][i] -= h;
        const grad = (loss(plus) - loss(minus)) / (2 * h);
        expect(after[key][i] - before[key][i]).toBeCloseTo(-lr * grad, 6);
      }
    }
  });
  it('MLP init is regenerated from its seed (4 bytes of algorithm), with He scaling', () => {
    const shape: StreamShape = { rows: 28, cols: 28, pixels: 784, numClasses: 10 };
    const a = new Mlp(shape, { hidden: 100, learningRate: 0.01, seed: 4 });
    const b = new Mlp(shape, { hidden: 100, learningRate: 0.01, seed: 4 });
    const c = new Mlp(shape, { hidden: 100, learningRate: 0.01, seed: 5 });
    expect(a.W1).toEqual(b.W1);
    expect(a.W1).not.toEqual(c.W1);
    const std = Math.sqrt(a.W1.reduce((s, v) => s + v * v, 0) / a.W1.length);
    expect(std).toBeGreaterThan(0.95 * Math.sqrt(2 / 784));
    expect(std).toBeLessThan(1.05 * Math.sqrt(2 / 784));
  });
  it('on overlapping clusters: shuffled SGD learns every class, sorted SGD forgets all but the last', async () => {
    const tr = clusterSplit('c', 30, 3, 4, 4, 0, 100);
    const te = clusterSplit('t', 10, 3, 4, 4, 7, 100);
    const mk = () => new SgdLearner(new LogisticRegression(shapeOf(tr), { learningRate: 0.5 }));
    const shuffled = await runProtocol(mk(), tr, te, { order: 'shuffled', curvePerClass: 0 });
    const sorted = await runProtocol(mk(), tr, te, { order: 'sorted', curvePerClass: 0 });
    expect(shuffled.accuracy).toBe(1);
    expect(sorted.perClassAccuracy).toEqual([0, 0, 1]);
  });
});

/** A model that records its steps, to check the replay schedule exactly. */
class StepSpy implements SgdModel {
  readonly kind = 'spy';
  readonly stepFlops = 100;
  readonly predictFlops = 1;
  steps: number[][] = [];
  constructor(
    readonly pixels: number,
    readonly numClasses: number,
  ) {}
  step(images: Uint8Array, offset: number, label: number): void {
    this.steps.push([images[offset], label]);
  }
  predictOne(): number {
    return 0;
  }
  params(): Record<string, Float32Array> {
    return { w: new Float32Array(3) };
  }
  algorithmBytes() {
    return [];
  }
}

describe('reservoir replay', () => {
  const ex = (i: number) => Uint8Array.from([i, 0]);
  it('one step on the new example, then r steps on buffered ones; the buffer fills in order first', () => {
    const spy = new StepSpy(2, 250);
    const l = new ReplayLearner(spy, { bufferSize: 4, replaySteps: 3, seed: 2 });
    for (let i = 0; i < 4; i++) l.learn(ex(i), i);
    // Example 0: no replay (empty buffer). Example i: itself, then 3 replays of examples < i.
    expect(spy.steps[0]).toEqual([0, 0]);
    expect(spy.steps.length).toBe(1 + 3 * 4);
    for (let i = 1; i < 4; i++) {
      const s = spy.steps.slice(1 + (i - 1) * 4, 1 + i * 4);
      expect(s[0]).toEqual([i, i]);
      for (const [v, y] of s.slice(1)) {
        expect(v).toBe(y);
        expect(y).toBeLessThan(i);
      }
    }
    expect(Array.from(l.stateArrays().bufferLabels as Uint8Array)).toEqual([0, 1, 2, 3]);
    expect(l.learnFlops()).toBe(100 + 1 + 3 * (4 * 100 + 3 + 1));
  });
  it('the buffer is a uniform sample of the stream (reservoir sampling), whatever the order', () => {
    const n = 50;
    const size = 10;
    const hits = new Array(n).fill(0);
    const runs = 400;
    for (let s = 0; s < runs; s++) {
      const l = new ReplayLearner(new StepSpy(2, 250), { bufferSize: size, replaySteps: 0, seed: 1000 + s });
      for (let i = 0; i < n; i++) l.learn(ex(i), i);
      for (const y of l.stateArrays().bufferLabels as Uint8Array) hits[y]++;
    }
    // Each item is kept with probability size/n = 0.2: 80 of 400 runs, sd ~8.
    for (const h of hits) expect(Math.abs(h - (runs * size) / n)).toBeLessThan(5 * 8);
    const firstHalf = hits.slice(0, 25).reduce((a, b) => a + b, 0);
    expect(Math.abs(firstHalf - (runs * size) / 2)).toBeLessThan(5 * Math.sqrt(runs * size * 0.25));
  });
});

/** Every baseline, configured small, with its state and algorithm bytes by definition. */
function baselines(shape: StreamShape) {
  const { pixels: d, numClasses: C } = shape;
  const H = 6;
  const mlpBytes = 4 * (H * d + H + C * H + C);
  return [
    { name: 'ncm', make: () => new NearestClassMean(shape), state: () => 4 * C * d + 4 * C, algorithm: 0 },
    {
      name: 'kmeans-3',
      make: () => new PerClassKMeans(shape, { k: 3 }),
      state: () => 4 * C * 3 * d + 4 * C * 3,
      algorithm: 4,
    },
    {
      name: 'subspace-2',
      make: () => new PerClassSubspace(shape, { r: 2 }),
      state: () => 4 * C * d + 4 * C * 2 * d + 4 * C,
      algorithm: 4,
    },
    {
      name: 'knn-1',
      make: () => new KNearestNeighbours(shape, { k: 1 }),
      state: (n: number) => n * (d + 1),
      algorithm: 4,
    },
    {
      name: 'knn-3',
      make: () => new KNearestNeighbours(shape, { k: 3 }),
      state: (n: number) => n * (d + 1),
      algorithm: 4,
    },
    {
      name: 'slda',
      make: () => new StreamingLda(shape, { shrinkage: 0.1 }),
      state: () => (8 * d * (d + 1)) / 2 + 8 * C * d + 4 * C,
      algorithm: 4,
    },
    {
      name: 'sgd-logreg',
      make: () => new SgdLearner(new LogisticRegression(shape, { learningRate: 0.1 })),
      state: () => 4 * C * d + 4 * C,
      algorithm: 4,
    },
    {
      name: 'mlp',
      make: () => new SgdLearner(new Mlp(shape, { hidden: H, learningRate: 0.1, seed: 3 })),
      state: () => mlpBytes,
      algorithm: 12,
    },
    {
      name: 'replay-mlp',
      make: () =>
        new ReplayLearner(new Mlp(shape, { hidden: H, learningRate: 0.1, seed: 3 }), {
          bufferSize: 7,
          replaySteps: 2,
          seed: 4,
        }),
      state: (n: number) => mlpBytes + Math.min(n, 7) * (d + 1) + 4,
      algorithm: 24,
    },
  ];
}

describe('every baseline: accounting and protocol properties', () => {
  const tr = clusterSplit('c', 8, 3, 3, 4);
  const te = clusterSplit('t', 5, 3, 3, 4, 4);
  const shape = shapeOf(tr);
  const d = shape.pixels;
  const C = shape.numClasses;
  const order = streamOrder(tr, 'sorted');
  const img = (i: number) => tr.images.slice(order[i] * d, (order[i] + 1) * d);
  const lab = (i: number) => tr.labels[order[i]];

  for (const b of baselines(shape)) {
    it(`${b.name}: state bytes = its definition = the arrays it carries; algorithm bytes by definition`, async () => {
      const l = b.make();
      expect(sumBytes(l.algorithmBytes())).toBe(b.algorithm);
      for (let i = 0; i < tr.count; i++) {
        await l.learn(img(i), lab(i));
        if (i === 4 || i === tr.count - 1) {
          const arrays = Object.values(l.stateArrays());
          expect(sumBytes(l.stateBytes())).toBe(b.state(i + 1));
          expect(arrays.reduce((s, a) => s + a.byteLength, 0)).toBe(b.state(i + 1));
        }
      }
    });

    it(`${b.name}: nothing else is carried: a copy restored from stateArrays() alone continues identically`, async () => {
      const a = b.make();
      const half = 11;
      for (let i = 0; i < half; i++) await a.learn(img(i), lab(i));
      const snap = Object.fromEntries(Object.entries(a.stateArrays()).map(([k, v]) => [k, cloneView(v)]));
      const c = b.make();
      c.loadState(snap);
      for (let i = half; i < tr.count; i++) {
        await a.learn(img(i), lab(i));
        await c.learn(img(i), lab(i));
      }
      const sa = a.stateArrays();
      const sc = c.stateArrays();
      for (const k of Object.keys(sa)) expect(sc[k], k).toEqual(sa[k]);
      expect(await predictAll(c, te.images, te.count)).toEqual(await predictAll(a, te.images, te.count));
    });

    it(`${b.name}: test predictions are per image (batch = one at a time, any order) and leave the state untouched`, async () => {
      const l = b.make();
      for (let i = 0; i < tr.count; i++) await l.learn(img(i), lab(i));
      const before = Object.fromEntries(Object.entries(l.stateArrays()).map(([k, v]) => [k, cloneView(v)]));
      const f = await l.freeze();
      const batch = Array.from(await f.predictor.predict(te.images.slice(), te.count));
      const single: number[] = [];
      for (let k = te.count - 1; k >= 0; k--)
        single.unshift((await f.predictor.predict(te.images.slice(k * d, (k + 1) * d), 1))[0]);
      expect(single).toEqual(batch);
      const after = l.stateArrays();
      for (const k of Object.keys(before)) expect(after[k], k).toEqual(before[k]);
      expect(batch.every((p) => p >= 0 && p < C)).toBe(true);
    });
  }

  it('analytic FLOPs per learn step and per prediction match the formulas in each file', async () => {
    const H = 6;
    const expectLearn: Record<string, number> = {
      ncm: 4 * d + 1,
      'knn-1': 0,
      'knn-3': 0,
      slda: 5 * d + (3 * d * (d + 1)) / 2 + 5,
      'sgd-logreg': d + 4 * C * d + 9 * C,
      mlp: d + 4 * H * d + 6 * C * H + 4 * H + 9 * C,
    };
    const expectPredict: Record<string, number> = {
      ncm: d + 3 * d * C,
      'knn-1': tr.count * (3 * d + 1),
      'knn-3': tr.count * (3 * d + 1),
      slda: d + C * (2 * d + 1),
      'sgd-logreg': d + 2 * C * d + C,
      mlp: d + 2 * H * d + 2 * H + 2 * C * H + C,
    };
    for (const b of baselines(shape)) {
      if (!(b.name in expectLearn)) continue;
      const l = b.make();
      for (let i = 0; i < tr.count; i++) await l.learn(img(i), lab(i));
      expect(l.learnFlops(), b.name).toBe(tr.count * expectLearn[b.name]);
      const f = await l.freeze();
      expect(f.predictor.flopsPerImage, b.name).toBe(expectPredict[b.name]);
      expect(f.flops, b.name).toBe(
        b.name === 'slda' ? (d * (d + 1)) / 2 + d + choleskyFlops(d) + C * (2 * d * d + 2 * d + 1) : 0,
      );
    }
  });
});
