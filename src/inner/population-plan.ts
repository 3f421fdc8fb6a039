/**
 * Planning of a VsmlPopulation for one GPU context: which cell path (weight source), tiles,
 * groups and slabs (src/spec/plan.ts, pure), and how many steps go into one submission. Nothing
 * here touches the GPU beyond reading the context's limits and adapter kind.
 */
import { maxBindingBytes } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { type VsmlCost, vsmlCost } from '../spec/cost-model';
import { type CellKernelOptions, type PopulationPlan, type WeightSource, planPopulation } from '../spec/plan';
import { type VsmlConfig, metaParamLayout } from '../spec/vsml-config';

export interface PopulationShape {
  members: number;
  tasksPerMember: number;
  learnLength: number;
  queryLength: number;
}

export interface PopulationOptions {
  /** Queries per learner answered by one query step (default: at most 16, balanced over the queries; lowered to fit limits). */
  queryBatch?: number;
  /** Learning steps per submission; default from the cost model (see submitSeconds). */
  stepsPerSubmit?: number;
  /** Target seconds of GPU work per submission (browsers kill long ones). Default 0.25. */
  submitSeconds?: number;
  /** Throughput assumed when sizing submissions. Default 3e9 on a fallback adapter, 3e11 otherwise. */
  assumedFlopsPerSecond?: number;
  /** Submissions queued ahead before waiting for the oldest (default 2). */
  maxInFlight?: number;
  /** Tests: fill every internal buffer with a NaN pattern at creation, so reads of unwritten data show. */
  poison?: boolean;
  /** Where cell kernels read the recurrent matrices (default 'auto': private on software adapters, else workgroup). */
  weights?: 'auto' | WeightSource;
  /** Private weights path: one thread per output column for input layers (default: cellColumnsFor the adapter); false forces the row mapping. */
  columns?: boolean;
  /** Private weights path, row mapping: query batches reuse each cell's first-tick product (default: rowReuseFor the adapter). */
  rowReuse?: boolean;
  /** Column mapping: fill the private weights with a loop (default: columnWeightLoopFor the adapter and cell). */
  weightLoop?: boolean;
  /** Column mapping, learning steps: cells stepped side by side per thread (default: columnCellBlockFor the adapter). */
  cellBlock?: number;
}

export const MAX_STEPS_PER_SUBMIT = 1024;

/**
 * The private-weights input layer's mapping for an adapter kind. SwiftShader (and anything not
 * known to differ) keeps the column mapping, its fastest to run and the mapping its results were
 * recorded with. lavapipe gets the row mapping: there each column kernel variant takes 10-19 s to
 * build at its first dispatch on an idle 2-core machine (minutes under load), against about a
 * second for rows, though it then runs `ordered` episodes 2.2-3x faster (docs/perf.md, "Columns
 * on lavapipe for long runs"). Meta-training chooses per run instead (src/meta/cell-mapping.ts).
 */
export function cellColumnsFor(source: GpuContext['report']['source']): boolean {
  return source !== 'lavapipe';
}

/**
 * Whether the row mapping's query batches step a cell's examples together, reusing the first
 * tick's recurrent product (LayerPlan.reuse): on lavapipe, where rows are the input layer's mapping
 * and the reuse measurably pays (docs/perf.md, "Row mapping on lavapipe"). Elsewhere rows only run
 * the deeper layers of stacked configs, whose SwiftShader results stay as recorded.
 */
export function rowReuseFor(source: GpuContext['report']['source']): boolean {
  return source === 'lavapipe';
}

/**
 * Whether the column mapping fills its private weights with a loop (LayerPlan.weightLoop): on
 * lavapipe for H >= 16, where the per-vec4 copy made llvmpipe build each kernel for minutes (the
 * default 784 -> 10, H 16 cell: 367-394 s for two kernels, 75-80 s with the loop; docs/perf.md).
 * The loop costs about 25% of the H 16 learning step there (query batches about the same), which
 * a 5x shorter build per kernel variant outweighs on a CPU. For H 8 the build is short either way
 * and the loop ran learning steps 7-22% slower on lavapipe, and slower on SwiftShader: copy.
 */
export function columnWeightLoopFor(source: GpuContext['report']['source'], hidden: number): boolean {
  return source === 'lavapipe' && hidden >= 16;
}

/**
 * Cells a column-mapped learning step steps side by side per thread (LayerPlan.cellBlock): 2 on
 * lavapipe, where sharing each weight load between two cells ran the default cell's learning
 * steps 3-14% faster in alternated pairs (docs/perf.md); 1 elsewhere.
 */
export function columnCellBlockFor(source: GpuContext['report']['source']): number {
  return source === 'lavapipe' ? 2 : 1;
}

export interface RunPlan {
  learners: number;
  plan: PopulationPlan;
  cost: VsmlCost;
  /** Floats per member in the meta-parameter buffer. */
  paramsPerMember: number;
  /** Learning steps, and query steps (of plan.queryBatch queries each), per submission. */
  stepsPerSubmit: number;
  queryStepsPerSubmit: number;
}

export function validateShape(shape: PopulationShape): void {
  for (const k of ['members', 'tasksPerMember'] as const) {
    if (!Number.isInteger(shape[k]) || shape[k] < 1)
      throw new Error(`population shape: ${k} must be a positive integer, got ${shape[k]}`);
  }
  for (const k of ['learnLength', 'queryLength'] as const) {
    if (!Number.isInteger(shape[k]) || shape[k] < 0)
      throw new Error(`population shape: ${k} must be a non-negative integer, got ${shape[k]}`);
  }
}

/** Plan a population of `shape` on `gpu`: tiles, groups, slabs and submission sizes. */
export function planRun(gpu: GpuContext, config: VsmlConfig, shape: PopulationShape, opts: PopulationOptions): RunPlan {
  validateShape(shape);
  const learners = shape.members * shape.tasksPerMember;
  const cost = vsmlCost(config);
  const paramsPerMember = metaParamLayout(config).size;
  const rate = opts.assumedFlopsPerSecond ?? (gpu.report.isFallback ? 3e9 : 3e11);
  const budget = (opts.submitSeconds ?? 0.25) * rate;
  // Default query batch: at most 16, balanced so the last batch is not mostly padding (100 queries:
  // 7 batches of 15, not 6 of 16 and one of 4). Queries are independent and the readout sums them
  // in order, so the batch size does not change any result.
  const Q = Math.max(1, shape.queryLength);
  const E0 = opts.queryBatch !== undefined ? Math.max(1, opts.queryBatch) : Math.ceil(Q / Math.ceil(Q / 16));
  const autoSteps = Math.floor(budget / (learners * cost.flopsPerLearnExample));
  const S = Math.max(
    1,
    Math.min(MAX_STEPS_PER_SUBMIT, opts.stepsPerSubmit ?? autoSteps, Math.max(1, shape.learnLength)),
  );
  const soft = gpu.report.isFallback;
  const cell: CellKernelOptions = {
    weights: !opts.weights || opts.weights === 'auto' ? (soft ? 'private' : 'workgroup') : opts.weights,
    columns: opts.columns ?? cellColumnsFor(gpu.report.source),
    reuse: opts.rowReuse ?? rowReuseFor(gpu.report.source),
    weightLoop: opts.weightLoop ?? columnWeightLoopFor(gpu.report.source, config.hidden),
    cellBlock: opts.cellBlock ?? columnCellBlockFor(gpu.report.source),
  };
  const plan = planPopulation(
    config,
    learners,
    {
      maxBinding: maxBindingBytes(gpu),
      maxSharedBytes: gpu.limits.maxComputeWorkgroupStorageSize,
      maxWorkgroupsPerDimension: gpu.limits.maxComputeWorkgroupsPerDimension,
    },
    {
      queryBatch: Math.min(E0, Math.max(1, shape.queryLength)),
      stepsPerSubmit: Math.max(S, E0),
      queryLength: shape.queryLength,
      cell,
    },
  );
  const E = plan.queryBatch;
  const autoQuery = Math.floor(budget / (learners * E * cost.flopsPerQueryExample));
  return {
    learners,
    plan,
    cost,
    paramsPerMember,
    stepsPerSubmit: S,
    queryStepsPerSubmit: Math.max(1, Math.min(autoQuery, Math.floor(Math.max(S, E0) / E), MAX_STEPS_PER_SUBMIT)),
  };
}
