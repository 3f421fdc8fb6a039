/**
 * The one OrderedMNIST stream builder (src/data/ordered-stream.ts), against a direct
 * definition: stable sort by class, then windows of each class.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSplit } from '../src/data/dataset';
import { heldOutStream, orderedIndices } from '../src/data/ordered-stream';
import { PhiloxStream } from '../src/rng/philox';
import { testSeed } from './helpers/seed';

const SEED = testSeed(0x5eed0a11);

function randomSplit(n: number, C: number): ImageSplit {
  const rng = new PhiloxStream(SEED, 7);
  const labels = Uint8Array.from({ length: n }, () => rng.int(C));
  return { name: 'random', count: n, rows: 1, cols: 1, images: new Uint8Array(n), labels, numClasses: C };
}

// Direct definition: the file indices of class c, in file order.
const classIndices = (s: ImageSplit, c: number) => [...s.labels.keys()].filter((i) => s.labels[i] === c);

describe(`ordered stream (seed ${SEED})`, () => {
  const split = randomSplit(500, 7);
  it('the whole stream is the stable sort by class', () => {
    const direct = [...split.labels.keys()].sort((a, b) => split.labels[a] - split.labels[b] || a - b);
    expect([...orderedIndices(split)]).toEqual(direct);
  });
  it('classes in a given order, a window of each', () => {
    const got = [...orderedIndices(split, { classes: [3, 0, 5], from: 2, perClass: 4 })];
    expect(got).toEqual([3, 0, 5].flatMap((c) => classIndices(split, c).slice(2, 6)));
  });
  it('a class too short is an error naming it, unless strict is off', () => {
    const short = classIndices(split, 1).length;
    expect(() => orderedIndices(split, { classes: [1], perClass: short + 1 })).toThrow(
      `class 1 has ${short} examples, need ${short + 1}`,
    );
    expect(orderedIndices(split, { classes: [1], perClass: short + 1, strict: false }).length).toBe(short);
    expect(() => orderedIndices(split, { classes: [9] })).toThrow('class 9 is not a class of random');
  });
  it('held-out stream: every index once, the first part of each class learned, the rest queried', () => {
    const h = heldOutStream(split, 1 / 6);
    expect([...h.learn, ...h.queries].sort((a, b) => a - b)).toEqual([...split.labels.keys()]);
    let [l, q] = [0, 0];
    for (let c = 0; c < 7; c++) {
      const ix = classIndices(split, c);
      const n = ix.length - Math.round(ix.length / 6);
      expect(h.learnPerClass[c]).toBe(n);
      expect([...h.learn.subarray(l, l + n)]).toEqual(ix.slice(0, n));
      expect([...h.queries.subarray(q, q + ix.length - n)]).toEqual(ix.slice(n));
      l += n;
      q += ix.length - n;
    }
  });
});
