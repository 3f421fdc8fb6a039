/**
 * Evolving the class-mean rule's ink terms (src/inner/rules/class-mean.ts) with OpenAI-ES.
 *
 * The search space is small and structured: the rule's class-mean core stays as designed, and ES
 * moves the 5 constants (a, b, w, c, gamma) of each ink term, as theta * INK_SCALES so that one
 * sigma suits all of them. Fitness is the query accuracy of the deployed rule on the TRAIN split
 * in benchmark form (rule-fit.ts: class-sorted learn stream, held-out queries), computed in
 * closed form, which tests/rule-fit.test.ts ties to the float64 learner and the GPU learner.
 * The state is plain data (the ES state, the best centre so far, the history), so a run
 * checkpoints after every generation and resumes bit for bit.
 */
import { RNG_DOMAIN } from '../rng/philox';
import { CLASS_MEAN_RULE, type ClassMeanRule, type InkTerm } from '../inner/rules/class-mean';
import { buildMember, cpuNoiseBackend, noiseStream } from '../rng/noise';
import { calibrateReadout, ruleFitness, ruleLogits, type RuleValidationSet } from './rule-fit';
import { initOpenAiEs, openAiEs, type OpenAiEsState, OPENAI_ES_DEFAULTS } from './strategies/openai-es';
import { describeJsonError, nonFiniteInState } from './finite';
import { parseState } from './serialize';

export interface RuleEsConfig {
  dataset: string;
  /** Ink terms to evolve (1..H/2-1 = 3 for the H 8 learner). */
  terms: number;
  seed: number;
  generations: number;
  pairs: number;
  /** Noise std and Adam step, in units of INK_SCALES. */
  sigma: number;
  lr: number;
  /** Held-out queries per evaluation (evenly per class; 0: all of the held-out sixth). */
  maxQueries: number;
  /** Fraction of every class held out as queries. */
  holdFraction: number;
  /** Std of the random start (theta ~ initScale * N(0, 1)): small enough that no gate starts saturated. */
  initScale: number;
}

export const RULE_ES_DEFAULTS: RuleEsConfig = {
  dataset: 'mnist',
  terms: 2,
  seed: 1,
  generations: 200,
  pairs: 16,
  sigma: 0.1,
  lr: 0.05,
  maxQueries: 5000,
  holdFraction: 1 / 6,
  initScale: 0.3,
};

/** Scale of each ink constant per unit of theta: a, b, w, c, gamma. */
export const INK_SCALES = [10, 5, 10, 5, 1] as const;

export function inkFromTheta(theta: ArrayLike<number>): InkTerm[] {
  const out: InkTerm[] = [];
  for (let j = 0; j * 5 < theta.length; j++) {
    const v = (i: number) => Math.fround(theta[j * 5 + i] * INK_SCALES[i]);
    out.push({ a: v(0), b: v(1), w: v(2), c: v(3), gamma: v(4) });
  }
  return out;
}

/** Random start: theta ~ scale * N(0, 1) from Philox (key [seed, paramInit], counter (0, 0x1e5, 0)). */
export function initialInkTheta(seed: number, terms: number, scale: number): Float32Array {
  return noiseStream(new Float32Array(5 * terms), seed >>> 0, RNG_DOMAIN.paramInit, 0, 0x1e5, 0).map((z) =>
    Math.fround(scale * z),
  );
}

export interface RuleEsRecord {
  generation: number;
  /** Fitness (ruleFitness: accuracy - 1e-3 x cross-entropy) of the centre and the members. */
  centre: number;
  mean: number;
  max: number;
  ms: number;
}

export interface RuleEsState {
  format: 'vsml-rule-es';
  version: 1;
  config: RuleEsConfig;
  es: OpenAiEsState;
  /** Best centre so far; `accuracy` holds its ruleFitness (validation accuracy - 1e-3 x cross-entropy). */
  best: { generation: number; accuracy: number; theta: Float32Array };
  history: RuleEsRecord[];
  elapsedMs: number;
}

export function initRuleEs(config: RuleEsConfig): RuleEsState {
  const theta0 = initialInkTheta(config.seed, config.terms, config.initScale);
  const es = initOpenAiEs(
    { ...OPENAI_ES_DEFAULTS, pairs: config.pairs, sigma: config.sigma, lr: config.lr, evalCentre: true },
    theta0,
    config.seed,
  );
  return {
    format: 'vsml-rule-es',
    version: 1,
    config: { ...config },
    es,
    best: { generation: -1, accuracy: -1, theta: theta0 },
    history: [],
    elapsedMs: 0,
  };
}

/** One generation: evaluate every member (and the centre), update the ES, keep the best centre. */
export async function ruleEsGeneration(set: RuleValidationSet, state: RuleEsState): Promise<RuleEsState> {
  const t0 = Date.now();
  const spec = openAiEs.ask(state.es);
  const fitness = spec.members.map((_, m) => ruleFitness(set, ruleLogits(set, inkFromTheta(buildMember(spec, m)))));
  const centreIndex = spec.members.findIndex((m) => m.role === 'centre');
  const centre = fitness[centreIndex];
  const samples = fitness.filter((_, i) => i !== centreIndex);
  const { state: es } = await openAiEs.tell(state.es, fitness, cpuNoiseBackend);
  const generation = state.es.generation;
  const best =
    centre > state.best.accuracy
      ? { generation, accuracy: centre, theta: Float32Array.from(state.es.theta) }
      : state.best;
  const ms = Date.now() - t0;
  const record = {
    generation,
    centre,
    mean: samples.reduce((s, v) => s + v, 0) / samples.length,
    max: Math.max(...samples),
    ms,
  };
  return { ...state, es, best, history: [...state.history, record], elapsedMs: state.elapsedMs + ms };
}

export interface EvolvedRuleFile {
  format: 'vsml-class-mean-rule';
  version: 1;
  rule: ClassMeanRule;
  /** How it was made and what it scored on the train-split validation (never the test split). */
  provenance: {
    command: string;
    generation: number;
    validationAccuracy: number;
    validationCrossEntropy: number;
    queries: number;
    dataset: string;
  };
}

/** The deployable rule of a state's best centre: ink terms plus a calibrated readout. */
export function evolvedRule(set: RuleValidationSet, state: RuleEsState, command: string): EvolvedRuleFile {
  const ink = inkFromTheta(state.best.theta);
  const cal = calibrateReadout(set, ruleLogits(set, ink));
  const rule: ClassMeanRule = { ...CLASS_MEAN_RULE, lambda: cal.lambda, offset: cal.offset, ink };
  return {
    format: 'vsml-class-mean-rule',
    version: 1,
    rule,
    provenance: {
      command,
      generation: state.best.generation,
      validationAccuracy: cal.score.accuracy,
      validationCrossEntropy: cal.score.crossEntropy,
      queries: set.queries,
      dataset: state.config.dataset,
    },
  };
}

/** Parse and check an evolve:rule state file (`--resume`); `source` names it in errors. */
export function parseRuleEsState(text: string, source: string): RuleEsState {
  let state: RuleEsState;
  try {
    state = parseState<RuleEsState>(text);
  } catch (e) {
    throw new Error(`${source}: ${describeJsonError(text, e)}`, { cause: e });
  }
  if (state?.format !== 'vsml-rule-es') throw new Error(`${source}: not a vsml-rule-es state`);
  const nonFinite = nonFiniteInState(state);
  if (nonFinite) throw new Error(`${source}: ${nonFinite}; the run diverged or the file was altered`);
  return state;
}

/** Parse and check a rule file (bench `--checkpoint rule:FILE`); `source` names it in errors. */
export function parseRuleFile(text: string, source: string): ClassMeanRule {
  let f: EvolvedRuleFile;
  try {
    f = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: ${describeJsonError(text, e)}`, { cause: e });
  }
  if (f?.format !== 'vsml-class-mean-rule' || f.version !== 1)
    throw new Error(`${source}: not a vsml-class-mean-rule version 1 file`);
  const r = f.rule;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  for (const k of ['k', 'l', 'm', 'beta', 'lambda'] as const)
    if (!finite(r?.[k])) throw new Error(`${source}: rule.${k} must be a finite number`);
  if (r.offset !== undefined && !finite(r.offset)) throw new Error(`${source}: rule.offset must be a finite number`);
  if (r.ink !== undefined) {
    if (!Array.isArray(r.ink) || r.ink.length > 16)
      throw new Error(`${source}: rule.ink must be a list of at most 16 terms`);
    r.ink.forEach((t, j) => {
      for (const k of ['a', 'b', 'w', 'c', 'gamma'] as const)
        if (!finite(t?.[k])) throw new Error(`${source}: rule.ink[${j}].${k} must be a finite number`);
    });
  }
  return r;
}
