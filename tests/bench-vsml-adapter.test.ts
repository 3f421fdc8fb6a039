import { describe, expect, it } from 'vitest';
import { runProtocol, shapeOf, streamOrder } from '../src/bench/ordered-mnist';
import { clusterSplit } from '../src/bench/synthetic';
import { VsmlLearner, loadVsmlSpec } from '../src/bench/vsml-adapter';
import { vsmlCost } from '../src/spec/cost-model';
import { referenceEpisode } from '../src/inner/reference';
import { DEFAULT_VSML_CONFIG, initMetaParams, validateVsmlConfig } from '../src/spec/vsml-config';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();

// A tiny VSML learner (16 pixels -> 3 classes) so that SwiftShader runs it in well under a second.
const config = validateVsmlConfig({ ...DEFAULT_VSML_CONFIG, inputSize: 16, layers: [16, 3] });
const metaParams = initMetaParams(config, 7);
const spec = { config, metaParams, stateSeed: 5, source: 'test' };
const train = clusterSplit('syn/train', 4, 3, 4, 4, 0, 30);
const test = clusterSplit('syn/test', 3, 3, 4, 4, 2, 30);

describe('VSML adapter on the protocol', () => {
  it('predicts what the float64 reference predicts after the class-sorted stream', async () => {
    const learner = new VsmlLearner(gpu(), spec, shapeOf(train));
    const order = streamOrder(train, 'sorted');
    for (const i of order) learner.learn(train.images.slice(i * 16, (i + 1) * 16), train.labels[i]);
    const f = learner.freeze();
    const got = Array.from(await f.predictor.predict(test.images.slice(), test.count));
    const ref = referenceEpisode(
      config,
      metaParams,
      {
        learnImages: train.images,
        learnLabels: train.labels,
        queryImages: test.images,
        queryLabels: new Uint8Array(test.count),
      },
      order,
      Array.from({ length: test.count }, (_, i) => i),
      { stateSeed: 5 },
    );
    // f32 on the GPU vs f64: compare where the reference's two best logits are not near-tied.
    let compared = 0;
    ref.queryLogits.forEach((y, q) => {
      const s = [...y].sort((a, b) => b - a);
      if (s[0] - s[1] < 1e-4 * Math.max(1, Math.abs(s[0]))) return;
      compared++;
      expect(got[q], `query ${q}`).toBe(ref.queryPredictions[q]);
    });
    expect(compared).toBeGreaterThan(test.count / 2);
  });

  it('reports the cost model on all four axes; curve probes count their re-run prefixes', async () => {
    const cost = vsmlCost(config);
    const r = await runProtocol(new VsmlLearner(gpu(), spec, shapeOf(train)), train, test, { curvePerClass: 1 });
    expect(r.trainFlops).toBe(train.count * cost.flopsPerLearnExample);
    expect(r.testFlops).toBe(test.count * cost.flopsPerQueryExample);
    expect(r.stateBytesTotal).toBe(cost.stateBytes);
    expect(r.algorithmBytesTotal).toBe(metaParams.length * 4 + 4);
    // Probe after class c: 4c examples re-learned, then 3 probe queries.
    const relearn = (4 + 8 + 12) * cost.flopsPerLearnExample;
    expect(r.curveFlops).toBe(relearn + 3 * 3 * cost.flopsPerQueryExample);
    expect(r.curve.map((p) => p.classesSeen.length)).toEqual([1, 2, 3]);
  });

  it('reads init:SEED and rejects a learner that does not fit the dataset', async () => {
    const s = await loadVsmlSpec('init:3');
    expect(s.metaParams).toEqual(initMetaParams(s.config, 3));
    expect(() => new VsmlLearner(gpu(), s, shapeOf(train))).toThrow(/784 pixels/);
  });
});

describe('loading a VSML learner for the benchmark', () => {
  it('rule:class-mean, and a checkpoint: best-by-validation parameters by default, FILE#final for the final ones', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { presetConfig } = await import('../src/meta/train-config');
    const { initStrategy } = await import('../src/meta/strategies');
    const { encodeCheckpoint } = await import('../src/meta/checkpoint');
    const { classMeanRuleParams, CLASS_MEAN_LEARNER } = await import('../src/inner/rules/class-mean');
    const rule = await loadVsmlSpec('rule:class-mean');
    expect(rule.config.layers).toEqual([784, 10]);
    expect(Array.from(rule.metaParams)).toEqual(
      Array.from(classMeanRuleParams(validateVsmlConfig(CLASS_MEAN_LEARNER))),
    );
    const cfg = presetConfig('tiny');
    const finalParams = initMetaParams(cfg.learner, 1);
    const bestParams = initMetaParams(cfg.learner, 2);
    const strategy = initStrategy(cfg.strategy, finalParams, cfg.seed);
    const ckpt = encodeCheckpoint({
      format: 'vsml-meta-checkpoint',
      version: 1,
      generation: 0,
      config: cfg,
      strategy,
      metaParams: finalParams,
      learner: cfg.learner,
      deployLearner: cfg.learner,
      elapsedMs: 0,
      savedAt: 'now',
      best: { generation: 0, perClass: [5], accuracy: [0.5], score: 0.5, metaParams: bestParams },
    });
    const dir = mkdtempSync(join(tmpdir(), 'vsml-load-'));
    try {
      const file = join(dir, 'checkpoint.json');
      writeFileSync(file, ckpt);
      expect(Array.from((await loadVsmlSpec(file)).metaParams)).toEqual(Array.from(bestParams));
      expect((await loadVsmlSpec(file)).source).toMatch(/best by validation/);
      expect(Array.from((await loadVsmlSpec(`${file}#final`)).metaParams)).toEqual(Array.from(finalParams));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
