/**
 * The trainer's Node layer with a cheap objective evaluator (population still built on the GPU):
 * interrupt + resume gives the same bits as an uninterrupted run for every strategy, a lost device
 * leaves a usable checkpoint, failed rollouts are counted and never crash, files are atomic.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireGpu } from '../src/gpu/acquire';
import { GpuDeviceLostError } from '../src/gpu/errors';
import { loadCheckpointFile, readMetrics, writeFileAtomic } from '../src/meta/node/io';
import { runTraining } from '../src/cli/run-training';
import { negSphere } from '../src/meta/objective';
import { ObjectiveEvaluator } from '../src/meta/objective-evaluator';
import { stringifyState } from '../src/meta/serialize';
import { presetConfig, validateTrainConfig, type TrainConfig } from '../src/meta/train-config';
import type { GenerationMetrics } from '../src/meta/trainer';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();
const root = mkdtempSync(join(tmpdir(), 'vsml-train-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(strategy: Record<string, unknown>, generations = 8): TrainConfig {
  return validateTrainConfig({ ...PRESETS_TINY, generations, checkpointEvery: 3, strategy });
}
const PRESETS_TINY = (() => {
  const { strategy: _s, ...rest } = presetConfig('tiny');
  return rest;
})();

const sphere = (g: () => ReturnType<typeof gpu>) => () => new ObjectiveEvaluator(g(), (x) => negSphere(x) + 1);

/** The deterministic part of a metrics line (timings and throughput vary). */
function stable(m: GenerationMetrics) {
  return { generation: m.generation, fitness: m.fitness, centre: m.centre, strategy: m.strategy, acc: m.queryAccuracy };
}

describe('interrupt and resume (objective evaluator)', () => {
  it.each([
    // Own step sizes: the embedded defaults' large step (tuned for VSML) random-walks a 6-pair sphere.
    { kind: 'openai-es', pairs: 6, sigma: 0.05, lr: 0.02 },
    { kind: 'snes', popSize: 8 },
    { kind: 'ga', popSize: 10, truncation: 3 },
  ])('$kind: stop at 5, resume to 8 == 8 straight (checkpoint and metrics)', async (strategy) => {
    const c = config(strategy);
    const straight = await runTraining({
      config: c,
      out: join(root, `${strategy.kind}-a`),
      gpu: gpu(),
      quiet: true,
      evaluator: sphere(gpu),
    });
    expect(straight.outcome).toBe('completed');
    const first = await runTraining({
      config: c,
      out: join(root, `${strategy.kind}-b`),
      gpu: gpu(),
      quiet: true,
      evaluator: sphere(gpu),
      maxGenerationsThisSession: 5,
    });
    expect(first).toMatchObject({ outcome: 'stopped', generation: 5 });
    expect(loadCheckpointFile(first.checkpointPath).generation).toBe(5);
    const resumed = await runTraining({
      resume: first.checkpointPath,
      gpu: gpu(),
      quiet: true,
      evaluator: sphere(gpu),
    });
    expect(resumed).toMatchObject({ outcome: 'completed', generation: 8 });

    const a = loadCheckpointFile(straight.checkpointPath);
    const b = loadCheckpointFile(resumed.checkpointPath);
    expect(stringifyState(b.strategy)).toBe(stringifyState(a.strategy));
    expect(new Uint32Array(b.metaParams.buffer)).toEqual(new Uint32Array(a.metaParams.buffer));
    const ma = readMetrics<GenerationMetrics>(straight.metricsPath).map(stable);
    const mb = readMetrics<GenerationMetrics>(resumed.metricsPath).map(stable);
    expect(mb.map((m) => m.generation)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(mb).toEqual(ma);
    // The search did something: the sphere objective improved.
    expect(ma[7].fitness.best).toBeGreaterThan(ma[0].fitness.best);
  });
});

describe('failures', () => {
  it('a lost device stops with a clear error; its checkpoint resumes to the same bits', async () => {
    const c = config({ kind: 'openai-es', pairs: 4 }, 7);
    const straight = await runTraining({
      config: c,
      out: join(root, 'lost-a'),
      gpu: gpu(),
      quiet: true,
      evaluator: sphere(gpu),
    });
    const doomed = await acquireGpu();
    const out = join(root, 'lost-b');
    let err: unknown;
    try {
      await runTraining({
        config: c,
        out,
        gpu: doomed,
        quiet: true,
        evaluator: (g) =>
          new ObjectiveEvaluator(
            g,
            (x) => negSphere(x) + 1,
            (gen) => gen === 4 && g.destroy(),
          ),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GpuDeviceLostError);
    expect((err as Error).message).toMatch(/stopped at generation 4.*--resume/s);
    const ckpt = loadCheckpointFile(join(out, 'checkpoint.json'));
    expect(ckpt.generation).toBe(4);
    const resumed = await runTraining({
      resume: join(out, 'checkpoint.json'),
      gpu: gpu(),
      quiet: true,
      evaluator: sphere(gpu),
    });
    expect(stringifyState(loadCheckpointFile(resumed.checkpointPath).strategy)).toBe(
      stringifyState(loadCheckpointFile(straight.checkpointPath).strategy),
    );
  });

  it('NaN / inf fitness is ranked worst and counted; training continues', async () => {
    const c = config({ kind: 'openai-es', pairs: 6 }, 4);
    let calls = 0;
    const r = await runTraining({
      config: c,
      out: join(root, 'nan'),
      gpu: gpu(),
      quiet: true,
      evaluator: (g) =>
        new ObjectiveEvaluator(g, (x) => (calls++ % 4 === 0 ? NaN : calls % 7 === 0 ? Infinity : negSphere(x))),
    });
    expect(r.outcome).toBe('completed');
    const m = readMetrics<GenerationMetrics>(r.metricsPath);
    expect(m.every((g) => g.fitness.nonFinite > 0)).toBe(true);
    expect(m.every((g) => Number.isFinite(g.fitness.best))).toBe(true);
    expect(Array.from(loadCheckpointFile(r.checkpointPath).metaParams).every(Number.isFinite)).toBe(true);
  });

  it('a fresh run refuses to overwrite an existing run directory', async () => {
    const c = config({ kind: 'openai-es', pairs: 2 }, 1);
    await runTraining({ config: c, out: join(root, 'twice'), gpu: gpu(), quiet: true, evaluator: sphere(gpu) });
    await expect(
      runTraining({ config: c, out: join(root, 'twice'), gpu: gpu(), quiet: true, evaluator: sphere(gpu) }),
    ).rejects.toThrow(/already holds a run.*--resume/);
  });

  it('atomic writes leave no temporary files and replace whole files', () => {
    const p = join(root, 'atomic', 'x.json');
    writeFileAtomic(p, 'a'.repeat(1000));
    writeFileAtomic(p, 'b');
    expect(readFileSync(p, 'utf8')).toBe('b');
    expect(readdirSync(join(root, 'atomic'))).toEqual(['x.json']);
  });
});
