/**
 * The hand-designed hidden-layer rule (docs/hidden-layer.md) computes per-class online k-means:
 * checked against the kmeans baseline on small seeded data, and its seeding and no-forgetting
 * properties.
 */
import { describe, expect, it } from 'vitest';
import { PerClassKMeans } from '../src/inner/baselines/kmeans';
import { CompetitiveHiddenLearner, competitiveStateBytes } from '../src/inner/rules/competitive-hidden';
import { PhiloxStream } from '../src/rng/philox';

const SEED = Number(process.env.VSML_TEST_SEED ?? 2208) >>> 0;

describe(`competitive hidden-layer rule (seed ${SEED})`, () => {
  const A = 16;
  const C = 3;
  const rng = new PhiloxStream(SEED, 7);
  const templates = Array.from({ length: C }, () =>
    Array.from({ length: A }, () => (rng.next() < 0.4 ? rng.int(256) : 0)),
  );
  const make = (c: number) => Uint8Array.from(templates[c], (v) => (rng.next() < 0.3 ? rng.int(256) : v));
  // A class-sorted stream of 12 per class, and 60 queries.
  const stream: { x: Uint8Array; y: number }[] = [];
  for (let c = 0; c < C; c++) for (let i = 0; i < 12; i++) stream.push({ x: make(c), y: c });
  const queries = Array.from({ length: 60 }, (_, i) => make(i % C));

  for (const K of [1, 2, 4]) {
    it(`H = ${K * C}: same answers as kmeans:k=${K}, prototypes equal as sets (float64 vs f32)`, async () => {
      const rule = new CompetitiveHiddenLearner({
        inputs: A,
        hidden: K * C,
        classes: C,
        k: 0,
        readout: 'max',
        beta: 0,
        seed: SEED,
      });
      const km = new PerClassKMeans({ rows: 1, cols: A, pixels: A, numClasses: C }, { k: K });
      for (const e of stream) {
        rule.learn(e.x, e.y);
        km.learn(e.x.slice(), e.y);
      }
      const f = await km.freeze();
      const kmAnswers = Array.from(
        await f.predictor.predict(Uint8Array.from(queries.flatMap((q) => Array.from(q))), queries.length),
      );
      expect(
        queries.map((q) => rule.predict(q)),
        `seed ${SEED}`,
      ).toEqual(kmAnswers);
      // Each of the rule's prototypes (hidden unit h, class h mod C) is one of the baseline's.
      const protos = km.stateArrays().prototypes as Float32Array;
      for (let h = 0; h < K * C; h++) {
        const c = h % C;
        const w = rule.w.subarray(h * A, (h + 1) * A);
        const match = Array.from({ length: K }, (_, j) =>
          Math.max(...Array.from(w, (v, a) => Math.abs(v - protos[(c * K + j) * A + a]))),
        );
        expect(Math.min(...match), `seed ${SEED} unit ${h}`).toBeLessThan(1e-6);
      }
    });
  }

  it("later classes never move earlier classes' units; unseen classes are never predicted", () => {
    const rule = new CompetitiveHiddenLearner({
      inputs: A,
      hidden: 2 * C,
      classes: C,
      k: 0,
      readout: 'max',
      beta: 0,
      seed: SEED,
    });
    for (const e of stream.filter((s) => s.y === 0)) rule.learn(e.x, e.y);
    const after0 = Float64Array.from(rule.w);
    expect(queries.every((q) => rule.predict(q) === 0)).toBe(true);
    for (const e of stream.filter((s) => s.y !== 0)) rule.learn(e.x, e.y);
    for (let h = 0; h < 2 * C; h += C)
      expect(rule.w.subarray(h * A, (h + 1) * A)).toEqual(after0.subarray(h * A, (h + 1) * A));
  });

  it('state bytes: 784 H + 2 H C floats, plus 784 H + H C with the label delay', () => {
    const r = { inputs: 784, hidden: 100, classes: 10, k: 0, readout: 'max' as const, beta: 0, seed: 1 };
    expect(competitiveStateBytes(r, false).total).toBe(4 * (784 * 100 + 2 * 100 * 10));
    expect(competitiveStateBytes(r, true).total).toBe(4 * (2 * 784 * 100 + 3 * 100 * 10));
  });
});
