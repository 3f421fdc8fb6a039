/**
 * The trainer core: a generation loop of ask -> evaluate on the GPU -> tell, with metrics and
 * checkpoints. Runtime-agnostic (no Node imports) so it can run in a browser Web Worker; files,
 * signals and the terminal live in the Node layer (meta/node-io.ts, cli/train.ts).
 *
 * Determinism: tasks and noise are functions of (seed, generation), the strategy state is plain
 * data, and the state only advances when a generation has completed. So a checkpoint taken after
 * generation k and resumed gives the same bits as an uninterrupted run (on the same device).
 */
import type { ImageSplit } from '../data/dataset';
import type { GpuContext } from '../gpu/context';
import { learnerParamCount } from './learner-kind';
import { gpuNoiseBackend } from '../kernels/noise-weighted-sum';
import { type BestParams, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type Checkpoint, deployLearner } from './checkpoint';
import { initialMetaParams } from './init-params';
import { type ValidationResult, validateParams } from './validation';
import { type Evaluator, type EvaluatorOptions, type GenerationEval, VsmlEvaluator } from './evaluator';
import { type FitnessSummary, summarizeFitness } from './fitness-shaping';
import type { NoiseBackend } from '../rng/noise';
import { initStrategy, strategyFor, type StrategyState } from './strategies';
import type { TellInfo } from './strategies/types';
import type { TrainConfig } from './train-config';

export interface Stat {
  mean: number;
  best: number;
}

/** One JSON line of metrics.jsonl. */
export interface GenerationMetrics {
  generation: number;
  /** Fitness over the population (the ES centre excluded), configured kind. */
  fitness: FitnessSummary;
  fitnessKind: TrainConfig['fitness'];
  /** All three fitness candidates, over the population: query accuracy, cross-entropies (lower is better). */
  queryAccuracy: Stat;
  queryCrossEntropy: Stat;
  onlineCrossEntropy: Stat;
  onlineAccuracy: Stat;
  /** The unperturbed centre (ES/SNES with evalCentre) or the re-evaluated GA elite, on this generation's tasks. */
  centre?: {
    role: 'centre' | 'elite';
    fitness: number;
    queryAccuracy: number;
    queryCrossEntropy: number;
    onlineCrossEntropy: number;
  };
  strategy: TellInfo;
  members: number;
  learnerSteps: number;
  /** Learner example steps per second of episode time. */
  stepsPerSecond: number;
  timeMs: { tasks: number; build: number; episodes: number; update: number; total: number; validation?: number };
  /**
   * Length-generalisation checks run with this generation (config.validation): of the parameters
   * before it (generation 0 only) and after it, when due.
   */
  validation?: ValidationResult[];
}

export interface TrainerOptions {
  /** Replace the VSML evaluator (tests). */
  evaluator?: Evaluator;
  /** Options of the VSML evaluator (its cell mapping; ignored with `evaluator`). */
  evaluatorOptions?: EvaluatorOptions;
  /** Replace the GPU gradient backend (tests). */
  noise?: NoiseBackend;
}

const now = () => performance.now();

function stat(values: Float64Array, lowerIsBetter: boolean, include: (i: number) => boolean): Stat {
  let sum = 0;
  let n = 0;
  let best = lowerIsBetter ? Infinity : -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (!include(i) || !Number.isFinite(values[i])) continue;
    sum += values[i];
    n++;
    best = lowerIsBetter ? Math.min(best, values[i]) : Math.max(best, values[i]);
  }
  return { mean: n ? sum / n : NaN, best: n ? best : NaN };
}

export class Trainer {
  private elapsedBefore: number;
  private readonly sessionStart = now();

  private constructor(
    readonly gpu: GpuContext,
    readonly config: TrainConfig,
    private strategyState: StrategyState,
    private readonly evaluator: Evaluator,
    private readonly noise: NoiseBackend,
    elapsedMs: number,
    /** The TRAIN split: its shape sizes the deployed learner; validation streams come from it. */
    private readonly train: ImageSplit,
    /** Best parameters by validation score so far (config.validation). */
    private best?: BestParams,
  ) {
    this.elapsedBefore = elapsedMs;
  }

  /** A fresh run: initial meta-parameters from config.init (random from config.initSeed, or a rule). */
  static create(gpu: GpuContext, config: TrainConfig, train: ImageSplit, opts: TrainerOptions = {}): Trainer {
    const theta0 = initialMetaParams(config);
    const state = initStrategy(config.strategy, theta0, config.seed, config.initSeed);
    return new Trainer(
      gpu,
      config,
      state,
      opts.evaluator ?? new VsmlEvaluator(gpu, config, train, opts.evaluatorOptions),
      opts.noise ?? gpuNoiseBackend(gpu),
      0,
      train,
    );
  }

  /**
   * Continue from a checkpoint. Only `generations` may differ from the checkpoint's config (to
   * extend a run); everything else is the checkpoint's, so the continuation is exact.
   */
  static resume(
    gpu: GpuContext,
    ckpt: Checkpoint,
    train: ImageSplit,
    opts: TrainerOptions & { generations?: number } = {},
  ): Trainer {
    const config = { ...ckpt.config, generations: opts.generations ?? ckpt.config.generations };
    const dim = learnerParamCount(config);
    if (ckpt.metaParams.length !== dim)
      throw new Error(`checkpoint has ${ckpt.metaParams.length} meta-parameters, its learner needs ${dim}`);
    return new Trainer(
      gpu,
      config,
      ckpt.strategy,
      opts.evaluator ?? new VsmlEvaluator(gpu, config, train, opts.evaluatorOptions),
      opts.noise ?? gpuNoiseBackend(gpu),
      ckpt.elapsedMs,
      train,
      ckpt.best,
    );
  }

  /** Generations completed. */
  get generation(): number {
    return this.strategyState.generation;
  }

  get done(): boolean {
    return this.generation >= this.config.generations;
  }

  get state(): StrategyState {
    return this.strategyState;
  }

  /** The evolved meta-parameters so far. */
  metaParams(): Float32Array {
    return strategyFor(this.strategyState).current(this.strategyState);
  }

  /** Total training wall time, all sessions. */
  get elapsedMs(): number {
    return this.elapsedBefore + (now() - this.sessionStart);
  }

  /**
   * Run one generation. The strategy state advances only when the whole generation succeeded,
   * so after any error (e.g. a lost device) checkpoint() still describes the last good generation.
   */
  async step(): Promise<GenerationMetrics> {
    const t0 = now();
    const state = this.strategyState;
    const impl = strategyFor(state);
    const validation: ValidationResult[] = [];
    let validationMs = 0;
    const every = this.config.validation.every;
    if (every > 0 && state.generation === 0 && !this.best) {
      const tv = now();
      validation.push(await this.validate());
      validationMs += now() - tv;
    }
    const spec = impl.ask(state);
    const ev: GenerationEval = await this.evaluator.evaluate(spec, state.generation);
    const t1 = now();
    const { state: next, info } = await impl.tell(state, ev.fitness, this.noise);
    const update = now() - t1;
    // Validation reads only the new state's parameters, so a failure here leaves the run consistent.
    const done = next.generation >= this.config.generations;
    const tv = now();
    const after = every > 0 && (next.generation % every === 0 || done) ? await this.validate(next) : undefined;
    validationMs += now() - tv;
    this.strategyState = next;
    if (after) validation.push(after);
    const m = this.metrics(
      state.generation,
      spec.members.map((r) => r.role),
      ev,
      info,
      update,
      now() - t0,
    );
    if (validation.length) {
      m.validation = validation;
      m.timeMs.validation = validationMs;
    }
    return m;
  }

  /** Validation score of the parameters of `state` (default: the current state); keeps the best. */
  private async validate(state: StrategyState = this.strategyState): Promise<ValidationResult> {
    const params = strategyFor(state).current(state);
    const r = await validateParams(this.gpu, this.config, this.train, params, state.generation);
    if (!this.best || r.score > this.best.score) this.best = { ...r, metaParams: params };
    return r;
  }

  /** Best parameters by validation score (undefined when validation is off). */
  get bestParams(): BestParams | undefined {
    return this.best;
  }

  private metrics(
    generation: number,
    roles: string[],
    ev: GenerationEval,
    info: TellInfo,
    update: number,
    total: number,
  ): GenerationMetrics {
    const inPop = (i: number) => roles[i] !== 'centre';
    const popFitness = Array.from(ev.fitness).filter((_, i) => inPop(i));
    const m = ev.metrics;
    const centreIndex = roles.findIndex((r) => r === 'centre' || r === 'elite');
    const episodesSec = ev.timeMs.episodes / 1000;
    return {
      generation,
      fitness: summarizeFitness(popFitness),
      fitnessKind: this.config.fitness,
      queryAccuracy: stat(m.queryAccuracy, false, inPop),
      queryCrossEntropy: stat(m.queryCrossEntropy, true, inPop),
      onlineCrossEntropy: stat(m.onlineCrossEntropy, true, inPop),
      onlineAccuracy: stat(m.onlineAccuracy, false, inPop),
      centre:
        centreIndex < 0
          ? undefined
          : {
              role: roles[centreIndex] as 'centre' | 'elite',
              fitness: ev.fitness[centreIndex],
              queryAccuracy: m.queryAccuracy[centreIndex],
              queryCrossEntropy: m.queryCrossEntropy[centreIndex],
              onlineCrossEntropy: m.onlineCrossEntropy[centreIndex],
            },
      strategy: info,
      members: roles.length,
      learnerSteps: ev.learnerSteps,
      stepsPerSecond: episodesSec > 0 ? ev.learnerSteps / episodesSec : NaN,
      timeMs: { ...ev.timeMs, update, total },
    };
  }

  checkpoint(): Checkpoint {
    return {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      generation: this.generation,
      config: this.config,
      strategy: this.strategyState,
      metaParams: this.metaParams(),
      learner: this.config.learner,
      deployLearner: deployLearner(this.config, this.train.rows * this.train.cols, this.train.numClasses),
      best: this.best,
      elapsedMs: this.elapsedMs,
      savedAt: new Date().toISOString(),
      adapter: this.gpu.describe(),
    };
  }

  destroy(): void {
    this.evaluator.destroy();
  }
}

export interface TrainLoopHooks {
  /** After each generation (write metrics, update progress). */
  onGeneration?(m: GenerationMetrics, trainer: Trainer): void | Promise<void>;
  /** Persist a checkpoint (every config.checkpointEvery generations and at the end). */
  saveCheckpoint?(c: Checkpoint): void | Promise<void>;
  /** Polled between generations: true stops the loop after checkpointing (SIGINT, a Stop button). */
  shouldStop?(): boolean;
}

export type LoopEnd = 'completed' | 'stopped';

/** Run until config.generations or a stop request; checkpoints at the interval, on stop and at the end. */
export async function trainLoop(trainer: Trainer, hooks: TrainLoopHooks = {}): Promise<LoopEnd> {
  const every = trainer.config.checkpointEvery;
  let saved = trainer.generation;
  while (!trainer.done) {
    if (hooks.shouldStop?.()) break;
    const m = await trainer.step();
    await hooks.onGeneration?.(m, trainer);
    if (every > 0 && trainer.generation % every === 0) {
      await hooks.saveCheckpoint?.(trainer.checkpoint());
      saved = trainer.generation;
    }
  }
  if (saved !== trainer.generation || trainer.generation === 0) await hooks.saveCheckpoint?.(trainer.checkpoint());
  return trainer.done ? 'completed' : 'stopped';
}
