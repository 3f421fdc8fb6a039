import { describe, expect, it } from 'vitest';
import { classSortedOrder, indicesByClass } from '../src/data/dataset';
import { loadDataset } from '../src/data/load-node';
import { PhiloxStream } from '../src/rng/philox';
import { testSeed } from './helpers/seed';

const seed = testSeed(0x5eed000a); // fixed (VSML_TEST_SEED overrides); printed in the test name

describe('OrderedMNIST order', () => {
  it(`is sorted by class and stable within a class, on random labels (seed ${seed})`, () => {
    const rng = new PhiloxStream(seed, 0);
    const labels = new Uint8Array(5000).map(() => rng.int(10));
    const order = classSortedOrder(labels);
    expect(new Set(order).size).toBe(labels.length); // a permutation
    for (let i = 1; i < order.length; i++) {
      const a = labels[order[i - 1]];
      const b = labels[order[i]];
      expect(b >= a).toBe(true);
      if (a === b) expect(order[i] > order[i - 1]).toBe(true);
    }
    const byClass = indicesByClass(labels);
    expect(byClass.map((c) => c.length).reduce((x, y) => x + y, 0)).toBe(labels.length);
    byClass.forEach((idx, c) => idx.forEach((i) => expect(labels[i]).toBe(c)));
  });

  it('holds for the bundled MNIST files', async () => {
    const ds = await loadDataset('mnist');
    expect(ds.train.count).toBe(60000);
    expect(ds.test.count).toBe(10000);
    expect([ds.train.rows, ds.train.cols]).toEqual([28, 28]);
    const order = classSortedOrder(ds.train.labels);
    expect(ds.train.labels[order[0]]).toBe(0);
    expect(ds.train.labels[order[59999]]).toBe(9);
    // MNIST's first training example is a 5; first 0 in the file is index 1.
    expect(ds.train.labels[0]).toBe(5);
    expect(order[0]).toBe(1);
  });

  it('gives a clear error for a missing dataset directory', async () => {
    await expect(loadDataset('/nonexistent/idx-dir')).rejects.toThrow(
      /dataset file not found: \/nonexistent\/idx-dir\/train-images-idx3-ubyte/,
    );
  });
});
