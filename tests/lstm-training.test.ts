/**
 * The LSTM learner in the shared trainer (config.learnerKind 'lstm'): interrupted and resumed runs
 * give the same bits as a straight run (ES and GA), checkpoints record the kind and the LSTM's
 * parameter count, share links carry it as an LSTM (tests/share-lstm.test.ts for the codec), and
 * consumers that need VSML parameters (the VSML scoreboard adapter) refuse it with a specific error. Real LSTM episodes on MNIST (train split), tiny sizes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTraining } from '../src/cli/run-training';
import { checkpointLearner } from '../src/meta/checkpoint';
import { learnerParamCount, lstmOf } from '../src/meta/learner-kind';
import { loadCheckpointFile } from '../src/meta/node/io';
import { stringifyState } from '../src/meta/serialize';
import { validateTrainConfig } from '../src/meta/train-config';
import { checkpointSharePayload } from '../src/share/checkpoint';
import { lstmParamLayout } from '../src/spec/lstm-config';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();
const root = mkdtempSync(join(tmpdir(), 'vsml-lstm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const base = {
  generations: 4,
  checkpointEvery: 1,
  trainSubset: 3000,
  learnerKind: 'lstm',
  learner: { inputSize: 8, projection: false, layers: [8, 2], hidden: 4, message: 2, ticks: 1, labelFeeding: true },
  tasks: { tasksPerMember: 2, minClasses: 2, maxClasses: 2, learnLength: 6, queryLength: 4, pixelSubset: 8 },
};

describe('LSTM learner in the trainer', () => {
  it('config: sizes, and specific errors', () => {
    const c = validateTrainConfig({ ...base, strategy: { kind: 'openai-es', pairs: 3 } });
    // State 8 x 2 cells x 2H (H 4) = 128 floats -> hidden 64.
    expect(learnerParamCount(c)).toBe(lstmParamLayout({ inputSize: 8, classes: 2, hidden: 64 }).size);
    expect(() =>
      validateTrainConfig({
        ...base,
        tasks: { ...base.tasks, pixelSubset: 0 },
        learner: { ...base.learner, inputSize: 784, projection: true },
      }),
    ).toThrow(/learnerKind: 'lstm' reads raw pixels/);
    expect(() => validateTrainConfig({ lstmHidden: 8 })).toThrow(/lstmHidden: only applies to learnerKind 'lstm'/);
    expect(() => validateTrainConfig({ ...base, validation: { every: 5 } })).toThrow(/validation.every: must be 0/);
  });

  it.each([
    { kind: 'openai-es', pairs: 3, sigma: 0.03, lr: 0.01 },
    { kind: 'ga', popSize: 6, truncation: 2 },
  ])('$kind: stop at 2, resume to 4 == 4 straight; checkpoint records the kind', async (strategy) => {
    const config = validateTrainConfig({ ...base, strategy });
    const straight = await runTraining({
      config,
      out: join(root, `${strategy.kind}-a`),
      gpu: gpu(),
      quiet: true,
      heldOut: false,
    });
    const first = await runTraining({
      config,
      out: join(root, `${strategy.kind}-b`),
      gpu: gpu(),
      quiet: true,
      heldOut: false,
      maxGenerationsThisSession: 2,
    });
    expect(first).toMatchObject({ outcome: 'stopped', generation: 2 });
    const resumed = await runTraining({ resume: first.checkpointPath, gpu: gpu(), quiet: true, heldOut: false });
    expect(resumed).toMatchObject({ outcome: 'completed', generation: 4 });
    const a = loadCheckpointFile(straight.checkpointPath);
    const b = loadCheckpointFile(resumed.checkpointPath);
    expect(b.config.learnerKind).toBe('lstm');
    expect(b.metaParams.length).toBe(learnerParamCount(config));
    expect(stringifyState(b.strategy)).toBe(stringifyState(a.strategy));
    expect(new Uint32Array(b.metaParams.buffer)).toEqual(new Uint32Array(a.metaParams.buffer));
    expect(straight.last!.queryAccuracy.mean).toBeGreaterThan(0);
    expect(checkpointSharePayload(b).config.lstm).toEqual(lstmOf(config));
    expect(() => checkpointLearner(b)).toThrow(/holds an LSTM learner/);
  });
});
