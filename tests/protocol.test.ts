import { describe, expect, it } from 'vitest';
import type { ByteItem, Example, Frozen, Learner } from '../src/inner/learner';
import { curveCheckpoints, probeIndices, runProtocol, streamOrder } from '../src/bench/ordered-mnist';
import { benchSplits } from '../src/bench/run';
import { clusterSplit, splitOf } from '../src/bench/synthetic';

/**
 * A spy learner: records everything the harness hands it, predicts the last label it saw, and
 * fails loudly if the protocol is broken (learning after the final freeze, odd buffers).
 */
class SpyLearner implements Learner {
  learned: { image: Uint8Array; label: number }[] = [];
  predictCalls: { images: Uint8Array; count: number; argc: number }[] = [];
  freezes = 0;
  last = 0;
  constructor(private readonly d: number) {}
  learn(image: Uint8Array, label: number): void {
    this.learned.push({ image, label });
    this.last = label;
  }
  freeze(): Frozen {
    this.freezes++;
    const answer = this.last;
    const calls = this.predictCalls;
    return {
      flops: 7,
      predictor: {
        flopsPerImage: 3,
        predict(...args: unknown[]): Uint8Array {
          const [images, count] = args as [Uint8Array, number];
          calls.push({ images, count, argc: args.length });
          return new Uint8Array(count).fill(answer);
        },
      },
    };
  }
  learnFlops(): number {
    return 5 * this.learned.length;
  }
  stateBytes(): ByteItem[] {
    return [{ name: 'last', bytes: 1 }];
  }
  algorithmBytes(): ByteItem[] {
    return [];
  }
}

const d = 16;
const train = clusterSplit('syn/train', 5, 3);
// Test images carry a marker value (7) that no training image has, so any leak is visible.
const test = (() => {
  const s = clusterSplit('syn/test', 4, 3, 4, 4, 1);
  const images = s.images.map((v, i) => (i % d === d - 1 ? 7 : v));
  return { ...s, images };
})();

describe('OrderedMNIST protocol harness', () => {
  it('feeds every training pair once, sorted by class, file order within a class', async () => {
    const spy = new SpyLearner(d);
    await runProtocol(spy, train, test, { curvePerClass: 0 });
    // Expected order derived directly: for each class, the file indices with that label, ascending.
    const expected: number[] = [];
    for (let c = 0; c < 3; c++) for (let i = 0; i < train.count; i++) if (train.labels[i] === c) expected.push(i);
    expect(spy.learned.map((e) => e.label)).toEqual(expected.map((i) => train.labels[i]));
    spy.learned.forEach((e, k) =>
      expect(Array.from(e.image)).toEqual(Array.from(train.images.subarray(expected[k] * d, (expected[k] + 1) * d))),
    );
    // The file order is interleaved, so sorting really moved examples.
    expect(expected).not.toEqual([...expected].sort((a, b) => a - b));
  });

  it('hands each training image as an owned 1-image copy: no view of the dataset, no test image', async () => {
    const spy = new SpyLearner(d);
    const before = train.images.slice();
    await runProtocol(spy, train, test, { curvePerClass: 2 });
    for (const e of spy.learned) {
      expect(e.image.buffer.byteLength).toBe(d); // cannot reach other examples through .buffer
      expect(e.image.includes(7)).toBe(false); // never a test image
      e.image.fill(99); // a learner scribbling on its copy...
    }
    expect(train.images).toEqual(before); // ...does not touch the dataset
  });

  it("predict chunks: 1000 images by default, the learner's own size when it declares one (Infinity = one call)", async () => {
    const big = clusterSplit('syn/big', 400, 3); // 1,200 test images
    const counts = async (spy: SpyLearner, opts: { predictChunk?: number } = {}) => {
      await runProtocol(spy, train, big, { curvePerClass: 0, ...opts });
      return spy.predictCalls.map((c) => c.count);
    };
    expect(await counts(new SpyLearner(d))).toEqual([1000, 200]);
    // A learner that replays its stream per call (the GPU VSML adapter) must get all images at once.
    const whole = Object.assign(new SpyLearner(d), { predictChunk: Infinity });
    expect(await counts(whole)).toEqual([1200]);
    const small = Object.assign(new SpyLearner(d), { predictChunk: 500 });
    expect(await counts(small)).toEqual([500, 500, 200]);
    // The caller may still cap it.
    expect(await counts(Object.assign(new SpyLearner(d), { predictChunk: Infinity }), { predictChunk: 700 })).toEqual([
      700, 500,
    ]);
  });

  it('predict receives images only: no labels, no extra arguments, buffers holding exactly the images', async () => {
    const spy = new SpyLearner(d);
    await runProtocol(spy, train, test, { curvePerClass: 0, predictChunk: 5 });
    const seen: number[] = [];
    for (const call of spy.predictCalls) {
      expect(call.argc).toBe(2);
      expect(call.images.buffer.byteLength).toBe(call.count * d);
      for (let k = 0; k < call.count; k++) {
        const img = call.images.subarray(k * d, (k + 1) * d);
        // Identify the test image by content: it must be a test image.
        const idx = [...Array(test.count).keys()].find((i) =>
          test.images.subarray(i * d, (i + 1) * d).every((v, p) => v === img[p]),
        );
        expect(idx).toBeDefined();
        seen.push(idx!);
      }
    }
    expect(seen).toEqual([...Array(test.count).keys()]);
    // The learner is never taught after its final freeze.
    expect(spy.learned.length).toBe(train.count);
    expect(spy.freezes).toBe(1);
  });

  it('scores accuracy, per-class accuracy and the four axes from what the learner reports', async () => {
    const spy = new SpyLearner(d);
    const r = await runProtocol(spy, train, test, { curvePerClass: 0 });
    // Predicts the last class learned (2) for everything.
    expect(r.perClassAccuracy).toEqual([0, 0, 1]);
    expect(r.accuracy).toBeCloseTo(4 / 12, 12);
    expect(r.confusion[0]).toEqual([0, 0, 4]);
    expect(r.trainFlops).toBe(5 * train.count + 7);
    expect(r.testFlops).toBe(3 * test.count);
    expect(r.stateBytesTotal).toBe(1);
    expect(r.algorithmBytesTotal).toBe(0);
  });

  it('forgetting curve: one point per class boundary, accuracy over the classes seen so far', async () => {
    const spy = new SpyLearner(d);
    const r = await runProtocol(spy, train, test, { curvePerClass: 2 });
    expect(r.curve.map((p) => p.seen)).toEqual([5, 10, 15]);
    expect(r.curve.map((p) => p.classesSeen)).toEqual([[0], [0, 1], [0, 1, 2]]);
    // A last-label learner is right on exactly one seen class out of c: accuracy 1/c.
    expect(r.curve.map((p) => p.accuracy)).toEqual([1, 1 / 2, 1 / 3]);
    expect(r.curve[1].perClass).toEqual([0, 1, 0]);
    // Cost outside the learner's FLOPs: 3 freezes (7) + 3 x 6 probe images (3 each).
    expect(r.curveFlops).toBe(3 * 7 + 3 * 6 * 3);
    expect(r.trainFlops).toBe(5 * train.count + 7);
    expect(spy.freezes).toBe(4);
  });

  it('probe set = first N test images of each class, in file order', () => {
    const probe = probeIndices(test, 2);
    const want: number[] = [];
    const taken = [0, 0, 0];
    for (let i = 0; i < test.count; i++) if (taken[test.labels[i]]++ < 2) want.push(i);
    expect(Array.from(probe)).toEqual(want);
  });

  it('shuffled reference order: a deterministic permutation, different from sorted, checkpoints at tenths', () => {
    const big = clusterSplit('syn', 20, 10, 4, 4);
    const a = streamOrder(big, 'shuffled', 5);
    const b = streamOrder(big, 'shuffled', 5);
    const c = streamOrder(big, 'shuffled', 6);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(big.count).keys()]);
    expect(Array.from(a)).not.toEqual(Array.from(streamOrder(big, 'sorted')));
    expect(curveCheckpoints(big.labels, a, 'shuffled', 10)).toEqual([20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
  });

  it('learnStream learners get the same examples in the same order, in one or more calls', async () => {
    const got: Example[] = [];
    let calls = 0;
    const spy = new SpyLearner(d);
    const streamer: Learner = {
      learn: () => {
        throw new Error('learn() must not be called when learnStream exists');
      },
      async learnStream(examples: Iterable<Example>) {
        calls++;
        for (const e of examples) got.push(e);
      },
      freeze: () => spy.freeze(),
      learnFlops: () => 0,
      stateBytes: () => [],
      algorithmBytes: () => [],
    };
    await runProtocol(streamer, train, test, { curvePerClass: 1 });
    const ref = new SpyLearner(d);
    await runProtocol(ref, train, test, { curvePerClass: 0 });
    expect(got.map((e) => e.label)).toEqual(ref.learned.map((e) => e.label));
    expect(got.map((e) => Array.from(e.image))).toEqual(ref.learned.map((e) => Array.from(e.image)));
    expect(calls).toBe(3); // one per segment between curve checkpoints
  });

  it('rejects mismatched shapes and out-of-range predictions', async () => {
    const other = splitOf('x', 1, 2, 3, [[1, 2]], [0]);
    await expect(runProtocol(new SpyLearner(d), train, other)).rejects.toThrow(/shapes differ/);
    const bad: Learner = {
      learn: () => {},
      freeze: () => ({
        flops: 0,
        predictor: { flopsPerImage: 0, predict: (_i: Uint8Array, n: number) => new Uint8Array(n).fill(9) },
      }),
      learnFlops: () => 0,
      stateBytes: () => [],
      algorithmBytes: () => [],
    };
    await expect(runProtocol(bad, train, test, { curvePerClass: 0 })).rejects.toThrow(/outside/);
  });

  it('--subset takes the first N training examples and a proportional test prefix', () => {
    const ds = { name: 'syn', train: clusterSplit('t', 60, 10), test: clusterSplit('s', 10, 10) };
    const { train: tr, test: te } = benchSplits(ds, 120);
    expect(tr.count).toBe(120);
    expect(te.count).toBe(20);
    expect(Array.from(tr.labels)).toEqual(Array.from(ds.train.labels.subarray(0, 120)));
  });
});
