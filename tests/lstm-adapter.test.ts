/**
 * The LSTM's scoreboard adapter (src/bench/lstm-adapter.ts): how a learner meta-trained on another
 * input shape is applied (a fixed pixel subset, drawn like a training task's), the refusals that
 * name both shapes, its four-axes accounting, and that the deferred GPU run through the Learner
 * interface gives the float64 reference's predictions on exactly the pixels the mapping picks.
 *
 * Tolerance: as tests/lstm-parity.test.ts (per-step f32 error bound steps x (n + 8) u, x8), applied
 * to predictions only where the reference's top-2 margin exceeds it.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LstmLearner, deployedPixels, loadLstmSpec, lstmInputMapping } from '../src/bench/lstm-adapter';
import { parseMethod } from '../src/bench/methods';
import { sumBytes, type StreamShape } from '../src/inner/learner';
import { lstmEpisodeReference } from '../src/inner/lstm-reference';
import { PhiloxStream, RNG_DOMAIN } from '../src/rng/philox';
import { lstmParamLayout } from '../src/spec/lstm-config';
import { useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x1a0a0021);
const U = 2 ** -24;
const MNIST: StreamShape = { rows: 28, cols: 28, pixels: 784, numClasses: 10 };

describe(`LSTM scoreboard adapter (seed ${seed})`, () => {
  it('deploys a pixel-subset learner on one fixed, seeded draw of distinct ascending pixels', () => {
    const a = deployedPixels(784, 64, 1);
    expect(a.length).toBe(64);
    for (let i = 0; i < a.length; i++) {
      expect(a[i]).toBeLessThan(784);
      if (i > 0) expect(a[i]).toBeGreaterThan(a[i - 1]);
    }
    expect(deployedPixels(784, 64, 1)).toEqual(a);
    expect(deployedPixels(784, 64, 2)).not.toEqual(a);
    expect(() => deployedPixels(784, 785, 1)).toThrow(/need 1 <= n <= 784/);
  });

  it('refuses a learner whose classes or input shape do not fit, naming both shapes', () => {
    const trained = (imagePixels: number, pixelSubset: number) => ({ imagePixels, pixelSubset, what: 'the LSTM' });
    expect(() => lstmInputMapping({ inputSize: 64, classes: 2, hidden: 8 }, trained(784, 64), MNIST, 1)).toThrow(
      /outputs 2 classes, the stream has 28x28 = 784-pixel images, 10 classes/,
    );
    expect(() => lstmInputMapping({ inputSize: 16, classes: 10, hidden: 8 }, trained(49, 16), MNIST, 1)).toThrow(
      /read 16-pixel subsets of 49-pixel training images, the stream has 28x28 = 784-pixel images/,
    );
    expect(() => lstmInputMapping({ inputSize: 49, classes: 10, hidden: 8 }, trained(49, 0), MNIST, 1)).toThrow(
      /reads whole 49-pixel images, the stream has 28x28 = 784-pixel images/,
    );
    const whole = lstmInputMapping({ inputSize: 784, classes: 10, hidden: 8 }, trained(784, 0), MNIST, 1);
    expect(whole).toEqual({ pixels: null, pixelSeed: null });
    const sub = lstmInputMapping({ inputSize: 64, classes: 10, hidden: 8 }, trained(784, 64), MNIST, 5);
    expect(sub.pixels).toEqual(deployedPixels(784, 64, 5));
  });

  it('parses the method and refuses a missing or VSML checkpoint and mixed options', async () => {
    expect(parseMethod('lstm:checkpoint=a/b.json#final:label=lstm-es')).toMatchObject({
      id: 'lstm-es',
      params: { checkpoint: 'a/b.json#final' },
    });
    expect(() => parseMethod('lstm:ranks=3')).toThrow(/has no parameter 'ranks'/);
    await expect(loadLstmSpec(MNIST, {})).rejects.toThrow(/needs checkpoint=FILE .* or hidden=H/);
    await expect(loadLstmSpec(MNIST, { checkpoint: 'no/such.json' })).rejects.toThrow(/no such file/);
    await expect(loadLstmSpec(MNIST, { checkpoint: 'x.json', hidden: '4' })).rejects.toThrow(/applies to an untrained/);
    if (existsSync('results/train-default/checkpoint.json'))
      await expect(loadLstmSpec(MNIST, { checkpoint: 'results/train-default/checkpoint.json' })).rejects.toThrow(
        /holds a VSML learner .*\(method vsml\)/,
      );
  });

  it('labels an untrained LSTM and accounts its four axes from the configuration', async () => {
    const spec = await loadLstmSpec(MNIST, { hidden: '12', inputs: '64', seed: '3', pixelSeed: '7' });
    expect(spec.trained).toBe(false);
    expect(spec.source).toMatch(/^UNTRAINED/);
    expect(spec.pixels).toEqual(deployedPixels(784, 64, 7));
    const D = lstmParamLayout(spec.config).size;
    expect(D).toBe(4 * 12 * (64 + 10 + 12) + 4 * 12 + 10 * 12 + 10);
    const l = new LstmLearner(gpu(), spec, MNIST);
    expect(sumBytes(l.stateBytes())).toBe(2 * 12 * 4 + 4);
    expect(sumBytes(l.algorithmBytes())).toBe(4 * D + 4);
    for (let i = 0; i < 3; i++) l.learn(new Uint8Array(784), i);
    expect(l.learnFlops()).toBe(3 * l.cost.flopsPerLearnExample);
    // The gate affine map dominates: 2 x 4H x (A + H) multiply-adds' flops per example.
    expect(l.cost.flopsPerQueryExample).toBeGreaterThan(2 * 4 * 12 * (64 + 12));
    expect(l.cost.flopsPerLearnExample - l.cost.flopsPerQueryExample).toBe(4 * 12);
  });

  it('predicts through the Learner interface what the float64 reference predicts on the mapped pixels', async () => {
    const shape: StreamShape = { rows: 4, cols: 5, pixels: 20, numClasses: 3 };
    const base = await loadLstmSpec(shape, { hidden: '6', inputs: '7', seed: '2', pixelSeed: '9' });
    const rng = new PhiloxStream(seed, RNG_DOMAIN.test, 0x1a);
    // 3x the init scale and nonzero biases (as the parity test): margins well away from ties.
    const params = Float32Array.from(base.params, (p) => Math.fround(3 * p + 0.5 * (rng.next() - 0.5)));
    const spec = { ...base, params };
    const learnN = 14;
    const queryN = 9;
    const images = Uint8Array.from({ length: (learnN + queryN) * 20 }, () => rng.int(256));
    const labels = Uint8Array.from({ length: learnN }, (_, i) => Math.min(2, Math.floor((3 * i) / learnN)));
    const l = new LstmLearner(gpu(), spec, shape);
    for (let i = 0; i < learnN; i++) l.learn(images.slice(i * 20, (i + 1) * 20), labels[i]);
    const frozen = l.freeze();
    const queries = images.slice(learnN * 20);
    const got = await frozen.predictor.predict(queries, queryN);
    // The reference reads the pixels deployedPixels picks, independently of the adapter's copy.
    const px = deployedPixels(20, 7, 9);
    const pick = (from: Uint8Array, n: number) => {
      const out = new Uint8Array(n * 7);
      for (let i = 0; i < n; i++) for (let j = 0; j < 7; j++) out[i * 7 + j] = from[i * 20 + px[j]];
      return out;
    };
    const ref = lstmEpisodeReference(spec.config, params, {
      learnImages: pick(images, learnN),
      learnLabels: labels,
      queryImages: pick(queries, queryN),
      queryLabels: new Array(queryN).fill(0),
    });
    const TOL = 8 * (learnN + queryN) * (7 + 1 + 6 + 1 + 8) * U;
    const maxLogit = Math.max(1, ...ref.queryMargins.map(Math.abs));
    let compared = 0;
    for (let q = 0; q < queryN; q++) {
      expect(got[q], `seed ${seed}: query ${q} is a class`).toBeLessThan(3);
      if (ref.queryMargins[q] > TOL * maxLogit) {
        compared++;
        expect(got[q], `seed ${seed}: query ${q}`).toBe(ref.queryPredictions[q]);
      }
    }
    expect(compared, `seed ${seed}: queries with a margin above tolerance`).toBeGreaterThan(queryN / 2);
    expect(frozen.predictor.deferredLearnFlops!()).toBe(learnN * l.cost.flopsPerLearnExample);
  }, 60_000);
});
