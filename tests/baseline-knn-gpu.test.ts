import { describe, expect, it } from 'vitest';
import { KNearestNeighbours, referenceNearest } from '../src/inner/baselines/knn';
import { GpuKnnIndex, gpuKnnBackend } from '../src/inner/baselines/knn-gpu';
import { PhiloxStream } from '../src/rng/philox';
import { POISON_U32, useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x5eed0003); // fixed (VSML_TEST_SEED overrides); printed in the describe name

/** Sparse random u8 images with planted duplicates (exact distance ties). */
function data(n: number, q: number, d: number) {
  const rng = new PhiloxStream(seed, 0);
  const px = () => (rng.next() < 0.7 ? 0 : rng.int(256));
  const store = new Uint8Array(n * d).map(px);
  const queries = new Uint8Array(q * d).map(px);
  store.copyWithin(7 * d, 3 * d, 4 * d);
  store.copyWithin((n - 1) * d, 3 * d, 4 * d);
  queries.set(store.subarray(3 * d, 4 * d), 0);
  return { store, queries };
}

describe(`GPU kNN matches the float64 reference exactly (seed ${seed})`, () => {
  for (const [n, d, q, k] of [
    [150, 30, 37, 5], // d not a multiple of 4: padded words; 37 queries in chunks of 16
    [70, 784, 9, 3], // MNIST-sized images
    [2, 8, 3, 3], // fewer stored examples than k: -1 fill
  ] as const) {
    it(`n=${n} d=${d} queries=${q} k=${k}: distances and neighbour lists, outputs poisoned first`, async () => {
      const { store, queries } = data(n, q, d);
      const index = new GpuKnnIndex(gpu(), store, n, d, { poison: POISON_U32, maxQueriesPerChunk: 16 }, true);
      try {
        const got = await index.nearest(queries, q, k);
        expect(Array.from(got).includes(POISON_U32 | 0)).toBe(false);
        expect(Array.from(got)).toEqual(Array.from(referenceNearest(store, n, d, queries, q, k)));
        // Distances of the last chunk, against float64 on [0, 1] pixels scaled back by 255^2.
        const dist = index.lastDistances!;
        const first = Math.floor((q - 1) / 16) * 16;
        expect(dist.length).toBe((q - first) * n);
        expect(dist.includes(POISON_U32)).toBe(false);
        for (let a = first; a < q; a++) {
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let i = 0; i < d; i++) s += (queries[a * d + i] / 255 - store[j * d + i] / 255) ** 2;
            expect(dist[(a - first) * n + j]).toBe(Math.round(s * 255 * 255));
          }
        }
      } finally {
        index.dispose();
      }
    });
  }

  it('the kNN learner gives the same votes with the GPU and CPU backends', async () => {
    const d = 16;
    const shape = { rows: 4, cols: 4, pixels: d, numClasses: 4 };
    const { store, queries } = data(60, 25, d);
    const cpu = new KNearestNeighbours(shape, { k: 3 });
    const gp = new KNearestNeighbours(shape, { k: 3 }, gpuKnnBackend(gpu()));
    for (let j = 0; j < 60; j++) {
      cpu.learn(store.slice(j * d, (j + 1) * d), j % 4);
      gp.learn(store.slice(j * d, (j + 1) * d), j % 4);
    }
    const fc = cpu.freeze();
    const fg = gp.freeze();
    try {
      expect(Array.from(await fg.predictor.predict(queries, 25))).toEqual(
        Array.from(await fc.predictor.predict(queries, 25)),
      );
    } finally {
      fg.predictor.dispose?.();
    }
  });
});
