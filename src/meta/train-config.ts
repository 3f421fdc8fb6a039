/**
 * The training configuration: one schema, defaults, presets and validation with errors that name
 * the offending field. Everything a run depends on is in here, so a checkpoint's config plus its
 * state reproduce the run.
 */
import { classMeanRuleProblem } from '../inner/rules/class-mean';
import { type VsmlConfig, numClasses, validateVsmlConfig } from '../spec/vsml-config';
import type { TaskConfig } from './tasks';
import { GA_DEFAULTS, type GaConfig } from './strategies/ga';
import { OPENAI_ES_DEFAULTS, type OpenAiEsConfig } from './strategies/openai-es';
import { SNES_DEFAULTS, type SnesConfig } from './strategies/snes';
import type { StrategyConfig } from './strategies';

export type FitnessKind = 'query-accuracy' | 'query-cross-entropy' | 'online-cross-entropy';
export const FITNESS_KINDS: FitnessKind[] = ['query-accuracy', 'query-cross-entropy', 'online-cross-entropy'];

export interface TrainConfig {
  /** Run seed: tasks, noise and GA choices derive from (seed, generation). */
  seed: number;
  /** Seed of the initial meta-parameters (initMetaParams). */
  initSeed: number;
  /** Generations to run in total (a resumed run continues up to this). */
  generations: number;
  /** 'mnist', 'fashion-mnist', an IDX directory or URL. Only its TRAIN split is ever read. */
  dataset: string;
  /** Use only the first N train examples (0: all); for quick runs and tests. */
  trainSubset: number;
  /** The learner (VsmlConfig; missing fields take the VSML defaults). */
  learner: VsmlConfig;
  tasks: TaskConfig;
  strategy: StrategyConfig;
  fitness: FitnessKind;
  /** Write a checkpoint every N generations (0: only at the end and on interrupt). */
  checkpointEvery: number;
  /** Members evaluated per GPU batch (0: automatic, from the device limits and stateBudgetMiB). */
  chunkMembers: number;
  /** Learner-state memory one batch may use, MiB (automatic chunking only). */
  stateBudgetMiB: number;
  /**
   * Initial meta-parameters: 'random' (initMetaParams(learner, initSeed)) or a hand-designed rule
   * to warm-start from ('rule:class-mean', src/inner/rules/class-mean.ts).
   */
  init: InitKind;
  validation: ValidationConfig;
}

export type InitKind = 'random' | 'rule:class-mean';
export const INIT_KINDS: InitKind[] = ['random', 'rule:class-mean'];

/**
 * Length generalisation measured during training: every `every` generations the current
 * parameters run, as the deployed learner (all pixels, every class), on long class-sorted
 * `classes`-way streams from the TRAIN split, `perClass[i]` examples per class, then `queryLength`
 * held-out train queries. The mean query accuracy over the lengths is the validation score; the
 * checkpoint keeps the best parameters by it.
 */
export interface ValidationConfig {
  /** 0: off. */
  every: number;
  perClass: number[];
  classes: number;
  queryLength: number;
  /** Seed of the validation tasks (fixed, so every evaluation sees the same streams). */
  seed: number;
}

const VALIDATION_DEFAULTS: ValidationConfig = { every: 0, perClass: [100, 1000], classes: 10, queryLength: 500, seed: 9001 };

export class TrainConfigError extends Error {
  override name = 'TrainConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`training config: ${field}: ${message}`);
  }
}

const TASK_DEFAULTS: TaskConfig = {
  tasksPerMember: 4,
  minClasses: 2,
  maxClasses: 2,
  learnLength: 20,
  queryLength: 20,
  queryFraction: 1 / 6,
  labelPermutation: true,
  projectionPerTask: true,
  pixelSubset: 0,
  maxLearnLength: 0,
  growGenerations: 0,
};

/**
 * Embedded defaults: sized to show learning within minutes on SwiftShader (about 6 GFLOP/s,
 * 2 cores): input projected to 8 units (a fresh projection per task), 2-way tasks of 10 + 10
 * class-ordered examples then 20 queries, a small cell (H 8, M 4, 616 meta-parameters) with label
 * feeding, 16 antithetic pairs x 4 tasks, and a large step (sigma 0.1, Adam lr 0.2) on the query
 * cross-entropy, which (unlike accuracy) ranks members while all still answer near chance.
 * Measured: docs/outer-loop.md.
 */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  seed: 1,
  initSeed: 1,
  generations: 150,
  dataset: 'mnist',
  trainSubset: 0,
  learner: validateVsmlConfig({ inputSize: 784, projection: true, layers: [8, 2], hidden: 8, message: 4, labelFeeding: true }),
  tasks: TASK_DEFAULTS,
  strategy: { ...OPENAI_ES_DEFAULTS, pairs: 16, sigma: 0.1, lr: 0.2 },
  fitness: 'query-cross-entropy',
  checkpointEvery: 10,
  chunkMembers: 0,
  stateBudgetMiB: 1024,
  init: 'random',
  validation: VALIDATION_DEFAULTS,
};

/** Partial configs layered over DEFAULT_TRAIN_CONFIG by name (`--preset`). */
export const PRESETS: Record<string, Record<string, unknown>> = {
  default: {},
  /** Close to VSML (Kirsch & Schmidhuber 2021): 784 -> 10, 1,024 pairs, sigma 0.05, Adam 0.025, 500-example episodes. For GPUs. */
  vsml: {
    generations: 10000,
    learner: { inputSize: 784, projection: false, layers: [784, 10], hidden: 16, message: 8, labelFeeding: false },
    tasks: { tasksPerMember: 1, minClasses: 2, maxClasses: 10, learnLength: 500, queryLength: 100, labelPermutation: true, projectionPerTask: false },
    strategy: { kind: 'openai-es', pairs: 1024, sigma: 0.05, lr: 0.025 },
    checkpointEvery: 50,
  },
  /**
   * Benchmark-shaped (OrderedMNIST): 2-10-way class-sorted episodes with label permutation, inputs
   * that are 64 random raw pixels per task (deployed on all 784), a curriculum from 50 to 300
   * examples per episode (5 to 30 per class at 10-way, 25 to 150 at 2-way), frozen-state queries, the 1-tick label-feeding cell the class-mean rule
   * needs (so `--set init=rule:class-mean` warm-starts it; use a smaller step there, e.g. sigma
   * 0.01, lr 0.003), and validation on 10-way streams of 100 and 1,000 examples per class every 25
   * generations. Sized for a 2-core CPU (docs/outer-loop.md).
   */
  ordered: {
    generations: 75,
    learner: { inputSize: 64, projection: false, layers: [64, 10], hidden: 8, message: 2, ticks: 1, labelFeeding: true },
    tasks: { tasksPerMember: 2, minClasses: 2, maxClasses: 10, learnLength: 50, maxLearnLength: 300, growGenerations: 50, queryLength: 100, labelPermutation: true, pixelSubset: 64 },
    strategy: { kind: 'openai-es', pairs: 16, sigma: 0.05, lr: 0.02 },
    fitness: 'query-cross-entropy',
    checkpointEvery: 5,
    validation: { every: 25, perClass: [100, 1000], classes: 10, queryLength: 500 },
  },
  /** Tiny: for tests and smoke runs (seconds on SwiftShader). */
  tiny: {
    generations: 20,
    trainSubset: 6000,
    learner: { inputSize: 784, projection: true, layers: [4, 2], hidden: 4, message: 2 },
    tasks: { tasksPerMember: 2, minClasses: 2, maxClasses: 2, learnLength: 10, queryLength: 10 },
    strategy: { kind: 'openai-es', pairs: 4 },
    checkpointEvery: 5,
  },
};

// ---- validation helpers ------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function int(field: string, v: unknown, min: number, max = 2 ** 31 - 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new TrainConfigError(field, `must be an integer, got ${JSON.stringify(v)}`);
  if (v < min || v > max) throw new TrainConfigError(field, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

function num(field: string, v: unknown, min: number, max = Infinity, openMin = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TrainConfigError(field, `must be a finite number, got ${JSON.stringify(v)}`);
  if (v < min || v > max || (openMin && v === min)) throw new TrainConfigError(field, `must be in ${openMin ? '(' : '['}${min}, ${max}], got ${v}`);
  return v;
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TrainConfigError(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(field: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw new TrainConfigError(field, `must be one of ${options.join(', ')}; got ${JSON.stringify(v)}`);
  return v as T;
}

function noUnknown(field: string, o: Obj, known: object): void {
  for (const k of Object.keys(o)) {
    if (!(k in known)) throw new TrainConfigError(field ? `${field}.${k}` : k, `unknown field (known: ${Object.keys(known).join(', ')})`);
  }
}

/** Deep merge of plain objects (arrays and typed values replace). */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isObj(base) || !isObj(over)) return over === undefined ? base : over;
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = mergeConfig(base[k], v);
  return out;
}

/**
 * Layer a partial config over another (presets < file < flags). Like mergeConfig, except that a
 * strategy block naming a different kind replaces the one below (fields differ between kinds).
 */
export function layerConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = mergeConfig(base, over) as Record<string, unknown>;
  const b = base.strategy as { kind?: string } | undefined;
  const o = over.strategy as { kind?: string } | undefined;
  if (o?.kind !== undefined && b?.kind !== undefined && o.kind !== b.kind) out.strategy = { ...o };
  return out;
}

function validateStrategy(o: unknown): StrategyConfig {
  if (!isObj(o)) throw new TrainConfigError('strategy', `expected an object, got ${JSON.stringify(o)}`);
  const kind = oneOf('strategy.kind', o.kind, ['openai-es', 'snes', 'ga'] as const);
  const f = (k: string) => `strategy.${k}`;
  if (kind === 'openai-es') {
    const d = OPENAI_ES_DEFAULTS;
    const v = { ...d, ...o } as Obj;
    noUnknown('strategy', o, d);
    const c: OpenAiEsConfig = {
      kind,
      pairs: int(f('pairs'), v.pairs, 1, 1 << 20),
      sigma: num(f('sigma'), v.sigma, 0, Infinity, true),
      sigmaDecay: num(f('sigmaDecay'), v.sigmaDecay, 0, 1, true),
      sigmaMin: num(f('sigmaMin'), v.sigmaMin, 0),
      lr: num(f('lr'), v.lr, 0),
      lrDecay: num(f('lrDecay'), v.lrDecay, 0, 1, true),
      lrMin: num(f('lrMin'), v.lrMin, 0),
      beta1: num(f('beta1'), v.beta1, 0, 1),
      beta2: num(f('beta2'), v.beta2, 0, 1),
      adamEps: num(f('adamEps'), v.adamEps, 0, Infinity, true),
      weightDecay: num(f('weightDecay'), v.weightDecay, 0),
      shaping: oneOf(f('shaping'), v.shaping, ['centred-ranks', 'z-score'] as const),
      evalCentre: bool(f('evalCentre'), v.evalCentre),
    };
    if (c.beta1 >= 1 || c.beta2 >= 1) throw new TrainConfigError(f('beta1/beta2'), 'must be below 1');
    return c;
  }
  if (kind === 'snes') {
    const d = SNES_DEFAULTS;
    const v = { ...d, ...o } as Obj;
    noUnknown('strategy', o, d);
    const c: SnesConfig = {
      kind,
      popSize: int(f('popSize'), v.popSize, 0, 1 << 21),
      sigmaInit: num(f('sigmaInit'), v.sigmaInit, 0, Infinity, true),
      lrMean: num(f('lrMean'), v.lrMean, 0),
      lrSigma: num(f('lrSigma'), v.lrSigma, 0),
      antithetic: bool(f('antithetic'), v.antithetic),
      shaping: oneOf(f('shaping'), v.shaping, ['nes-utilities', 'centred-ranks'] as const),
      sigmaMin: num(f('sigmaMin'), v.sigmaMin, 0),
      evalCentre: bool(f('evalCentre'), v.evalCentre),
    };
    if (c.antithetic && c.popSize % 2) throw new TrainConfigError(f('popSize'), `must be even with antithetic sampling, got ${c.popSize}`);
    if (c.popSize === 1) throw new TrainConfigError(f('popSize'), 'needs at least 2 members');
    return c;
  }
  const d = GA_DEFAULTS;
  const v = { ...d, ...o } as Obj;
  noUnknown('strategy', o, d);
  const c: GaConfig = {
    kind,
    popSize: int(f('popSize'), v.popSize, 2, 1 << 21),
    truncation: int(f('truncation'), v.truncation, 1),
    elites: int(f('elites'), v.elites, 1),
    sigma: num(f('sigma'), v.sigma, 0, Infinity, true),
  };
  if (c.truncation > c.popSize) throw new TrainConfigError(f('truncation'), `must be <= popSize (${c.popSize}), got ${c.truncation}`);
  if (c.elites > c.truncation) throw new TrainConfigError(f('elites'), `must be <= truncation (${c.truncation}), got ${c.elites}`);
  return c;
}

function validateTasks(o: unknown, outputs: number): TaskConfig {
  if (!isObj(o)) throw new TrainConfigError('tasks', `expected an object, got ${JSON.stringify(o)}`);
  noUnknown('tasks', o, TASK_DEFAULTS);
  const v = { ...TASK_DEFAULTS, ...o } as Obj;
  const t: TaskConfig = {
    tasksPerMember: int('tasks.tasksPerMember', v.tasksPerMember, 1, 1 << 16),
    minClasses: int('tasks.minClasses', v.minClasses, 1, 1 << 16),
    maxClasses: int('tasks.maxClasses', v.maxClasses, 1, 1 << 16),
    learnLength: int('tasks.learnLength', v.learnLength, 1, 1 << 24),
    queryLength: int('tasks.queryLength', v.queryLength, 1, 1 << 24),
    queryFraction: num('tasks.queryFraction', v.queryFraction, 0, 1, true),
    labelPermutation: bool('tasks.labelPermutation', v.labelPermutation),
    projectionPerTask: bool('tasks.projectionPerTask', v.projectionPerTask),
    pixelSubset: int('tasks.pixelSubset', v.pixelSubset, 0, 1 << 24),
    maxLearnLength: int('tasks.maxLearnLength', v.maxLearnLength, 0, 1 << 24),
    growGenerations: int('tasks.growGenerations', v.growGenerations, 0),
  };
  if (t.maxLearnLength > 0 && t.maxLearnLength < t.learnLength) {
    throw new TrainConfigError('tasks.maxLearnLength', `must be 0 (no curriculum) or >= learnLength (${t.learnLength}), got ${t.maxLearnLength}`);
  }
  if (t.queryFraction >= 1) throw new TrainConfigError('tasks.queryFraction', 'must be below 1 (the rest is the learn pool)');
  if (t.minClasses > t.maxClasses) throw new TrainConfigError('tasks.minClasses', `must be <= maxClasses (${t.maxClasses}), got ${t.minClasses}`);
  if (t.maxClasses > outputs) throw new TrainConfigError('tasks.maxClasses', `must be <= the learner's output units (${outputs}), got ${t.maxClasses}`);
  if (t.learnLength < t.maxClasses) throw new TrainConfigError('tasks.learnLength', `must give every class at least one example (>= maxClasses ${t.maxClasses})`);
  if (t.queryLength < t.maxClasses) throw new TrainConfigError('tasks.queryLength', `must ask every class at least once (>= maxClasses ${t.maxClasses})`);
  return t;
}

function validateValidation(o: unknown): ValidationConfig {
  if (!isObj(o)) throw new TrainConfigError('validation', `expected an object, got ${JSON.stringify(o)}`);
  noUnknown('validation', o, VALIDATION_DEFAULTS);
  const v = { ...VALIDATION_DEFAULTS, ...o } as Obj;
  if (!Array.isArray(v.perClass) || v.perClass.length === 0 || v.perClass.length > 8) {
    throw new TrainConfigError('validation.perClass', `must be a list of 1-8 lengths, got ${JSON.stringify(v.perClass)}`);
  }
  return {
    every: int('validation.every', v.every, 0),
    perClass: v.perClass.map((n, i) => int(`validation.perClass[${i}]`, n, 1, 1 << 20)),
    classes: int('validation.classes', v.classes, 2, 1 << 16),
    queryLength: int('validation.queryLength', v.queryLength, 1, 1 << 20),
    seed: int('validation.seed', v.seed, 0, 0xffffffff),
  };
}

/**
 * Validate a (partial) config layered over `base` (default: DEFAULT_TRAIN_CONFIG). Unknown fields
 * are refused, so typos fail loudly instead of silently training the default.
 */
export function validateTrainConfig(input: unknown, base: TrainConfig = DEFAULT_TRAIN_CONFIG): TrainConfig {
  if (!isObj(input)) throw new TrainConfigError('(root)', `expected an object, got ${JSON.stringify(input)}`);
  noUnknown('', input, DEFAULT_TRAIN_CONFIG);
  const strat = (layerConfig(base as unknown as Obj, input) as { strategy: unknown }).strategy;
  const v = { ...base, ...input } as Obj;
  let learner: VsmlConfig;
  try {
    learner = validateVsmlConfig(input.learner === undefined ? base.learner : mergeConfig(base.learner, input.learner));
  } catch (e) {
    throw new TrainConfigError('learner', (e as Error).message);
  }
  const config: TrainConfig = {
    seed: int('seed', v.seed, 0, 0xffffffff),
    initSeed: int('initSeed', v.initSeed, 0, 0xffffffff),
    generations: int('generations', v.generations, 1),
    dataset: (() => {
      if (typeof v.dataset !== 'string' || v.dataset === '') throw new TrainConfigError('dataset', `must be 'mnist', 'fashion-mnist', an IDX directory or URL; got ${JSON.stringify(v.dataset)}`);
      return v.dataset;
    })(),
    trainSubset: int('trainSubset', v.trainSubset, 0),
    learner,
    tasks: validateTasks(mergeConfig(base.tasks, input.tasks), numClasses(learner)),
    strategy: validateStrategy(strat),
    fitness: oneOf('fitness', v.fitness, FITNESS_KINDS),
    checkpointEvery: int('checkpointEvery', v.checkpointEvery, 0),
    chunkMembers: int('chunkMembers', v.chunkMembers, 0),
    stateBudgetMiB: num('stateBudgetMiB', v.stateBudgetMiB, 0, Infinity, true),
    init: oneOf('init', v.init, INIT_KINDS),
    validation: validateValidation(mergeConfig(base.validation, input.validation)),
  };
  if (config.tasks.pixelSubset > 0) {
    if (config.learner.projection) throw new TrainConfigError('tasks.pixelSubset', 'shows raw pixels: use it with learner.projection false');
    if (config.learner.inputSize !== config.tasks.pixelSubset) {
      throw new TrainConfigError('learner.inputSize', `must equal tasks.pixelSubset (${config.tasks.pixelSubset}), got ${config.learner.inputSize}`);
    }
  }
  if (config.init !== 'random') {
    const problem = classMeanRuleProblem(config.learner);
    if (problem) throw new TrainConfigError('init', `'${config.init}' cannot start this learner: the rule ${problem}`);
  }
  return config;
}

/** A preset by name, validated. */
export function presetConfig(name: string): TrainConfig {
  const p = PRESETS[name];
  if (!p) throw new TrainConfigError('preset', `unknown preset '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
  return validateTrainConfig(p);
}
