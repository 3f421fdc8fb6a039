/**
 * One measurement of the VSML inner loop on our kernels (VsmlPopulation): a warm-up episode that
 * compiles every pipeline the timed runs use, then `repeats` timed learning episodes of `steps`
 * steps and `repeats` timed query episodes of `queries` queries, each on a fresh population of
 * `learners` learners (one member each). Shared by `npm run bench:step` (src/cli/bench-step.ts)
 * and `npm run bench:speed` (src/bench/speed/). Wall clock from the first submission to the
 * metrics' readback (one episode = init + steps + one small readback).
 */
import type { GpuImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import type { VsmlCost } from '../spec/cost-model';
import { learnerSeeds } from '../inner/episodes';
import { type EpisodeBatch, VsmlPopulation } from '../inner/population';
import type { CellMapping } from '../meta/cell-mapping';
import { type VsmlConfig, initMetaParams, metaParamLayout } from '../spec/vsml-config';

export type WeightsOption = 'auto' | 'workgroup' | 'private' | 'storage';

export interface StepMeasureOptions {
  learners: number;
  /** Learning steps per timed episode (0: no learning episodes). */
  steps: number;
  /** Queries per timed episode (0: no query episodes). */
  queries: number;
  /** Timed episodes of each kind (default 1). */
  repeats?: number;
  weights?: WeightsOption;
  /**
   * The private-weights input layer's mapping (default 'auto': the planner's for the adapter,
   * cellColumnsFor). Both give the same bits; on lavapipe each column kernel builds for 10-19 s
   * the first time.
   */
  mapping?: CellMapping;
  /** Column mapping: copy the weights by a loop (LayerPlan.weightLoop); default: columnWeightLoopFor. */
  weightLoop?: boolean;
  /** Column mapping, learning steps: cells per thread side by side (LayerPlan.cellBlock); default: columnCellBlockFor. */
  cellBlock?: number;
  train: GpuImageSplit;
  test: GpuImageSplit;
  /** Also time the shortest episodes (learnBaseSeconds, queryBaseSeconds; see file comment). */
  baseline?: boolean;
}

export interface StepMeasurement {
  learners: number;
  steps: number;
  queries: number;
  plan: string;
  queryBatch: number;
  cost: VsmlCost;
  warmupSeconds: number;
  warmupQueries: number;
  /** Seconds of each timed learning episode. */
  learnSeconds: number[];
  /** Seconds of each timed query episode. */
  querySeconds: number[];
  /** With `baseline`: seconds of each 1-step learning episode ([] otherwise). */
  learnBaseSeconds: number[];
  /** With `baseline` and queries > one batch: seconds of each one-batch query episode ([] otherwise). */
  queryBaseSeconds: number[];
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Meta-parameters of `members` members (member m from seed 1000 + m), as bench:step has always used. */
export function benchParams(config: VsmlConfig, members: number): Float32Array {
  const D = metaParamLayout(config).size;
  const params = new Float32Array(members * D);
  for (let m = 0; m < members; m++) params.set(initMetaParams(config, 1000 + m), m * D);
  return params;
}

/** The bench episodes' batch: fixed spread-out example indices, learner seeds from seed 7. */
export function benchBatch(
  train: GpuImageSplit,
  test: GpuImageSplit,
  learners: number,
  learnLength: number,
  queryLength: number,
): EpisodeBatch {
  const { stateSeeds, projectionSeeds } = learnerSeeds(7, learners);
  return {
    learnSplit: train,
    querySplit: test,
    learnLength,
    queryLength,
    learnIndices: Uint32Array.from({ length: learners * learnLength }, (_, i) => (i * 7919) % train.count),
    queryIndices: Uint32Array.from({ length: learners * queryLength }, (_, i) => (i * 104729) % test.count),
    stateSeeds,
    projectionSeeds,
  };
}

export async function measureStepSpeed(
  gpu: GpuContext,
  config: VsmlConfig,
  o: StepMeasureOptions,
): Promise<StepMeasurement> {
  const { learners, steps, queries, train, test } = o;
  const repeats = Math.max(1, o.repeats ?? 1);
  const mapping = o.mapping ?? 'auto';
  const popOptions = {
    weights: o.weights ?? 'auto',
    ...(mapping === 'auto' ? {} : { columns: mapping === 'columns' }),
    ...(o.weightLoop === undefined ? {} : { weightLoop: o.weightLoop }),
    ...(o.cellBlock === undefined ? {} : { cellBlock: o.cellBlock }),
  };
  const members = learners;
  const paramBuf = gpu.storage('bench params', benchParams(config, members));
  const batchFor = (learnLength: number, queryLength: number) =>
    benchBatch(train, test, learners, learnLength, queryLength);
  const shape = (l: number, q: number) => ({ members, tasksPerMember: 1, learnLength: l, queryLength: q });
  let queryPop: VsmlPopulation | null = null;
  try {
    // Warm-up: compiles every pipeline the timed runs use. The query batch size is part of the
    // query kernels, so the warm-up has as many queries as one batch of the timed query episode.
    queryPop = queries > 0 ? VsmlPopulation.create(gpu, config, shape(1, queries), popOptions) : null;
    const t0 = performance.now();
    const warmupQueries = queryPop ? queryPop.plan.queryBatch : 1;
    const warm = VsmlPopulation.create(gpu, config, shape(2, warmupQueries), popOptions);
    await warm.runEpisodes(paramBuf, batchFor(2, warmupQueries));
    warm.destroy();
    const warmupSeconds = (performance.now() - t0) / 1000;

    const learnSeconds: number[] = [];
    const querySeconds: number[] = [];
    let plan = '';
    let cost: VsmlCost | null = null;
    let queryBatch = warm.plan.queryBatch;
    const learnBaseSeconds: number[] = [];
    const queryBaseSeconds: number[] = [];
    const time = async (pop: VsmlPopulation, batch: EpisodeBatch, into: number[]) => {
      const t = performance.now();
      await pop.runEpisodes(paramBuf, batch);
      into.push((performance.now() - t) / 1000);
    };
    // `repeats` timed episodes of `pop`, each followed by one of the baseline `base` (warmed up first).
    const timeWithBase = async (
      pop: VsmlPopulation,
      batch: EpisodeBatch,
      into: number[],
      base: VsmlPopulation | null,
      baseBatch: EpisodeBatch,
      baseInto: number[],
    ) => {
      if (base) await base.runEpisodes(paramBuf, baseBatch);
      for (let r = 0; r < repeats; r++) {
        await time(pop, batch, into);
        if (base) await time(base, baseBatch, baseInto);
      }
    };
    if (steps > 0) {
      const learnPop = VsmlPopulation.create(gpu, config, shape(steps, 0), popOptions);
      const basePop = o.baseline && steps > 1 ? VsmlPopulation.create(gpu, config, shape(1, 0), popOptions) : null;
      plan = learnPop.describe();
      cost = learnPop.cost;
      try {
        await timeWithBase(learnPop, batchFor(steps, 0), learnSeconds, basePop, batchFor(1, 0), learnBaseSeconds);
      } finally {
        learnPop.destroy();
        basePop?.destroy();
      }
    }
    if (queryPop) {
      if (queryPop.plan.queryBatch !== warm.plan.queryBatch) throw new Error('warm-up and timed query batch differ');
      queryBatch = queryPop.plan.queryBatch;
      plan ||= queryPop.describe();
      cost ??= queryPop.cost;
      const basePop =
        o.baseline && queries > queryBatch
          ? VsmlPopulation.create(gpu, config, shape(1, queryBatch), popOptions)
          : null;
      try {
        await timeWithBase(
          queryPop,
          batchFor(1, queries),
          querySeconds,
          basePop,
          batchFor(1, queryBatch),
          queryBaseSeconds,
        );
      } finally {
        basePop?.destroy();
      }
    }
    return {
      learners,
      steps,
      queries,
      plan,
      queryBatch,
      cost: cost ?? warm.cost,
      warmupSeconds,
      warmupQueries,
      learnSeconds,
      querySeconds,
      learnBaseSeconds,
      queryBaseSeconds,
    };
  } finally {
    queryPop?.destroy();
    paramBuf.destroy();
  }
}
