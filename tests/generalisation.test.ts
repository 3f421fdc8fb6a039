/**
 * The generalisation experiment in miniature (--scale tiny, the whole grid): the table has one
 * row per cell plus NCM and the columns; every meta-test number comes from tasks of splits
 * that meta-training never reads (the MNIST test split and Fashion-MNIST's), while training reads
 * only the pooled MNIST train split; a rerun skips finished cells; --report rebuilds the files.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GEN_LEARNERS,
  GEN_STRATEGIES,
  SCALES,
  evalConfig,
  experimentData,
  gridCells,
} from '../src/bench/generalisation';
import { finishedResults, runExperiment, writeReport } from '../src/cli/experiment-generalisation';
import { loadDataset } from '../src/data/load-node';
import { TaskSampler } from '../src/meta/tasks';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();
const out = mkdtempSync(join(tmpdir(), 'vsml-gen-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('generalisation experiment, --scale tiny', () => {
  it('runs the grid; table shape; meta-test data never seen in meta-training; rerun skips', async () => {
    const s = SCALES.tiny;
    const results = await runExperiment({ scale: 'tiny', out, quiet: true, gpu: gpu() });
    const cells = GEN_LEARNERS.length * GEN_STRATEGIES.length * s.seeds.length;
    expect(results).toHaveLength(cells);

    const table = readFileSync(join(out, 'table.md'), 'utf8');
    const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| learner'));
    expect(rows).toHaveLength(cells + 1); // + NCM
    const head = table.split('\n').find((l) => l.startsWith('| learner'))!;
    for (const col of [
      'meta-params',
      'learned-state floats',
      'meta-train acc',
      'mnist-test acc',
      'fashion-test acc',
      'mnist-inverted acc',
      'gap',
      'wall',
    ])
      expect(head).toContain(col);
    for (const f of ['results.json', 'accuracy-vs-size.svg', 'curves-fashion-test.svg'])
      expect(existsSync(join(out, f))).toBe(true);

    // Same learner evaluations for ES and GA; the LSTM's state equals VSML's, its algorithm >= 10x.
    const evals = new Set(results.map((r) => r.learnerEvaluations));
    expect(evals.size).toBe(1);
    const vsml = results.find((r) => r.learner === 'vsml-full')!;
    const lstm = results.find((r) => r.learner === 'lstm')!;
    expect(lstm.stateFloats).toBe(vsml.stateFloats);
    expect(lstm.metaParams).toBeGreaterThanOrEqual(10 * vsml.metaParams);

    // Provenance: training reads the pooled MNIST train split only; every meta-test set is a test split.
    const data = await experimentData(join(out, 'data'), s.trainSubset);
    const mnist = await loadDataset('mnist');
    for (const cell of gridCells('tiny', data.dataDir)) expect(cell.config.dataset).toBe(data.dataDir);
    for (const r of results) {
      expect(r.metaTrain.source.split).toBe('train');
      expect(r.metaTest.map((t) => t.set)).toEqual(['mnist-test', 'fashion-test', 'mnist-inverted']);
      for (const t of r.metaTest) {
        expect(t.source.split, `${r.id} ${t.set}`).toBe('test');
        expect(t.curve.map((p) => p.learnLength)).toEqual(s.curveLengths);
        for (const p of t.curve) {
          expect(p.accuracy).toBeGreaterThanOrEqual(0);
          expect(p.accuracy).toBeLessThanOrEqual(1);
        }
      }
    }
    // The meta-test splits hold exactly the test images (pooled), none from the train split's file.
    for (const set of data.metaTest) {
      expect(set.split.count).toBe(mnist.test.count);
      const cfg = evalConfig(gridCells('tiny', data.dataDir)[0].config, s.metaTestTasks, s.learnLength);
      const sampler = new TaskSampler(set.split, cfg.tasks, 2, cfg.seed);
      for (const task of sampler.tasks(0))
        for (const i of [...task.learn, ...task.query]) expect(i).toBeLessThan(set.split.count);
    }
    expect(data.metaTest[0].split.images).not.toEqual(
      data.train.images.subarray(0, data.metaTest[0].split.images.length),
    );

    // A rerun finds every cell finished and trains nothing; --report rebuilds the same table.
    const before = readFileSync(join(out, 'results.json'), 'utf8');
    await runExperiment({ scale: 'tiny', out, quiet: true, gpu: gpu() });
    expect(finishedResults(out)).toHaveLength(cells);
    expect(writeReport(out)).toBe(table);
    expect(readFileSync(join(out, 'results.json'), 'utf8')).toBe(before);
    await expect(runExperiment({ scale: 'cpu', out, quiet: true, gpu: gpu() })).rejects.toThrow(
      /holds a --scale tiny experiment/,
    );
  }, 60_000);
});
