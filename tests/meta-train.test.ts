/**
 * Meta-training with the real VSML learner on SwiftShader:
 * - resume: k generations, checkpoint, resume to 2k == 2k uninterrupted (parameters bit for bit);
 * - learning: the embedded default config (2-way class-ordered episodes, projected input) lifts
 *   held-out query accuracy from chance to a stated level within a stated number of generations.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { subsetSplit } from '../src/data/dataset';
import { loadDataset } from '../src/data/load-node';
import { evaluateHeldOut } from '../src/meta/held-out';
import { loadCheckpointFile, readMetrics } from '../src/meta/node/io';
import { HELD_OUT, runTraining } from '../src/cli/run-training';
import { stringifyState } from '../src/meta/serialize';
import { presetConfig, validateTrainConfig } from '../src/meta/train-config';
import { type GenerationMetrics, Trainer } from '../src/meta/trainer';
import { classMeanRuleParams } from '../src/inner/rules/class-mean';
import { TaskSampler } from '../src/meta/tasks';
import { validateParams } from '../src/meta/validation';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();
const root = mkdtempSync(join(tmpdir(), 'vsml-meta-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('VSML meta-training', () => {
  it('resume: 3 generations + checkpoint + 3 more == 6 uninterrupted (tiny preset, real learners)', async () => {
    const config = { ...presetConfig('tiny'), generations: 6, checkpointEvery: 2 };
    const a = await runTraining({ config, out: join(root, 'a'), gpu: gpu(), quiet: true });
    const b1 = await runTraining({
      config,
      out: join(root, 'b'),
      gpu: gpu(),
      quiet: true,
      maxGenerationsThisSession: 3,
    });
    expect(b1).toMatchObject({ outcome: 'stopped', generation: 3 });
    const b2 = await runTraining({ resume: b1.checkpointPath, gpu: gpu(), quiet: true });
    const ca = loadCheckpointFile(a.checkpointPath);
    const cb = loadCheckpointFile(b2.checkpointPath);
    expect(cb.generation).toBe(6);
    expect(new Uint32Array(cb.metaParams.buffer)).toEqual(new Uint32Array(ca.metaParams.buffer));
    expect(stringifyState(cb.strategy)).toBe(stringifyState(ca.strategy));
    const fit = (p: string) => readMetrics<GenerationMetrics>(p).map((m) => [m.generation, m.fitness, m.centre]);
    expect(fit(b2.metricsPath)).toEqual(fit(a.metricsPath));
    // The deployable learner has an output per dataset class.
    expect(ca.deployLearner.layers).toEqual([4, 10]);
  });

  it('benchmark-shaped run (pixel subsets, curriculum, rule warm start, validation): resume == uninterrupted, best kept', async () => {
    const config = validateTrainConfig({
      ...presetConfig('ordered'),
      generations: 4,
      checkpointEvery: 2,
      trainSubset: 6000,
      init: 'rule:class-mean',
      learner: {
        inputSize: 16,
        layers: [16, 10],
        hidden: 8,
        message: 2,
        ticks: 1,
        labelFeeding: true,
        projection: false,
      },
      tasks: {
        tasksPerMember: 1,
        minClasses: 2,
        maxClasses: 3,
        learnLength: 6,
        maxLearnLength: 12,
        growGenerations: 3,
        queryLength: 6,
        pixelSubset: 16,
      },
      strategy: { kind: 'openai-es', pairs: 2, sigma: 0.01, lr: 0.003 },
      validation: { every: 2, perClass: [5], classes: 3, queryLength: 30 },
    });
    const a = await runTraining({ config, out: join(root, 'oa'), gpu: gpu(), quiet: true, heldOut: false });
    const b1 = await runTraining({
      config,
      out: join(root, 'ob'),
      gpu: gpu(),
      quiet: true,
      heldOut: false,
      maxGenerationsThisSession: 2,
    });
    const b2 = await runTraining({ resume: b1.checkpointPath, gpu: gpu(), quiet: true, heldOut: false });
    const ca = loadCheckpointFile(a.checkpointPath);
    const cb = loadCheckpointFile(b2.checkpointPath);
    expect(new Uint32Array(cb.metaParams.buffer)).toEqual(new Uint32Array(ca.metaParams.buffer));
    expect(stringifyState(cb.best)).toBe(stringifyState(ca.best));
    const metrics = readMetrics<GenerationMetrics>(a.metricsPath);
    const checks = metrics.flatMap((m) => m.validation ?? []);
    // Before the first generation, after generations 2 and 4.
    expect(checks.map((v) => v.generation)).toEqual([0, 2, 4]);
    const top = checks.reduce((b, v) => (v.score > b.score ? v : b));
    expect(ca.best!.score).toBe(top.score);
    expect(ca.best!.generation).toBe(top.generation);
    // Generation 0 is the rule itself, run as the deployed learner (all 784 pixels).
    expect(ca.deployLearner.layers).toEqual([784, 10]);
    expect(ca.deployLearner.inputSize).toBe(784);
    const train = subsetSplit((await loadDataset('mnist')).train, 6000);
    const again = await validateParams(gpu(), config, train, classMeanRuleParams(config.learner), 0);
    expect(again).toEqual(checks[0]);
    // The curriculum's lengths are what the trainer ran (learner steps = members x tasks x (learn + query)).
    expect(metrics.map((m) => m.learnerSteps)).toEqual(
      metrics.map(
        (m) => m.members * (new TaskSampler(train, config.tasks, 10, config.seed).learnLength(m.generation) + 6),
      ),
    );
  });

  it('default config: held-out query accuracy rises from chance (0.5) within 80 generations (seed 1)', async () => {
    // 80, not 60: the bars below are unchanged, but the trajectory depends on the adapter's float
    // bits. Measured 2026-12-06, held-out accuracy after 60 / 80 generations: SwiftShader 0.610 /
    // 0.668, lavapipe (Mesa 25.0.7) 0.586 / 0.629; 60 left SwiftShader 0.01 above the 0.6 bar.
    const G = 80;
    const config = validateTrainConfig({ generations: G });
    const train = (await loadDataset(config.dataset)).train;
    const trainer = Trainer.create(gpu(), config, train);
    // The CLI's held-out tasks (64, drawn with their own seed): never the run's training tasks.
    const heldOut = HELD_OUT;
    const before = await evaluateHeldOut(gpu(), config, train, trainer.metaParams(), heldOut);
    const centre: number[] = [];
    try {
      while (!trainer.done) centre.push((await trainer.step()).centre!.queryAccuracy);
      const after = await evaluateHeldOut(gpu(), config, train, trainer.metaParams(), heldOut);
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      console.log(
        `held-out query accuracy ${before.queryAccuracy.toFixed(3)} -> ${after.queryAccuracy.toFixed(3)} ` +
          `(cross-entropy ${before.queryCrossEntropy.toFixed(3)} -> ${after.queryCrossEntropy.toFixed(3)}); ` +
          `centre accuracy per 10 generations: ${[0, 1, 2, 3, 4, 5, 6, 7].map((i) => mean(centre.slice(i * 10, i * 10 + 10)).toFixed(3)).join(' ')}`,
      );
      expect(before.queryAccuracy).toBeLessThan(0.55);
      expect(after.queryAccuracy).toBeGreaterThan(0.6);
      expect(after.queryAccuracy - before.queryAccuracy).toBeGreaterThan(0.08);
      expect(after.queryCrossEntropy).toBeLessThan(before.queryCrossEntropy);
    } finally {
      trainer.destroy();
    }
  });
});
