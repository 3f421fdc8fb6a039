/**
 * The hidden-layer VSML-style learner (src/spec/hidden-config.ts) on the OrderedMNIST protocol:
 * method `vsml-hidden`, e.g. `vsml-hidden:hidden=100`, `vsml-hidden:params=results/.../rule.json`.
 *
 *   hidden=H          hidden units (a multiple of the classes; default 100: K = 10 per class)
 *   aggregation=max|mean   layer-2 aggregation (default max)
 *   params=designed|FILE   meta-parameters: the hand-designed k-means rule (src/inner/rules/
 *                          hidden-kmeans.ts, default) or a rule file (written by `npm run evolve:hidden`)
 *   stateSeed=S       seed of the initial state (default 1)
 *
 * One HiddenPopulation learner on the GPU. As the VSML adapter (./vsml-adapter.ts) it defers the GPU
 * work: learn() stages each example (a transport buffer, not learner state) and the first predict()
 * runs the stream from the initial state in order, then the queries; the wall time of that run is
 * reported as learning time and re-runs (forgetting-curve probes) are counted as extra compute.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { GpuContext } from '../gpu/context';
import { HiddenPopulation } from '../inner/hidden-population';
import type { StreamShape } from '../inner/learner';
import { hiddenKMeansParams, parseHiddenRuleFile } from '../inner/rules/hidden-kmeans';
import {
  DEFAULT_HIDDEN_CONFIG,
  type HiddenConfig,
  type HiddenCost,
  describeHiddenConfig,
  hiddenCost,
  validateHiddenConfig,
} from '../spec/hidden-config';
import { type DeferredRun, DeferredGpuLearner } from './deferred-learner';
import type { ProgressEvent } from './ordered-mnist';

export interface HiddenLearnerSpec {
  config: HiddenConfig;
  params: Float32Array;
  stateSeed: number;
  source: string;
}

/** The learner spec of a method's parameters (see the file comment). */
export function hiddenSpec(shape: StreamShape, p: Record<string, string>): HiddenLearnerSpec {
  const int = (key: string, fallback: number): number => {
    if (p[key] === undefined) return fallback;
    const v = Number(p[key]);
    if (!Number.isInteger(v) || v < 0) throw new Error(`vsml-hidden: ${key}=${p[key]} is not a non-negative integer`);
    return v;
  };
  const config = validateHiddenConfig({
    inputs: shape.pixels,
    hidden: int('hidden', DEFAULT_HIDDEN_CONFIG.hidden),
    classes: shape.numClasses,
    aggregation: p.aggregation ?? DEFAULT_HIDDEN_CONFIG.aggregation,
  });
  const source = p.params ?? 'designed';
  let params: Float32Array;
  let described: string;
  if (source === 'designed') {
    params = hiddenKMeansParams();
    described = 'hand-designed per-class k-means meta-parameters (src/inner/rules/hidden-kmeans.ts)';
  } else {
    if (!existsSync(source))
      throw new Error(`vsml-hidden: params=${source}: no such file (params=designed or params=FILE.json)`);
    params = parseHiddenRuleFile(readFileSync(source, 'utf8'), source);
    described = `rule file ${source}`;
  }
  return { config, params, stateSeed: int('stateSeed', 1) >>> 0, source: described };
}

export class HiddenLearner extends DeferredGpuLearner {
  readonly cost: HiddenCost;

  constructor(
    gpu: GpuContext,
    readonly spec: HiddenLearnerSpec,
    shape: StreamShape,
    progress?: (p: ProgressEvent) => void,
  ) {
    super(gpu, shape, shape.pixels, 'vsml-hidden', progress);
    this.cost = hiddenCost(spec.config);
  }

  protected async run(r: DeferredRun): Promise<Uint8Array> {
    const { onProgress, ...episode } = r;
    const out = await new HiddenPopulation(this.gpu, this.spec.config, 1).run(
      this.spec.params,
      { ...episode, stateSeeds: Uint32Array.of(this.spec.stateSeed) },
      { stepsPerSubmit: 256, onProgress },
    );
    return out.predictions;
  }

  describeConfig(): string {
    return `${describeHiddenConfig(this.spec.config)}; ${this.spec.source}; state seed ${this.spec.stateSeed}`;
  }
}

/** `vsml-hidden` learner of a method's parameters (METHODS in ./methods.ts loads this on demand). */
export async function createHiddenLearner(
  shape: StreamShape,
  p: Record<string, string>,
  // The part of bench/methods.ts's MethodContext it uses (that module loads this one on demand).
  ctx: { gpu(): Promise<GpuContext>; progress?: (p: ProgressEvent) => void },
): Promise<HiddenLearner> {
  const spec = hiddenSpec(shape, p);
  return new HiddenLearner(await ctx.gpu(), spec, shape, ctx.progress);
}
