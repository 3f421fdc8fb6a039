/**
 * The evolved VSML learner on the OrderedMNIST protocol (`--checkpoint FILE|SHARE|init:SEED`).
 *
 * The learner behind it is one VsmlPopulation learner (members = tasks = 1) on the GPU. The
 * population runs whole episodes (initialise state, learn a stream in order, answer queries from
 * the frozen state) in one call, so this adapter defers the GPU work: learn() stages each example
 * (a transport buffer for the upload, not learner state), and the first predict() after freeze()
 * runs the episode over the staged stream, one example at a time in stream order, then the
 * queries. The numbers are those of an eager learner; the wall time of the deferred learning is
 * reported as learning time. A forgetting-curve probe re-runs its stream prefix (episodes start
 * from the initial state), and that extra compute is counted in the curve cost. With a population
 * API that continues from the current state (requested), this adapter could learn eagerly.
 *
 * Four axes from the cost model (src/spec/cost-model.ts): FLOPs per learn / query example,
 * state bytes (cell states + in-flight messages), algorithm bytes (meta-parameters + seeds).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { GpuContext } from '../gpu/context';
import { vsmlCost, type VsmlCost } from '../spec/cost-model';
import { VsmlPopulation } from '../inner/population';
import {
  DEFAULT_VSML_CONFIG,
  type VsmlConfig,
  describeVsmlConfig,
  initMetaParams,
  metaParamLayout,
  numClasses,
  validateVsmlConfig,
} from '../spec/vsml-config';
import { CLASS_MEAN_LEARNER, classMeanRuleParams } from '../inner/rules/class-mean';
import type { StreamShape } from '../inner/learner';
import type { MethodInfo } from './methods';
import { type DeferredRun, DeferredGpuLearner, runOneLearner } from './deferred-learner';
import type { ProgressEvent } from './ordered-mnist';

export interface VsmlLearnerSpec {
  config: VsmlConfig;
  metaParams: Float32Array;
  stateSeed: number;
  /** Where it came from, for the report. */
  source: string;
}

/** Evaluation state seed when the source names none (checkpoints): fixed, documented. */
export const DEFAULT_EVAL_STATE_SEED = 1;

/** Reads `--checkpoint`: a checkpoint file (FILE#final: its final rather than best-by-validation parameters), a share string / URL (or a file holding one), `init:SEED` (untrained), `rule:class-mean` (hand-designed) or `rule:FILE` (a class-mean rule file, e.g. evolved ink terms). */
export async function loadVsmlSpec(arg: string, stateSeed?: number): Promise<VsmlLearnerSpec> {
  if (arg === 'rule:class-mean') {
    const config = validateVsmlConfig(CLASS_MEAN_LEARNER);
    return {
      config,
      metaParams: classMeanRuleParams(config),
      stateSeed: stateSeed ?? DEFAULT_EVAL_STATE_SEED,
      source: 'hand-designed class-mean rule (src/inner/rules/class-mean.ts)',
    };
  }
  // rule:FILE: a class-mean rule file (e.g. the ink terms evolved by `npm run evolve:rule`).
  if (arg.startsWith('rule:')) {
    const file = arg.slice(5);
    if (!existsSync(file))
      throw new Error(`--checkpoint ${arg}: no rule file ${file} (rule:class-mean or rule:FILE.json)`);
    const { parseRuleFile } = await import('../meta/rule-es');
    const config = validateVsmlConfig(CLASS_MEAN_LEARNER);
    const rule = parseRuleFile(readFileSync(file, 'utf8'), file);
    return {
      config,
      metaParams: classMeanRuleParams(config, rule),
      stateSeed: stateSeed ?? DEFAULT_EVAL_STATE_SEED,
      source: `class-mean rule file ${file} (${rule.ink?.length ?? 0} ink terms)`,
    };
  }
  const init = /^init:(\d+)$/.exec(arg);
  if (init) {
    const config = validateVsmlConfig({ ...DEFAULT_VSML_CONFIG });
    return {
      config,
      metaParams: initMetaParams(config, Number(init[1])),
      stateSeed: stateSeed ?? DEFAULT_EVAL_STATE_SEED,
      source: `untrained initMetaParams(seed ${init[1]})`,
    };
  }
  // FILE#final: a checkpoint's final parameters instead of its best by validation.
  const final = /#final$/.test(arg) && existsSync(arg.slice(0, -6));
  const file = final ? arg.slice(0, -6) : arg;
  const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : arg.trim();
  if (text.startsWith('{')) {
    const { decodeCheckpoint, checkpointLearner } = await import('../meta/checkpoint');
    const c = checkpointLearner(decodeCheckpoint(text, file), final ? 'final' : 'best');
    return {
      config: validateVsmlConfig(c.learner),
      metaParams: c.metaParams,
      stateSeed: stateSeed ?? DEFAULT_EVAL_STATE_SEED,
      source: `checkpoint ${arg} (${c.best ? 'best by validation, ' : ''}generation ${c.generation})`,
    };
  }
  const { decodeShare } = await import('../share');
  const s = await decodeShare(text, { validateTrain: (t) => t });
  if (s.config.lstm)
    throw new Error(
      `--checkpoint ${arg}: the share link carries a black-box LSTM learner, not a VSML one: save the link to a file and use --methods lstm:checkpoint=FILE`,
    );
  return {
    config: validateVsmlConfig(s.config.vsml),
    metaParams: s.params,
    stateSeed: stateSeed ?? s.stateSeed,
    source: `share link (${s.sizes.fragmentChars} chars)`,
  };
}

export class VsmlLearner extends DeferredGpuLearner {
  readonly cost: VsmlCost;

  constructor(
    gpu: GpuContext,
    readonly spec: VsmlLearnerSpec,
    shape: StreamShape,
    progress?: (p: ProgressEvent) => void,
  ) {
    super(gpu, shape, shape.pixels, 'vsml', progress);
    const c = spec.config;
    if (c.inputSize !== shape.pixels)
      throw new Error(`the VSML learner reads ${c.inputSize} pixels, the dataset has ${shape.pixels}`);
    if (numClasses(c) < shape.numClasses)
      throw new Error(`the VSML learner outputs ${numClasses(c)} classes, the dataset has ${shape.numClasses}`);
    const D = metaParamLayout(c).size;
    if (spec.metaParams.length !== D)
      throw new Error(`meta-parameters: ${spec.metaParams.length} floats, the config needs ${D}`);
    this.cost = vsmlCost(c);
  }

  protected run(r: DeferredRun): Promise<Uint8Array> {
    const { gpu, spec } = this;
    return runOneLearner(
      gpu,
      'vsml meta-params',
      spec.metaParams,
      (shape) => VsmlPopulation.create(gpu, spec.config, shape),
      r,
      spec.stateSeed,
    );
  }

  describeConfig(): string {
    return describeVsmlSpec(this.spec);
  }
}

export const vsmlMethod: MethodInfo = {
  name: 'vsml',
  describe: 'evolved VSML learner (meta-RNN, GPU)',
  gpu: true,
  params: ['stateSeed'],
  create: async (shape, p, ctx) => {
    if (!ctx.checkpoint) throw new Error('method vsml needs --checkpoint FILE|SHARE|init:SEED|rule:class-mean');
    const spec = await loadVsmlSpec(ctx.checkpoint, p.stateSeed === undefined ? undefined : Number(p.stateSeed));
    return new VsmlLearner(await ctx.gpu(), spec, shape, ctx.progress);
  },
  config: (_p, ctx) => `--checkpoint ${ctx.checkpoint ?? '?'}`,
};

/** One line for the report: the learner's configuration and origin. */
export function describeVsmlSpec(s: VsmlLearnerSpec): string {
  return `${describeVsmlConfig(s.config)}; ${s.source}; state seed ${s.stateSeed}`;
}
