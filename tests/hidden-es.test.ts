/**
 * Evolution of the hidden-layer learner (src/meta/hidden-es.ts): a generation is deterministic, a
 * run resumed from its serialised state continues bit for bit, and the episodes are drawn from the
 * TRAIN split's stream part only (class-sorted), the queries from its held-out part. Tiny sizes
 * (H 10, 2 pairs, 3 examples per class, 20 queries) on the first 600 MNIST train images.
 */
import { describe, expect, it } from 'vitest';
import { trainValidationSplit } from '../src/bench/validation-split';
import { uploadImageSplit } from '../src/data/gpu-dataset';
import {
  type HiddenEsState,
  hiddenEsData,
  hiddenEsEpisode,
  hiddenEsGeneration,
  initHiddenEs,
  parseHiddenEsState,
} from '../src/meta/hidden-es';
import { stringifyState } from '../src/meta/serialize';
import { validateHiddenConfig } from '../src/spec/hidden-config';
import { useGpu, useMnistSubset } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const mnist = useMnistSubset(gpu, 600, 1);
const seed = testSeed(0x41dd0024);

const comparable = (s: HiddenEsState) =>
  JSON.parse(stringifyState({ ...s, elapsedMs: 0, history: s.history.map((r) => ({ ...r, ms: 0 })) }));

describe(`evolve:hidden (seed ${seed})`, () => {
  it('episodes are class-sorted draws from the stream part; a resumed run equals an uninterrupted one', async () => {
    const split = trainValidationSplit(mnist.train);
    const data = hiddenEsData(gpu(), split, uploadImageSplit);
    const config = {
      dataset: 'mnist',
      learner: validateHiddenConfig({ inputs: 784, hidden: 10, classes: 10, aggregation: 'max' }),
      seed,
      generations: 2,
      pairs: 2,
      sigma: 0.05,
      lr: 0.02,
      perClass: 3,
      queries: 20,
    };
    const ep = hiddenEsEpisode(config, data, 0);
    const labels = Array.from(ep.learn, (i) => split.stream.labels[i]);
    expect(labels).toEqual(Array.from({ length: 30 }, (_, i) => Math.floor(i / 3)));
    for (let i = 1; i < ep.learn.length; i++)
      if (labels[i] === labels[i - 1]) expect(ep.learn[i]).toBeGreaterThan(ep.learn[i - 1]);
    expect(Math.max(...ep.queries)).toBeLessThan(split.queries.count);

    let straight = initHiddenEs(config);
    for (let g = 0; g < 2; g++) straight = (await hiddenEsGeneration(gpu(), data, straight)).state;
    const first = (await hiddenEsGeneration(gpu(), data, initHiddenEs(config))).state;
    const resumed = parseHiddenEsState(stringifyState(first), 'state.json');
    const second = (await hiddenEsGeneration(gpu(), data, resumed)).state;
    expect(comparable(second)).toEqual(comparable(straight));
    expect(straight.history.map((r) => r.generation)).toEqual([0, 1]);
    expect(() => parseHiddenEsState('{"config": {}}', 'x.json')).toThrow(/x.json: not an evolve:hidden state/);
    data.stream.destroy();
    data.queries.destroy();
  });
});
