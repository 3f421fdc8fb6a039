/**
 * The compressing streaming baselines: per-class online k-means and the per-class incremental PCA
 * subspace classifier, against straightforward computations written independently here, on
 * small seeded data; plus their order properties and FLOP counts.
 */
import { describe, expect, it } from 'vitest';
import type { InspectableLearner, StreamShape } from '../src/inner/learner';
import { streamOrder } from '../src/bench/ordered-mnist';
import { splitOf } from '../src/bench/synthetic';
import type { ImageSplit } from '../src/data/dataset';
import { PerClassKMeans } from '../src/inner/baselines/kmeans';
import { NearestClassMean } from '../src/inner/baselines/ncm';
import { PerClassSubspace } from '../src/inner/baselines/subspace';
import { PhiloxStream } from '../src/rng/philox';

const SEED = Number(process.env.VSML_TEST_SEED ?? 2207) >>> 0;

/** `perClass` random images per class: a class-specific template plus sparse noise (seeded). */
function randomSplit(seed: number, perClass: number, C = 3, d = 12): ImageSplit {
  const rng = new PhiloxStream(seed, 22);
  const templates = Array.from({ length: C }, () =>
    Array.from({ length: d }, () => (rng.next() < 0.4 ? rng.int(256) : 0)),
  );
  const images: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < perClass; i++) {
    for (let c = 0; c < C; c++) {
      images.push(templates[c].map((v) => (rng.next() < 0.3 ? rng.int(256) : v)));
      labels.push((c + i) % C);
    }
  }
  return splitOf(`random-${seed}`, 1, d, C, images, labels);
}

const shapeOfSplit = (s: ImageSplit): StreamShape => ({
  rows: s.rows,
  cols: s.cols,
  pixels: s.rows * s.cols,
  numClasses: s.numClasses,
});
const imageAt = (s: ImageSplit, i: number) => s.images.slice(i * s.rows * s.cols, (i + 1) * s.rows * s.cols);

function feed(l: InspectableLearner, s: ImageSplit, order: ArrayLike<number>): void {
  for (let k = 0; k < order.length; k++) void l.learn(imageAt(s, order[k]), s.labels[order[k]]);
}

async function predict(l: InspectableLearner, images: Uint8Array, count: number): Promise<number[]> {
  return Array.from(await (await l.freeze()).predictor.predict(images, count));
}

/** Every class in turn, one example each, keeping each class's own order (a different global order). */
function roundRobin(s: ImageSplit): number[] {
  const pools = Array.from({ length: s.numClasses }, (_, c) =>
    Array.from(streamOrder(s, 'sorted')).filter((i) => s.labels[i] === c),
  );
  const out: number[] = [];
  for (let k = 0; out.length < s.count; k++) for (const p of pools) if (k < p.length) out.push(p[k]);
  return out;
}

/** Within-class order reversed, classes still sorted. */
function reversedWithin(s: ImageSplit): number[] {
  const sorted = Array.from(streamOrder(s, 'sorted'));
  const out: number[] = [];
  for (let c = 0; c < s.numClasses; c++) out.push(...sorted.filter((i) => s.labels[i] === c).reverse());
  return out;
}

/**
 * Straightforward per-class sequential k-means: for each class, its examples in stream order; the
 * first K are the prototypes, each later one moves its nearest (first on ties) by 1/count.
 * Prototypes are stored rounded to f32 as the learner stores them.
 */
function referenceKMeans(s: ImageSplit, order: number[], K: number): { protos: number[][][]; counts: number[][] } {
  const protos: number[][][] = Array.from({ length: s.numClasses }, () => []);
  const counts: number[][] = Array.from({ length: s.numClasses }, () => []);
  for (const idx of order) {
    const y = s.labels[idx];
    const x = Array.from(imageAt(s, idx), (v) => v * (1 / 255));
    if (protos[y].length < K) {
      protos[y].push(x.map(Math.fround));
      counts[y].push(1);
      continue;
    }
    const dist = protos[y].map((p) => p.reduce((acc, pv, i) => acc + (x[i] - pv) ** 2, 0));
    const j = dist.indexOf(Math.min(...dist));
    counts[y][j] += 1;
    protos[y][j] = protos[y][j].map((pv, i) => Math.fround(pv + (x[i] - pv) * (1 / counts[y][j])));
  }
  return { protos, counts };
}

describe(`per-class online k-means (seed ${SEED})`, () => {
  const s = randomSplit(SEED, 9);
  const shape = shapeOfSplit(s);
  const d = shape.pixels;
  const sorted = Array.from(streamOrder(s, 'sorted'));

  for (const K of [1, 2, 4]) {
    it(`K=${K}: prototypes and counts equal the straightforward per-class computation`, () => {
      const l = new PerClassKMeans(shape, { k: K });
      feed(l, s, sorted);
      const ref = referenceKMeans(s, sorted, K);
      const p = l.stateArrays().prototypes as Float32Array;
      const n = l.stateArrays().counts as Uint32Array;
      for (let c = 0; c < s.numClasses; c++) {
        for (let j = 0; j < K; j++) {
          expect(n[c * K + j], `seed ${SEED} class ${c} proto ${j}`).toBe(ref.counts[c][j] ?? 0);
          expect(
            Array.from(p.subarray((c * K + j) * d, (c * K + j + 1) * d)),
            `seed ${SEED} class ${c} proto ${j}`,
          ).toEqual(ref.protos[c][j] ?? new Array(d).fill(0));
        }
      }
    });
  }

  it('K=1 is nearest class mean: the same means bit for bit and the same answers', async () => {
    const k1 = new PerClassKMeans(shape, { k: 1 });
    const ncm = new NearestClassMean(shape);
    feed(k1, s, sorted);
    feed(ncm, s, sorted);
    expect(k1.stateArrays().prototypes).toEqual(ncm.stateArrays().means);
    const q = randomSplit(SEED + 1, 10);
    expect(await predict(k1, q.images, q.count)).toEqual(await predict(ncm, q.images, q.count));
  });

  it('classifies by the nearest prototype of any class: separates a two-mode class where NCM fails (hand-derived)', async () => {
    // Class 0 has modes (200, 0) and (0, 200), mean (100, 100); class 1 sits at (80, 80).
    // Query (170, 0): NCM 70^2 + 100^2 = 14900 against 90^2 + 80^2 = 14500 -> 1; K = 2: 30^2 to (200, 0) -> 0.
    const two = splitOf(
      'modes',
      1,
      4,
      2,
      [
        [200, 0, 0, 0],
        [80, 80, 0, 0],
        [0, 200, 0, 0],
        [80, 80, 0, 0],
        [200, 0, 0, 0],
        [0, 200, 0, 0],
      ],
      [0, 1, 0, 1, 0, 0],
    );
    const order = Array.from(streamOrder(two, 'sorted'));
    const km = new PerClassKMeans(shapeOfSplit(two), { k: 2 });
    const ncm = new NearestClassMean(shapeOfSplit(two));
    feed(km, two, order);
    feed(ncm, two, order);
    const q = Uint8Array.from([170, 0, 0, 0]);
    expect(await predict(ncm, q, 1)).toEqual([1]);
    expect(await predict(km, q, 1)).toEqual([0]);
    // Counts: class 0's prototypes each took two examples; class 1 seeded both of its own.
    expect(Array.from(km.stateArrays().counts as Uint32Array)).toEqual([2, 2, 1, 1]);
  });

  it('order: any interleaving of the classes gives the same state; reversing a class changes it', () => {
    const a = new PerClassKMeans(shape, { k: 3 });
    const b = new PerClassKMeans(shape, { k: 3 });
    const c = new PerClassKMeans(shape, { k: 3 });
    feed(a, s, sorted);
    feed(b, s, roundRobin(s));
    feed(c, s, reversedWithin(s));
    expect(b.stateArrays()).toEqual(a.stateArrays());
    expect(c.stateArrays().prototypes, `seed ${SEED}`).not.toEqual(a.stateArrays().prototypes);
  });

  it('FLOPs: seeds cost d, moves d + 3dK + K - 1 + 1 + 3d; prediction d + 3d per prototype + (K - 1) per class', async () => {
    const K = 4;
    const l = new PerClassKMeans(shape, { k: K });
    feed(l, s, sorted);
    const C = s.numClasses;
    const per = s.count / C; // 9 per class: 4 seeds + 5 moves
    expect(l.learnFlops()).toBe(C * (K * d + (per - K) * (d + 3 * d * K + K - 1 + 1 + 3 * d)));
    const f = await l.freeze();
    expect(f.predictor.flopsPerImage).toBe(d + 3 * d * K * C + (K - 1) * C);
    expect(f.flops).toBe(0);
  });
});

/** Plain float64 CCIPCA per class, as written in the paper's notation (no f32 rounding). */
function referenceSubspace(
  s: ImageSplit,
  order: number[],
  r: number,
): { mean: number[][]; v: number[][][]; n: number[] } {
  const d = s.rows * s.cols;
  const mean = Array.from({ length: s.numClasses }, () => new Array<number>(d).fill(0));
  const v: number[][][] = Array.from({ length: s.numClasses }, () => []);
  const n = new Array<number>(s.numClasses).fill(0);
  const dot = (a: number[], b: number[]) => a.reduce((acc, ai, i) => acc + ai * b[i], 0);
  for (const idx of order) {
    const y = s.labels[idx];
    const x = Array.from(imageAt(s, idx), (p) => p / 255);
    const t = ++n[y];
    mean[y] = mean[y].map((m, i) => m + (x[i] - m) / t);
    let u = x.map((xi, i) => xi - mean[y][i]);
    for (let i = 0; i < Math.min(r, t - 1); i++) {
      if (i === t - 2) {
        v[y].push(u);
        break;
      }
      const norm = Math.sqrt(dot(v[y][i], v[y][i]));
      const proj = dot(u, v[y][i]) / norm;
      v[y][i] = v[y][i].map((vi, k) => ((t - 1) / t) * vi + (1 / t) * proj * u[k]);
      const g = dot(u, v[y][i]) / dot(v[y][i], v[y][i]);
      u = u.map((uk, k) => uk - g * v[y][i][k]);
    }
  }
  return { mean, v, n };
}

describe(`per-class incremental PCA subspace classifier (seed ${SEED})`, () => {
  const s = randomSplit(SEED, 12);
  const shape = shapeOfSplit(s);
  const d = shape.pixels;
  const sorted = Array.from(streamOrder(s, 'sorted'));

  it('means and directions follow the float64 CCIPCA recursion (f32 storage: relative error < 1e-5)', () => {
    const r = 3;
    const l = new PerClassSubspace(shape, { r });
    feed(l, s, sorted);
    const ref = referenceSubspace(s, sorted, r);
    const dirs = l.stateArrays().directions as Float32Array;
    const means = l.stateArrays().means as Float32Array;
    for (let c = 0; c < s.numClasses; c++) {
      for (let i = 0; i < d; i++)
        expect(Math.abs(means[c * d + i] - ref.mean[c][i]), `seed ${SEED}`).toBeLessThan(1e-6);
      for (let j = 0; j < r; j++) {
        const scale = Math.max(...ref.v[c][j].map(Math.abs));
        for (let i = 0; i < d; i++)
          expect(
            Math.abs(dirs[(c * r + j) * d + i] - ref.v[c][j][i]) / scale,
            `seed ${SEED} class ${c} dir ${j}`,
          ).toBeLessThan(1e-5);
      }
    }
  });

  it('r = 0 is nearest class mean (same means, same answers)', async () => {
    const sub = new PerClassSubspace(shape, { r: 0 });
    const ncm = new NearestClassMean(shape);
    feed(sub, s, sorted);
    feed(ncm, s, sorted);
    expect(sub.stateArrays().means).toEqual(ncm.stateArrays().means);
    const q = randomSplit(SEED + 1, 10);
    expect(await predict(sub, q.images, q.count)).toEqual(await predict(ncm, q.images, q.count));
  });

  it('data on a plane per class: the learned basis spans it, and points far along a plane go to their class where NCM fails', async () => {
    // Class c: x = m_c + a e1_c + b e2_c with integer pixels; every centred example lies in the
    // plane, so every direction does too (up to f32 rounding) and the plane's residual is ~0.
    const rng = new PhiloxStream(SEED, 23);
    const d6 = 6;
    const m = [
      [120, 120, 120, 100, 100, 100],
      [100, 100, 100, 120, 120, 120],
    ];
    const e1 = [
      [1, -1, 0, 1, 0, 0],
      [1, 0, 0, 1, -1, 0],
    ];
    const e2 = [
      [0, 1, -1, 0, 1, 0],
      [0, 1, 0, 0, 1, -1],
    ];
    const images: number[][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 40; i++) {
      for (let c = 0; c < 2; c++) {
        const a = rng.int(61) - 30;
        const b = rng.int(61) - 30;
        images.push(m[c].map((v, k) => v + a * e1[c][k] + b * e2[c][k]));
        labels.push(c);
      }
    }
    const plane = splitOf('planes', 1, d6, 2, images, labels);
    const l = new PerClassSubspace(shapeOfSplit(plane), { r: 2 });
    const ncm = new NearestClassMean(shapeOfSplit(plane));
    feed(l, plane, Array.from(streamOrder(plane, 'sorted')));
    feed(ncm, plane, Array.from(streamOrder(plane, 'sorted')));
    for (const b of l.bases()) {
      for (const e of [e1[b.c], e2[b.c]]) {
        const en = Math.hypot(...e);
        let resid = 1;
        for (let j = 0; j < b.k; j++) resid -= (e.reduce((acc, v, k) => acc + v * b.q[j * d6 + k], 0) / en) ** 2;
        expect(Math.abs(resid), `seed ${SEED} class ${b.c}`).toBeLessThan(1e-5);
      }
    }
    // Far along class 0's plane: m_0 + 90 (e1_0 + e2_0) = (210,120,30,190,190,100). Squared distance
    // to m_0: 4 x 90^2 = 32400; to m_1: 110^2 + 20^2 + 3 x 70^2 + 20^2 = 27600, so NCM says 1 (the
    // sample means differ from m_c by a point of each plane, which keeps the query in class 0's plane).
    const q = Uint8Array.from(m[0].map((v, k) => v + 90 * e1[0][k] + 90 * e2[0][k]));
    expect(await predict(ncm, q, 1)).toEqual([1]);
    expect(await predict(l, q, 1)).toEqual([0]);
  });

  it('order: any interleaving of the classes gives the same state; reversing a class changes it', () => {
    const a = new PerClassSubspace(shape, { r: 3 });
    const b = new PerClassSubspace(shape, { r: 3 });
    const c = new PerClassSubspace(shape, { r: 3 });
    feed(a, s, sorted);
    feed(b, s, roundRobin(s));
    feed(c, s, reversedWithin(s));
    expect(b.stateArrays()).toEqual(a.stateArrays());
    expect(c.stateArrays().directions, `seed ${SEED}`).not.toEqual(a.stateArrays().directions);
  });

  it('FLOPs: learn 6d + 1 + (13d + 6) per updated component; freeze and predict by the formulas in the file', async () => {
    const r = 3;
    const l = new PerClassSubspace(shape, { r });
    feed(l, s, sorted);
    const per = s.count / s.numClasses; // 12 per class
    let perClass = 0;
    for (let n = 1; n <= per; n++) perClass += 6 * d + 1 + Math.max(0, Math.min(r, n - 2)) * (13 * d + 6);
    expect(l.learnFlops()).toBe(s.numClasses * perClass);
    const f = await l.freeze();
    expect(f.flops).toBe(s.numClasses * (4 * d * 3 + (3 * d + 1) * 3));
    expect(f.predictor.flopsPerImage).toBe(d + s.numClasses * (3 * d + r * (2 * d + 2)));
  });
});
