/**
 * Node driver of a training run: GPU, dataset (train split only), trainer, metrics file,
 * checkpoints, Ctrl-C and device loss. Used by `npm run train` and `npm start`.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { subsetSplit } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import { acquireGpu } from '../gpu/acquire';
import type { GpuContext } from '../gpu/context';
import { GpuDeviceLostError } from '../gpu/errors';
import { describeLearnerOf, learnerParamCount } from '../meta/learner-kind';
import { initialMetaParams } from '../meta/init-params';
import { timestampedRunDir } from './common';
import { TRAINING_CTRL_C, onInterrupt } from './interrupt';
import { ProgressBar, formatDuration, formatRate } from './progress';
import type { Checkpoint } from '../meta/checkpoint';
import type { Evaluator } from '../meta/evaluator';
import type { CellMapping, CompileRecord } from '../meta/cell-mapping';
import type { TrainConfig } from '../meta/train-config';
import { type GenerationMetrics, Trainer, trainLoop } from '../meta/trainer';
import { type HeldOutResult, evaluateHeldOut } from '../meta/held-out';
import { trainingChartSvg } from '../meta/training-chart';
import { MetricsLog, loadCheckpointFile, readMetrics, saveCheckpointFile, writeFileAtomic } from '../meta/node/io';

/** Tasks of the closing held-out comparison (their own seed: never the run's training tasks). */
export const HELD_OUT = { tasks: 64, seed: 0xe7a1 };

export interface RunOptions {
  /** A fresh run's config (ignored with `resume`). */
  config?: TrainConfig;
  /** Checkpoint file to continue from. */
  resume?: string;
  /** With `resume`: a new total number of generations. */
  generations?: number;
  /** Output directory (fresh runs). With `resume`: the checkpoint's directory. */
  out?: string;
  quiet?: boolean;
  /** Use this GPU (tests) instead of acquiring one; it is not destroyed at the end. */
  gpu?: GpuContext;
  /** Stop after this many generations in this session (tests of interrupt/resume). */
  maxGenerationsThisSession?: number;
  /** Install a SIGINT handler (CLI). */
  handleSignals?: boolean;
  /** Replace the VSML evaluator (tests of the file layer with a cheap objective). */
  evaluator?: (gpu: GpuContext) => Evaluator;
  /**
   * At the end of a completed run, compare the initial and the evolved parameters on HELD_OUT
   * tasks (default on for the VSML evaluator; off with a replaced evaluator).
   */
  heldOut?: boolean;
  /** The VSML input layer's cell mapping (default 'auto': src/meta/cell-mapping.ts). */
  mapping?: CellMapping;
  /** Column kernels built on this machine before (the CLI: the file record; default: this run's only). */
  compileRecord?: CompileRecord;
}

export interface RunResult {
  outcome: 'completed' | 'stopped';
  generation: number;
  checkpointPath: string;
  metricsPath: string;
  outDir: string;
  last?: GenerationMetrics;
  wallMs: number;
  /** fitness.svg beside the metrics: the run's curves so far. */
  chartPath: string;
  /** Initial vs evolved parameters on HELD_OUT tasks (completed VSML runs). */
  heldOut?: { initial: HeldOutResult; evolved: HeldOutResult };
}

export async function runTraining(opts: RunOptions): Promise<RunResult> {
  let ckpt: Checkpoint | undefined;
  let outDir: string;
  if (opts.resume) {
    ckpt = loadCheckpointFile(opts.resume);
    outDir = opts.out ?? resolve(opts.resume, '..');
  } else {
    if (!opts.config) throw new Error('runTraining: a config or a checkpoint to resume is needed');
    outDir = opts.out ?? timestampedRunDir('train');
    if (existsSync(join(outDir, 'checkpoint.json'))) {
      throw new Error(
        `${outDir} already holds a run; continue it with --resume ${join(outDir, 'checkpoint.json')} or choose another --out`,
      );
    }
  }
  const config = ckpt ? { ...ckpt.config, generations: opts.generations ?? ckpt.config.generations } : opts.config!;
  const checkpointPath = join(outDir, 'checkpoint.json');
  const metricsPath = join(outDir, 'metrics.jsonl');
  const chartPath = join(outDir, 'fitness.svg');
  // Every generation's metrics of this run (earlier sessions too), for the chart: read once, then appended.
  let history: GenerationMetrics[] = [];
  const writeChart = () => {
    if (history.length)
      writeFileAtomic(chartPath, trainingChartSvg(history, `${config.strategy.kind}, ${describeLearnerOf(config)}`));
  };
  const say = (s: string) => !opts.quiet && console.error(s);

  const ds = await loadDataset(config.dataset);
  const train = config.trainSubset > 0 ? subsetSplit(ds.train, config.trainSubset) : ds.train;
  const gpu = opts.gpu ?? (await acquireGpu());
  let trainer: Trainer | undefined;
  let metrics: MetricsLog | undefined;
  const interrupt = opts.handleSignals ? onInterrupt(TRAINING_CTRL_C) : undefined;
  const wallStart = performance.now();
  const bar = new ProgressBar({ total: config.generations, startGeneration: ckpt?.generation ?? 0, quiet: opts.quiet });
  let last: GenerationMetrics | undefined;
  try {
    const evaluator = opts.evaluator?.(gpu);
    const evaluatorOptions = {
      mapping: opts.mapping,
      compileRecord: opts.compileRecord,
      onNote: (l: string) => !opts.quiet && bar.log(l),
    };
    trainer = ckpt
      ? Trainer.resume(gpu, ckpt, train, { generations: config.generations, evaluator, evaluatorOptions })
      : Trainer.create(gpu, config, train, { evaluator, evaluatorOptions });
    const sessionStart = trainer.generation;
    say(`adapter: ${gpu.describe()}`);
    say(
      `learner: ${describeLearnerOf(config)}, ${learnerParamCount(config)} meta-parameters; ` +
        `strategy ${config.strategy.kind}; dataset ${train.name} (${train.count} train examples; the test split is never read)`,
    );
    say(`${ckpt ? `resuming at generation ${trainer.generation}` : 'starting'}; output in ${outDir}`);
    if (!ckpt) writeFileAtomic(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    metrics = new MetricsLog(metricsPath, ckpt ? ckpt.generation : undefined);
    history = readMetrics<GenerationMetrics>(metricsPath);
    const outcome = await trainLoop(trainer, {
      onGeneration: (m) => {
        last = m;
        metrics!.append(m);
        history.push(m);
        for (const v of m.validation ?? []) {
          const best = trainer!.bestParams;
          bar.log(
            `validation after ${v.generation} generations (${config.validation.classes}-way, train split): ` +
              v.perClass.map((n, i) => `${n}/class ${(100 * v.accuracy[i]).toFixed(1)}%`).join(', ') +
              (best ? `; best ${(100 * best.score).toFixed(1)}% (generation ${best.generation})` : ''),
          );
        }
        bar.update(m);
      },
      saveCheckpoint: (c) => {
        saveCheckpointFile(checkpointPath, c);
        writeChart();
      },
      shouldStop: () =>
        Boolean(interrupt?.stopRequested) ||
        (opts.maxGenerationsThisSession !== undefined &&
          trainer!.generation - sessionStart >= opts.maxGenerationsThisSession),
    });
    bar.end();
    metrics.close();
    writeChart();
    let heldOut: RunResult['heldOut'];
    if (outcome === 'completed' && (opts.heldOut ?? !opts.evaluator)) {
      say(`held-out check: initial vs evolved parameters on ${HELD_OUT.tasks} fresh tasks (train split)...`);
      const initial = await evaluateHeldOut(gpu, config, train, initialMetaParams(config), HELD_OUT);
      const evolved = await evaluateHeldOut(gpu, config, train, trainer.metaParams(), HELD_OUT);
      heldOut = { initial, evolved };
      writeFileAtomic(
        join(outDir, 'held-out.json'),
        `${JSON.stringify({ ...HELD_OUT, generation: trainer.generation, initial, evolved }, null, 2)}\n`,
      );
    }
    return {
      outcome,
      generation: trainer.generation,
      checkpointPath,
      metricsPath,
      outDir,
      last,
      wallMs: performance.now() - wallStart,
      chartPath,
      heldOut,
    };
  } catch (e) {
    bar.end();
    if (e instanceof GpuDeviceLostError && trainer) {
      // The strategy state only advances after a whole generation, so it is consistent: save it.
      try {
        saveCheckpointFile(checkpointPath, trainer.checkpoint());
      } catch {
        /* keep the previous checkpoint */
      }
      throw new GpuDeviceLostError(
        e.reason,
        `${e.message}\nTraining stopped at generation ${trainer.generation}; the checkpoint ${checkpointPath} is complete. ` +
          `Continue with: npm run train -- --resume ${checkpointPath}`,
      );
    }
    throw e;
  } finally {
    interrupt?.dispose();
    metrics?.close();
    trainer?.destroy();
    if (!opts.gpu) gpu.destroy();
  }
}

/** The closing summary: where things are and what to run next. */
export function summary(r: RunResult, config: TrainConfig): string {
  const m = r.last;
  const lines = [
    r.outcome === 'completed'
      ? `Finished ${r.generation} generations in ${formatDuration(r.wallMs)} (this session).`
      : `Stopped at generation ${r.generation} of ${config.generations} after ${formatDuration(r.wallMs)}.`,
  ];
  if (m) {
    lines.push(
      `  last generation: fitness (${m.fitnessKind}) best ${m.fitness.best.toFixed(4)} mean ${m.fitness.mean.toFixed(4)} median ${m.fitness.median.toFixed(4)}` +
        (m.centre ? `; ${m.centre.role} query accuracy ${m.centre.queryAccuracy.toFixed(4)}` : '') +
        `; ${formatRate(m.stepsPerSecond)} learner steps/s`,
    );
  }
  if (r.heldOut) {
    const { initial: a, evolved: b } = r.heldOut;
    lines.push(
      `  held-out tasks (${a.tasks}, train split): query accuracy ${a.queryAccuracy.toFixed(3)} -> ${b.queryAccuracy.toFixed(3)}, ` +
        `query cross-entropy ${a.queryCrossEntropy.toFixed(3)} -> ${b.queryCrossEntropy.toFixed(3)} (initial -> evolved)`,
    );
  }
  lines.push(
    `  checkpoint: ${r.checkpointPath}`,
    `  metrics:    ${r.metricsPath} (one JSON object per generation)`,
    `  chart:      ${r.chartPath}`,
  );
  if (r.outcome === 'stopped') lines.push(`Continue with: npm run train -- --resume ${r.checkpointPath}`);
  // The black-box LSTM has its own scoreboard method (src/bench/lstm-adapter.ts).
  lines.push(
    config.learnerKind === 'lstm'
      ? `Evaluate on OrderedMNIST: npm run bench:ordered -- --methods lstm:checkpoint=${r.checkpointPath}`
      : `Evaluate on OrderedMNIST: npm run bench:ordered -- --checkpoint ${r.checkpointPath}`,
  );
  return lines.join('\n');
}
