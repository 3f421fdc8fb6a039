/**
 * Evaluates a population of meta-parameter vectors on one generation's tasks: builds the members'
 * parameters on the GPU from their noise recipes (chunk by chunk, within the device limits), runs
 * every member on the generation's T tasks with VsmlPopulation, and turns the episode metrics into
 * per-member fitness. Runtime-agnostic (no Node imports).
 */
import type { ImageSplit } from '../data/dataset';
import { type GpuImageSplit, uploadImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { type EpisodeMetrics, VsmlPopulation } from '../inner/population';
import { numClasses } from '../spec/vsml-config';
import { LstmPopulation } from '../inner/lstm-population';
import { learnerParamCount, learnerStateBytesOf, lstmOf } from './learner-kind';
import { GpuPopulation, maxMembersPerBuffer } from '../kernels/noise-population';
import type { PopulationSpec } from '../rng/noise';
import { TaskSampler, episodeArrays, episodeSplit } from './tasks';
import {
  columnBuildSeconds,
  type CellMapping,
  type CompileRecord,
  columnsPay,
  compileRecordKey,
  memoryCompileRecord,
} from './cell-mapping';
import type { FitnessKind, TrainConfig } from './train-config';

/** Per-member metrics, each the mean over the member's T tasks. */
export interface MemberMetrics {
  queryAccuracy: Float64Array;
  /** Mean query cross-entropy per example (natural log; lower is better). */
  queryCrossEntropy: Float64Array;
  /** Mean online cross-entropy per learning example (prediction made before the label). */
  onlineCrossEntropy: Float64Array;
  onlineAccuracy: Float64Array;
}

export interface GenerationEval {
  /** Higher is better; NaN for a member whose cross-entropies were not finite (a failed rollout). */
  fitness: Float64Array;
  metrics: MemberMetrics;
  /** Learner example steps run (members x tasks x (learn + query)). */
  learnerSteps: number;
  timeMs: { tasks: number; build: number; episodes: number };
}

export interface EvaluatorOptions {
  /** The VSML input layer's cell mapping (src/meta/cell-mapping.ts); default 'auto'. */
  mapping?: CellMapping;
  /** Column kernels this machine has built before (default: only those this evaluator built). */
  compileRecord?: CompileRecord;
  /** One line when the mapping changes (the CLI prints it). */
  onNote?: (line: string) => void;
}

export interface Evaluator {
  evaluate(spec: PopulationSpec, generation: number): Promise<GenerationEval>;
  destroy(): void;
}

/** Members per GPU batch: the configured value, or as many as one binding and the state budget allow. */
export function chunkMembers(gpu: GpuContext, config: TrainConfig, populationSize: number): number {
  if (config.chunkMembers > 0) return Math.min(config.chunkMembers, populationSize);
  const dim = learnerParamCount(config);
  const perMember = config.tasks.tasksPerMember * learnerStateBytesOf(config);
  const byBudget = Math.max(1, Math.floor((config.stateBudgetMiB * 2 ** 20) / perMember));
  return Math.max(1, Math.min(populationSize, maxMembersPerBuffer(gpu, dim), byBudget));
}

export function memberFitness(kind: FitnessKind, m: MemberMetrics, i: number): number {
  if (!Number.isFinite(m.queryCrossEntropy[i]) || !Number.isFinite(m.onlineCrossEntropy[i])) return NaN;
  if (kind === 'query-accuracy') return m.queryAccuracy[i];
  if (kind === 'query-cross-entropy') return -m.queryCrossEntropy[i];
  return -m.onlineCrossEntropy[i];
}

const now = () => performance.now();

/** Evaluates either learner kind (config.learnerKind): VsmlPopulation or LstmPopulation, same tasks and metrics. */
export class VsmlEvaluator implements Evaluator {
  private readonly sampler: TaskSampler;
  private readonly populations = new Map<number, VsmlPopulation | LstmPopulation>();
  private populationsLength = -1;
  private readonly dim: number;
  /** LayerPlan.columns for new populations: undefined leaves it to the planner (cellColumnsFor). */
  private columns: boolean | undefined;
  /** lavapipe, 'auto': still on rows, and each generation asks whether columns pay (cell-mapping.ts). */
  private deciding: boolean;
  /** lavapipe: column kernels are recorded once built (the first generation that runs them). */
  private recording: boolean;
  private readonly record: CompileRecord;
  /** Seconds of the last warm rows generation's episodes (not the first evaluated: it builds kernels). */
  private rowsSeconds = 0;
  private evaluated = 0;

  constructor(
    private readonly gpu: GpuContext,
    readonly config: TrainConfig,
    /** The TRAIN split (never the test split): tasks sample learn and query examples from disjoint parts of it. */
    train: ImageSplit,
    private readonly opts: EvaluatorOptions = {},
  ) {
    const pixels = config.tasks.pixelSubset > 0 ? config.tasks.pixelSubset : train.rows * train.cols;
    if (pixels !== config.learner.inputSize) {
      const what =
        config.tasks.pixelSubset > 0
          ? `tasks show ${pixels} pixels (tasks.pixelSubset)`
          : `${train.name} images have ${pixels} pixels`;
      throw new Error(`learner.inputSize is ${config.learner.inputSize} but ${what}`);
    }
    this.sampler = new TaskSampler(train, config.tasks, numClasses(config.learner), config.seed);
    this.dim = learnerParamCount(config);
    const mapping = opts.mapping ?? 'auto';
    this.record = opts.compileRecord ?? memoryCompileRecord();
    this.columns = mapping === 'auto' ? undefined : mapping === 'columns';
    this.recording = config.learnerKind === 'vsml' && gpu.report.source === 'lavapipe';
    this.deciding = mapping === 'auto' && this.recording;
    if (this.deciding) this.columns = false;
  }

  /** The input layer's mapping now: 'rows', 'columns', or 'planner' (the adapter's default). */
  get mapping(): 'rows' | 'columns' | 'planner' {
    return this.columns === undefined ? 'planner' : this.columns ? 'columns' : 'rows';
  }

  /**
   * lavapipe, 'auto': move to the column mapping when its kernels were built here before or the
   * run is long enough to pay for building them (columnsPay). Returns the record keys this
   * generation builds (recorded once it has run): on lavapipe, the first generation on columns.
   */
  private decideMapping(generation: number, chunkSizes: number[], learnLength: number): string[] {
    if (!this.recording || (!this.deciding && this.columns === false)) return [];
    const { tasksPerMember, queryLength } = this.config.tasks;
    const adapter = this.gpu.describe();
    const keys = [
      ...new Set(
        chunkSizes.flatMap((members) =>
          VsmlPopulation.columnKernels(this.gpu, this.config.learner, {
            members,
            tasksPerMember,
            learnLength,
            queryLength,
          }).map((k) => compileRecordKey(adapter, k.key, k.code)),
        ),
      ),
    ];
    if (keys.length === 0) {
      this.deciding = this.recording = false;
      return [];
    }
    const unbuilt = keys.filter((k) => !this.record.has(k));
    if (!this.deciding) {
      // --mapping columns: record what this generation builds, once.
      this.recording = false;
      return unbuilt;
    }
    const generationsLeft = this.config.generations - generation;
    const buildSeconds = columnBuildSeconds(this.config.learner.hidden);
    if (
      !columnsPay({ rowsGenerationSeconds: this.rowsSeconds, generationsLeft, unbuilt: unbuilt.length, buildSeconds })
    )
      return [];
    this.deciding = false;
    this.recording = false;
    this.columns = true;
    for (const p of this.populations.values()) p.destroy();
    this.populations.clear();
    this.opts.onNote?.(
      unbuilt.length === 0
        ? `cell mapping: columns from generation ${generation} (their kernels were built on this machine before)`
        : `cell mapping: columns from generation ${generation}: building ${unbuilt.length} column kernel(s) once ` +
            `(estimate ${unbuilt.length * buildSeconds} s; Mesa caches them), ` +
            `for ${generationsLeft} generations of about ${this.rowsSeconds.toFixed(2)} s on rows`,
    );
    return unbuilt;
  }

  private population(members: number, learnLength: number): VsmlPopulation | LstmPopulation {
    // A curriculum changes the episode length between generations: keep only the current length's buffers.
    if (learnLength !== this.populationsLength) {
      for (const p of this.populations.values()) p.destroy();
      this.populations.clear();
      this.populationsLength = learnLength;
    }
    let p = this.populations.get(members);
    if (!p) {
      const { tasksPerMember, queryLength } = this.config.tasks;
      const shape = { members, tasksPerMember, learnLength, queryLength };
      p =
        this.config.learnerKind === 'lstm'
          ? LstmPopulation.create(this.gpu, lstmOf(this.config), shape)
          : VsmlPopulation.create(this.gpu, this.config.learner, shape, { columns: this.columns });
      this.populations.set(members, p);
    }
    return p;
  }

  async evaluate(spec: PopulationSpec, generation: number): Promise<GenerationEval> {
    const { gpu, config } = this;
    if (spec.dim !== this.dim) throw new Error(`population has ${spec.dim} parameters, the learner needs ${this.dim}`);
    const T = config.tasks.tasksPerMember;
    const learnLength = this.sampler.learnLength(generation);
    const { queryLength } = config.tasks;
    const P = spec.members.length;
    const timeMs = { tasks: 0, build: 0, episodes: 0 };

    let t0 = now();
    const tasks = this.sampler.tasks(generation);
    const ep = episodeSplit(this.sampler.split, tasks, numClasses(config.learner));
    const gpuSplit: GpuImageSplit = uploadImageSplit(gpu, ep.split);
    timeMs.tasks += now() - t0;

    const metrics: MemberMetrics = {
      queryAccuracy: new Float64Array(P),
      queryCrossEntropy: new Float64Array(P),
      onlineCrossEntropy: new Float64Array(P),
      onlineAccuracy: new Float64Array(P),
    };
    const chunk = chunkMembers(gpu, config, P);
    const building = this.decideMapping(generation, P % chunk ? [chunk, P % chunk] : [chunk], learnLength);
    const onRows = this.columns === false;
    const pop = new GpuPopulation(gpu, spec);
    const params = gpu.storage('member params', chunk * this.dim * 4);
    const fixedProjection =
      config.learner.projection && !config.tasks.projectionPerTask ? config.learner.projectionSeed : null;
    try {
      for (let first = 0; first < P; first += chunk) {
        const count = Math.min(chunk, P - first);
        t0 = now();
        pop.build(first, count, params);
        await gpu.sync();
        timeMs.build += now() - t0;

        t0 = now();
        const arrays = episodeArrays(ep, tasks, count, fixedProjection);
        const result: EpisodeMetrics = await this.population(count, learnLength).runEpisodes(params, {
          learnSplit: gpuSplit,
          querySplit: gpuSplit,
          learnLength,
          queryLength,
          learnIndices: arrays.learnIndices,
          queryIndices: arrays.queryIndices,
          stateSeeds: arrays.stateSeeds,
          projectionSeeds: config.learner.projection ? arrays.projectionSeeds : undefined,
        });
        timeMs.episodes += now() - t0;
        for (let m = 0; m < count; m++) {
          let qa = 0;
          let qce = 0;
          let oce = 0;
          let oa = 0;
          for (let t = 0; t < T; t++) {
            const l = m * T + t;
            qa += result.queryCorrect[l] / queryLength;
            qce += result.queryCrossEntropy[l] / queryLength;
            oce += result.onlineCrossEntropy[l] / learnLength;
            oa += result.onlineCorrect[l] / learnLength;
          }
          metrics.queryAccuracy[first + m] = qa / T;
          metrics.queryCrossEntropy[first + m] = qce / T;
          metrics.onlineCrossEntropy[first + m] = oce / T;
          metrics.onlineAccuracy[first + m] = oa / T;
        }
      }
    } finally {
      params.destroy();
      pop.destroy();
      gpuSplit.destroy();
    }
    if (building.length > 0) this.record.add(building, timeMs.episodes / 1000);
    if (onRows && this.evaluated > 0) this.rowsSeconds = timeMs.episodes / 1000;
    this.evaluated++;
    const fitness = new Float64Array(P);
    for (let m = 0; m < P; m++) fitness[m] = memberFitness(config.fitness, metrics, m);
    return { fitness, metrics, learnerSteps: P * T * (learnLength + queryLength), timeMs };
  }

  destroy(): void {
    for (const p of this.populations.values()) p.destroy();
    this.populations.clear();
  }
}
