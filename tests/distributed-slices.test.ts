/**
 * The premise of distributed meta-training: a member's fitness does not depend on which other
 * members share its GPU batch. Evaluating members [0, P) at once and in slices (each slice its
 * own, differently sized batch, as a worker would) gives the same bits.
 */
import { describe, expect, it } from 'vitest';
import { subsetSplit } from '../src/data/dataset';
import { loadDataset } from '../src/data/load-node';
import { initMetaParams } from '../src/spec/vsml-config';
import { planSlices, sliceSpec } from '../src/meta/distributed/messages';
import { type GenerationEval, VsmlEvaluator } from '../src/meta/evaluator';
import { initStrategy, strategyFor } from '../src/meta/strategies';
import { presetConfig, validateTrainConfig } from '../src/meta/train-config';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();

const bits = (a: Float64Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length * 2));

describe('slices of a population', () => {
  it.each([
    { kind: 'openai-es', pairs: 4 },
    { kind: 'ga', popSize: 7, truncation: 3, elites: 2 },
  ])('$kind: members in slices == members at once, bit for bit', async (strategy) => {
    const { strategy: _s, ...tiny } = presetConfig('tiny');
    const config = validateTrainConfig({ ...tiny, strategy });
    const ds = await loadDataset(config.dataset);
    const train = subsetSplit(ds.train, config.trainSubset);
    const state = initStrategy(
      config.strategy,
      initMetaParams(config.learner, config.initSeed),
      config.seed,
      config.initSeed,
    );
    const spec = strategyFor(state).ask(state);
    const generation = 3;
    const whole = new VsmlEvaluator(gpu(), config, train);
    const parts = new VsmlEvaluator(gpu(), config, train);
    try {
      const all: GenerationEval = await whole.evaluate(spec, generation);
      const P = spec.members.length;
      const got = {
        fitness: new Float64Array(P),
        queryAccuracy: new Float64Array(P),
        onlineCrossEntropy: new Float64Array(P),
      };
      // Uneven slices: 2, 2, 2, ... and a last short one.
      for (const { lo, hi } of planSlices(P, 2)) {
        const ev = await parts.evaluate(sliceSpec(spec, lo, hi), generation);
        got.fitness.set(ev.fitness, lo);
        got.queryAccuracy.set(ev.metrics.queryAccuracy, lo);
        got.onlineCrossEntropy.set(ev.metrics.onlineCrossEntropy, lo);
      }
      expect(bits(got.fitness)).toEqual(bits(all.fitness));
      expect(bits(got.queryAccuracy)).toEqual(bits(all.metrics.queryAccuracy));
      expect(bits(got.onlineCrossEntropy)).toEqual(bits(all.metrics.onlineCrossEntropy));
      // Not trivially equal: the members differ.
      expect(new Set(Array.from(all.fitness)).size).toBeGreaterThan(1);
    } finally {
      whole.destroy();
      parts.destroy();
    }
  });
});
