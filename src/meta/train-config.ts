/**
 * The training configuration: one schema, defaults, presets and validation with errors that name
 * the offending field. Everything a run depends on is in here, so a checkpoint's config plus its
 * state reproduce the run.
 */
import { classMeanRuleProblem } from '../inner/rules/class-mean';
import { z } from 'zod';
import { bool, int, num, oneOf, parseOrThrow, shown, strict, type SameType } from '../spec/schema';
import { numClasses, validateVsmlConfig, vsmlConfigSchema, type VsmlConfig } from '../spec/vsml-config';
import type { TaskConfig } from './tasks';
import { GA_DEFAULTS, type GaConfig } from './strategies/ga';
import { OPENAI_ES_DEFAULTS, type OpenAiEsConfig } from './strategies/openai-es';
import { SNES_DEFAULTS, type SnesConfig } from './strategies/snes';
import type { StrategyConfig } from './strategies';

export const FITNESS_KINDS = ['query-accuracy', 'query-cross-entropy', 'online-cross-entropy'] as const;
export type FitnessKind = (typeof FITNESS_KINDS)[number];

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
  /**
   * Which meta-learner runs: 'vsml' (the shared cell of `learner`) or 'lstm', the black-box LSTM
   * (src/spec/lstm-config.ts) reading the same inputs and classes as `learner`, its hidden size
   * `lstmHidden` (0: its learned state equals `learner`'s).
   */
  learnerKind: LearnerKind;
  lstmHidden: number;
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

export const LEARNER_KINDS = ['vsml', 'lstm'] as const;
export type LearnerKind = (typeof LEARNER_KINDS)[number];

export const INIT_KINDS = ['random', 'rule:class-mean'] as const;
export type InitKind = (typeof INIT_KINDS)[number];

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

const VALIDATION_DEFAULTS: ValidationConfig = {
  every: 0,
  perClass: [100, 1000],
  classes: 10,
  queryLength: 500,
  seed: 9001,
};

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
  learner: validateVsmlConfig({
    inputSize: 784,
    projection: true,
    layers: [8, 2],
    hidden: 8,
    message: 4,
    labelFeeding: true,
  }),
  learnerKind: 'vsml',
  lstmHidden: 0,
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
    tasks: {
      tasksPerMember: 1,
      minClasses: 2,
      maxClasses: 10,
      learnLength: 500,
      queryLength: 100,
      labelPermutation: true,
      projectionPerTask: false,
    },
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
    learner: {
      inputSize: 64,
      projection: false,
      layers: [64, 10],
      hidden: 8,
      message: 2,
      ticks: 1,
      labelFeeding: true,
    },
    tasks: {
      tasksPerMember: 2,
      minClasses: 2,
      maxClasses: 10,
      learnLength: 50,
      maxLearnLength: 300,
      growGenerations: 50,
      queryLength: 100,
      labelPermutation: true,
      pixelSubset: 64,
    },
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

// ---- schema ------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
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

const MAX_INT = 2 ** 31 - 1;

/** Every field of `shape` but a strategy's `kind` (which picks the shape) takes its value from `defaults` when missing. */
function withDefaults<S extends Record<string, z.ZodType>>(shape: S, defaults: { [K in keyof S]: z.output<S[K]> }) {
  const out: Record<string, z.ZodType> = {};
  for (const k of Object.keys(shape)) out[k] = k === 'kind' ? shape[k] : shape[k].default(defaults[k] as never);
  return out as { [K in keyof S]: K extends 'kind' ? S[K] : z.ZodDefault<S[K]> };
}

const openAiEsShape = {
  kind: z.literal('openai-es'),
  pairs: int(1, 1 << 20),
  sigma: num(0, Infinity, { openMin: true }),
  sigmaDecay: num(0, 1, { openMin: true }),
  sigmaMin: num(0),
  lr: num(0),
  lrDecay: num(0, 1, { openMin: true }),
  lrMin: num(0),
  beta1: num(0, 1).refine((v) => v < 1, 'must be below 1'),
  beta2: num(0, 1).refine((v) => v < 1, 'must be below 1'),
  adamEps: num(0, Infinity, { openMin: true }),
  weightDecay: num(0),
  shaping: oneOf(['centred-ranks', 'z-score']),
  evalCentre: bool(),
} satisfies Record<keyof OpenAiEsConfig, z.ZodType>;

const snesShape = {
  kind: z.literal('snes'),
  popSize: int(0, 1 << 21),
  sigmaInit: num(0, Infinity, { openMin: true }),
  lrMean: num(0),
  lrSigma: num(0),
  antithetic: bool(),
  shaping: oneOf(['nes-utilities', 'centred-ranks']),
  sigmaMin: num(0),
  evalCentre: bool(),
} satisfies Record<keyof SnesConfig, z.ZodType>;

const gaShape = {
  kind: z.literal('ga'),
  popSize: int(2, 1 << 21),
  truncation: int(1, MAX_INT),
  elites: int(1, MAX_INT),
  sigma: num(0, Infinity, { openMin: true }),
} satisfies Record<keyof GaConfig, z.ZodType>;

/** The strategy block: its kind picks the fields, each missing one takes that kind's default. */
const strategySchema = z
  .discriminatedUnion(
    'kind',
    [
      strict(withDefaults(openAiEsShape, OPENAI_ES_DEFAULTS)),
      strict(withDefaults(snesShape, SNES_DEFAULTS)),
      strict(withDefaults(gaShape, GA_DEFAULTS)),
    ],
    {
      error: (iss) =>
        iss.code === 'invalid_union'
          ? `must be one of openai-es, snes, ga; got ${shown((iss.input as { kind?: unknown }).kind)}`
          : `expected an object, got ${shown(iss.input)}`,
    },
  )
  .superRefine((c, ctx) => {
    const fail = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
    if (c.kind === 'snes') {
      if (c.antithetic && c.popSize % 2) fail('popSize', `must be even with antithetic sampling, got ${c.popSize}`);
      else if (c.popSize === 1) fail('popSize', 'needs at least 2 members');
    } else if (c.kind === 'ga') {
      if (c.truncation > c.popSize) fail('truncation', `must be <= popSize (${c.popSize}), got ${c.truncation}`);
      else if (c.elites > c.truncation) fail('elites', `must be <= truncation (${c.truncation}), got ${c.elites}`);
    }
  });

const taskShape = {
  tasksPerMember: int(1, 1 << 16),
  minClasses: int(1, 1 << 16),
  maxClasses: int(1, 1 << 16),
  learnLength: int(1, 1 << 24),
  queryLength: int(1, 1 << 24),
  queryFraction: num(0, 1, { openMin: true }).refine((v) => v < 1, 'must be below 1 (the rest is the learn pool)'),
  labelPermutation: bool(),
  projectionPerTask: bool(),
  pixelSubset: int(0, 1 << 24),
  maxLearnLength: int(0, 1 << 24),
  growGenerations: int(0, MAX_INT),
} satisfies Record<keyof TaskConfig, z.ZodType>;

/** Task rules within the block; the one against the learner's outputs is trainConfigSchema's. */
const tasksSchema = strict(withDefaults(taskShape, TASK_DEFAULTS)).superRefine((t, ctx) => {
  const fail = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: [field], message });
  if (t.maxLearnLength > 0 && t.maxLearnLength < t.learnLength) {
    fail('maxLearnLength', `must be 0 (no curriculum) or >= learnLength (${t.learnLength}), got ${t.maxLearnLength}`);
  } else if (t.minClasses > t.maxClasses)
    fail('minClasses', `must be <= maxClasses (${t.maxClasses}), got ${t.minClasses}`);
  else if (t.learnLength < t.maxClasses)
    fail('learnLength', `must give every class at least one example (>= maxClasses ${t.maxClasses})`);
  else if (t.queryLength < t.maxClasses)
    fail('queryLength', `must ask every class at least once (>= maxClasses ${t.maxClasses})`);
});

const perClassMessage = (iss: { input?: unknown }) => `must be a list of 1-8 lengths, got ${shown(iss.input)}`;

const validationShape = {
  every: int(0, MAX_INT),
  perClass: z
    .array(int(1, 1 << 20), { error: perClassMessage })
    .min(1, { error: perClassMessage })
    .max(8, { error: perClassMessage }),
  classes: int(2, 1 << 16),
  queryLength: int(1, 1 << 20),
  seed: int(0, 0xffffffff),
} satisfies Record<keyof ValidationConfig, z.ZodType>;

const datasetMessage = (iss: { input?: unknown }) =>
  `must be 'mnist', 'fashion-mnist', an IDX directory or URL; got ${shown(iss.input)}`;

const trainShape = {
  seed: int(0, 0xffffffff),
  initSeed: int(0, 0xffffffff),
  generations: int(1, MAX_INT),
  dataset: z.string({ error: datasetMessage }).min(1, { error: datasetMessage }),
  trainSubset: int(0, MAX_INT),
  learner: vsmlConfigSchema,
  learnerKind: oneOf(LEARNER_KINDS),
  lstmHidden: int(0, 1 << 16),
  tasks: tasksSchema,
  strategy: strategySchema,
  fitness: oneOf(FITNESS_KINDS),
  checkpointEvery: int(0, MAX_INT),
  chunkMembers: int(0, MAX_INT),
  stateBudgetMiB: num(0, Infinity, { openMin: true }),
  init: oneOf(INIT_KINDS),
  validation: strict(withDefaults(validationShape, VALIDATION_DEFAULTS)),
} satisfies Record<keyof TrainConfig, z.ZodType>;

/**
 * The training config schema, for a complete config (validateTrainConfig layers a partial one over
 * a base first). Cross-block rules (tasks against the learner, the warm-start rule) live here.
 */
export const trainConfigSchema = strict(trainShape).superRefine((c, ctx) => {
  const fail = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const outputs = numClasses(c.learner);
  if (c.tasks.maxClasses > outputs)
    return fail(
      ['tasks', 'maxClasses'],
      `must be <= the learner's output units (${outputs}), got ${c.tasks.maxClasses}`,
    );
  if (c.tasks.pixelSubset > 0) {
    if (c.learner.projection)
      return fail(['tasks', 'pixelSubset'], 'shows raw pixels: use it with learner.projection false');
    if (c.learner.inputSize !== c.tasks.pixelSubset) {
      return fail(
        ['learner', 'inputSize'],
        `must equal tasks.pixelSubset (${c.tasks.pixelSubset}), got ${c.learner.inputSize}`,
      );
    }
  }
  if (c.learnerKind === 'lstm') {
    if (c.learner.projection)
      return fail(['learnerKind'], "'lstm' reads raw pixels: use learner.projection false (with tasks.pixelSubset)");
    if (c.validation.every > 0)
      return fail(['validation', 'every'], "must be 0 with learnerKind 'lstm' (validation deploys a VSML learner)");
    if (c.init !== 'random')
      return fail(['init'], `'${c.init}' is a VSML rule; learnerKind 'lstm' starts from 'random'`);
  } else if (c.lstmHidden !== 0) return fail(['lstmHidden'], `only applies to learnerKind 'lstm', got ${c.lstmHidden}`);
  if (c.init !== 'random') {
    const problem = classMeanRuleProblem(c.learner);
    if (problem) fail(['init'], `'${c.init}' cannot start this learner: the rule ${problem}`);
  }
});

// The schema's output is exactly the documented interface (a compile error if they drift apart).
const sameAsInterface: SameType<z.output<typeof trainConfigSchema>, TrainConfig> = true;
void sameAsInterface;

/**
 * Validate a (partial) config layered over `base` (default: DEFAULT_TRAIN_CONFIG): missing fields
 * come from `base` (learner, tasks and validation field by field, the strategy field by field while
 * its kind stays, else from that kind's defaults). Unknown fields are refused, so typos fail
 * loudly instead of silently training the default.
 */
export function validateTrainConfig(input: unknown, base: TrainConfig = DEFAULT_TRAIN_CONFIG): TrainConfig {
  if (!isObj(input)) throw new TrainConfigError('(root)', `expected an object, got ${shown(input)}`);
  const merged = {
    ...base,
    ...input,
    learner: input.learner === undefined ? base.learner : mergeConfig(base.learner, input.learner),
    tasks: mergeConfig(base.tasks, input.tasks),
    strategy: layerConfig(base as unknown as Obj, input).strategy,
    validation: mergeConfig(base.validation, input.validation),
  };
  return parseOrThrow(trainConfigSchema, merged, (field, message) => new TrainConfigError(field, message));
}

/** A preset by name, validated. */
export function presetConfig(name: string): TrainConfig {
  const p = PRESETS[name];
  if (!p) throw new TrainConfigError('preset', `unknown preset '${name}' (known: ${Object.keys(PRESETS).join(', ')})`);
  return validateTrainConfig(p);
}
