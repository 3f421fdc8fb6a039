/**
 * `npm run experiment:generalisation -- [options]`: the generalisation grid of issue 21
 * (src/bench/generalisation.ts). Every cell is an ordinary training run (src/cli/run-training.ts)
 * in OUT/cells/ID/, checkpointed: rerunning skips finished cells (OUT/cells/ID/result.json) and
 * resumes unfinished ones from their checkpoint. After each cell the report (OUT/table.md,
 * OUT/results.json, OUT/accuracy-vs-size.svg, OUT/curves-SET.svg) is rewritten from the finished cells.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  type CellResult,
  type GenScale,
  GEN_SCALES,
  SCALES,
  curveChartSvg,
  experimentData,
  gridCells,
  metaTestCell,
  resultsTable,
  sizeChartSvg,
} from '../bench/generalisation';
import { acquireGpu } from '../gpu/acquire';
import type { GpuContext } from '../gpu/context';
import { loadCheckpointFile, writeFileAtomic } from '../meta/node/io';
import { UsageError, cliArgs, defineCommand } from './args';
import { runMain } from './common';
import { runTraining } from './run-training';
import type { GenerationMetrics } from '../meta/trainer';

const pct = (x: number) => (100 * x).toFixed(1);

export const EXPERIMENT_COMMAND = defineCommand({
  name: 'experiment:generalisation',
  description: `Meta-trains {VSML full cell, VSML low-rank cells (rank 1, 4), black-box LSTM} x {OpenAI-ES, GA on the
same learner evaluations} x 2 seeds from random initialisation on MNIST-train tasks (2-way, class-sorted,
label permutation, a random pixel subset of 4x4-pooled images per task), then meta-tests each on tasks of
the same shape from the MNIST test split, Fashion-MNIST and inverted MNIST, with nearest class mean on the
same tasks. Resumable: rerun the same command to continue.`,
  options: {
    scale: {
      type: 'string',
      choices: GEN_SCALES,
      default: 'cpu',
      description: 'experiment size (tiny: seconds; cpu: <= 3 h on 2 cores via SwiftShader; gpu)',
    },
    out: { type: 'string', value: 'DIR', default: 'results/generalisation', description: 'output directory' },
    only: {
      type: 'string',
      value: 'CELL',
      multiple: true,
      description: 'run only cells whose id starts with CELL (e.g. lstm, vsml-r1.ga)',
    },
    report: { type: 'boolean', description: 'only rewrite the table and charts from the finished cells' },
    'max-generations': {
      type: 'string',
      value: 'N',
      description: 'stop each cell after N generations this session (it resumes later)',
    },
    quiet: { type: 'boolean', description: 'no progress output' },
  },
});

export interface ExperimentOptions {
  scale: GenScale;
  out: string;
  only?: string[];
  maxGenerations?: number;
  quiet?: boolean;
  gpu?: GpuContext;
}

/** Finished cells under `out` (their result.json files). */
export function finishedResults(out: string): CellResult[] {
  const dir = join(out, 'cells');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((id) => existsSync(join(dir, id, 'result.json')))
    .map((id) => JSON.parse(readFileSync(join(dir, id, 'result.json'), 'utf8')) as CellResult);
}

/** Rewrite the table, results.json and charts from what is finished; returns the table. */
export function writeReport(out: string): string {
  const results = finishedResults(out);
  const meta = existsSync(join(out, 'experiment.json'))
    ? JSON.parse(readFileSync(join(out, 'experiment.json'), 'utf8'))
    : {};
  const progress: string[] = [];
  const cellsDir = join(out, 'cells');
  if (existsSync(cellsDir)) {
    for (const id of readdirSync(cellsDir).sort()) {
      if (existsSync(join(cellsDir, id, 'result.json'))) continue;
      const metrics = join(cellsDir, id, 'metrics.jsonl');
      const lines = existsSync(metrics) ? readFileSync(metrics, 'utf8').split('\n').filter(Boolean) : [];
      // The last generation's population on its own (train-split) tasks: what training shows so far.
      const last = lines.length ? (JSON.parse(lines[lines.length - 1]) as GenerationMetrics) : undefined;
      const acc = last
        ? `; last generation's population: mean query accuracy ${pct(last.queryAccuracy.mean)}%, best ${pct(last.queryAccuracy.best)}% (train-split tasks)`
        : '';
      progress.push(`- ${id}: ${lines.length} generations run, not finished${acc}`);
    }
  }
  const table = resultsTable(results);
  const text = [
    '# Generalisation experiment (issue 21)',
    '',
    `Scale ${meta.scale ?? '?'}; command \`npm run experiment:generalisation -- --scale ${meta.scale ?? 'cpu'}\`; machine: ${meta.machine ?? '?'}; adapter: ${results[0]?.adapter ?? meta.adapter ?? '?'}.`,
    'Accuracies: mean query accuracy over the meta-test tasks at the training episode length (2-way: chance 50%).',
    '',
    table,
    '',
    ...(progress.length ? ['Unfinished cells:', '', ...progress, ''] : []),
  ].join('\n');
  writeFileAtomic(join(out, 'table.md'), text);
  writeFileAtomic(join(out, 'results.json'), `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  if (results.length) {
    writeFileAtomic(join(out, 'accuracy-vs-size.svg'), sizeChartSvg(results));
    for (const t of results[0].metaTest)
      writeFileAtomic(join(out, `curves-${t.set}.svg`), curveChartSvg(results, t.set));
  }
  return text;
}

/** Run (or continue) the grid; returns the cells finished by the end. */
export async function runExperiment(opts: ExperimentOptions): Promise<CellResult[]> {
  const { out, scale } = opts;
  const say = (s: string) => !opts.quiet && console.error(s);
  mkdirSync(out, { recursive: true });
  const metaPath = join(out, 'experiment.json');
  if (existsSync(metaPath)) {
    const prev = JSON.parse(readFileSync(metaPath, 'utf8')) as { scale: string };
    if (prev.scale !== scale)
      throw new Error(`${out} holds a --scale ${prev.scale} experiment; use that scale or another --out`);
  }
  const gpu = opts.gpu ?? (await acquireGpu());
  try {
    if (!existsSync(metaPath))
      writeFileAtomic(
        metaPath,
        `${JSON.stringify({ scale, startedAt: new Date().toISOString(), machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`, adapter: gpu.describe() }, null, 2)}\n`,
      );
    const data = await experimentData(join(out, 'data'), SCALES[scale].trainSubset);
    const cells = gridCells(scale, data.dataDir).filter(
      (c) => !opts.only?.length || opts.only.some((p) => c.id.startsWith(p)),
    );
    if (!cells.length)
      throw new UsageError(
        '--only',
        `matches no cell (ids: ${gridCells(scale, data.dataDir)
          .map((c) => c.id)
          .join(', ')})`,
      );
    for (const cell of cells) {
      const dir = join(out, 'cells', cell.id);
      if (existsSync(join(dir, 'result.json'))) {
        say(`${cell.id}: finished, skipped`);
        continue;
      }
      const ckpt = join(dir, 'checkpoint.json');
      const common = { gpu, quiet: opts.quiet, heldOut: false, maxGenerationsThisSession: opts.maxGenerations };
      say(`${cell.id}: ${existsSync(ckpt) ? 'resuming' : 'starting'}`);
      const r = existsSync(ckpt)
        ? await runTraining({ ...common, resume: ckpt })
        : await runTraining({ ...common, config: cell.config, out: dir });
      if (r.outcome !== 'completed') {
        say(`${cell.id}: stopped at generation ${r.generation} (rerun to continue)`);
        continue;
      }
      const c = loadCheckpointFile(r.checkpointPath);
      say(`${cell.id}: meta-testing`);
      const result = await metaTestCell(gpu, cell, scale, c.metaParams, data, c.elapsedMs);
      writeFileAtomic(join(dir, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
      writeReport(out);
      say(
        `${cell.id}: meta-train ${(100 * result.metaTrain.accuracy).toFixed(1)}%, meta-test ${result.metaTest.map((t) => `${t.set} ${(100 * t.accuracy).toFixed(1)}%`).join(', ')}`,
      );
    }
    writeReport(out);
    return finishedResults(out);
  } finally {
    if (!opts.gpu) gpu.destroy();
  }
}

async function main(): Promise<number> {
  const { values } = cliArgs(EXPERIMENT_COMMAND);
  const out = values.out;
  if (values.report) {
    console.log(writeReport(out));
    return 0;
  }
  let maxGenerations: number | undefined;
  if (values['max-generations'] !== undefined) {
    maxGenerations = Number(values['max-generations']);
    if (!Number.isInteger(maxGenerations) || maxGenerations < 1)
      throw new UsageError('--max-generations', `must be a positive integer, got '${values['max-generations']}'`);
  }
  await runExperiment({ scale: values.scale as GenScale, out, only: values.only, maxGenerations, quiet: values.quiet });
  console.log(readFileSync(join(out, 'table.md'), 'utf8'));
  return 0;
}

if (/src[\\/]cli[\\/]experiment-generalisation\.ts$/.test(process.argv[1] ?? ''))
  runMain('experiment:generalisation', main);
