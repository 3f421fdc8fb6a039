/**
 * The black-box LSTM meta-learner (src/spec/lstm-config.ts) on the OrderedMNIST protocol: method
 * `lstm`, e.g. `lstm:checkpoint=results/train-ordered-lstm/checkpoint.json:label=lstm-es`.
 *
 *   checkpoint=FILE   a training checkpoint with learnerKind 'lstm' (FILE#final is accepted and
 *                     means the same: LSTM runs keep no best-by-validation parameters), or a file
 *                     holding an LSTM share link
 *   hidden=H          without a checkpoint: an UNTRAINED LSTM (initLstmParams), H hidden units
 *   inputs=N          untrained only: pixels it reads (default 64, the scoreboard LSTM's)
 *   seed=S            untrained only: the parameters' init seed (default 1)
 *   pixelSeed=S       seed of the fixed pixel subset (default 1; see below)
 *
 * How a learner meta-trained on another input shape is applied. An LSTM's weights fix its input
 * size and classes, so unlike VSML it cannot be widened:
 * - classes: it must have been meta-trained with as many outputs as the stream has classes (10);
 *   tasks with fewer classes are fine (label permutation spreads them over all outputs).
 * - inputs: trained on whole images, it must read exactly the stream's pixels. Trained on random
 *   pixel subsets (tasks.pixelSubset: every task shows a fresh uniform draw of N positions of the
 *   training images, ascending), it reads ONE fixed draw from that same distribution, made from
 *   `pixelSeed` by the task sampler's own routine (randomPixelSubset), provided its training
 *   images had as many pixels as the stream's. The seed is 4 bytes of algorithm.
 * Anything else is refused with an error naming both shapes.
 *
 * Like the VSML adapter (./vsml-adapter.ts) it defers the GPU work: learn() stages each example's
 * read pixels (a transport buffer, not learner state), and the first predict() runs one
 * LstmPopulation learner over the stream from the zero state, then the queries from the frozen
 * state; the deferred learning time is reported as learning time, re-runs as extra compute.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { GpuContext } from '../gpu/context';
import type { StreamShape } from '../inner/learner';
import { LstmPopulation } from '../inner/lstm-population';
import { lstmOf } from '../meta/learner-kind';
import type { TrainConfig } from '../meta/train-config';
import {
  type LstmCost,
  type LstmLearnerConfig,
  describeLstm,
  initLstmParams,
  lstmCost,
  lstmParamLayout,
} from '../spec/lstm-config';
import { type DeferredRun, DeferredGpuLearner, runOneLearner } from './deferred-learner';
import type { ProgressEvent } from './ordered-mnist';
import { DEFAULT_PIXEL_SEED, UNTRAINED_DEFAULTS, lstmInputMapping } from './lstm-input';

// The input mapping lives in ./lstm-input.ts (runtime-agnostic: the replay page uses it too).
export {
  DEFAULT_PIXEL_SEED,
  UNTRAINED_DEFAULTS,
  deployedPixels,
  lstmInputMapping,
  type LstmTrainedShape,
} from './lstm-input';

export interface LstmLearnerSpec {
  config: LstmLearnerConfig;
  params: Float32Array;
  /** Image positions read, ascending (a fixed subset), or null: every pixel in order. */
  pixels: Uint32Array | null;
  pixelSeed: number | null;
  /** False for random-init parameters (the row must say so). */
  trained: boolean;
  source: string;
}

function intParam(p: Record<string, string>, key: string, fallback: number, min = 0): number {
  if (p[key] === undefined) return fallback;
  const v = Number(p[key]);
  if (!Number.isInteger(v) || v < min || v > 0xffffffff)
    throw new Error(`lstm: ${key}=${p[key]} is not an integer >= ${min}`);
  return v;
}

/** Image pixels of a training dataset (its train split), for the input-shape check. */
async function datasetPixels(dataset: string): Promise<number> {
  const { loadDataset } = await import('../data/load-node');
  const d = await loadDataset(dataset);
  return d.train.rows * d.train.cols;
}

/** The learner spec of a method's parameters (see the file comment). */
export async function loadLstmSpec(shape: StreamShape, p: Record<string, string>): Promise<LstmLearnerSpec> {
  const pixelSeed = intParam(p, 'pixelSeed', DEFAULT_PIXEL_SEED);
  const arg = p.checkpoint;
  if (arg === undefined) {
    if (p.hidden === undefined)
      throw new Error('lstm: needs checkpoint=FILE (a trained LSTM) or hidden=H (an untrained one)');
    const config: LstmLearnerConfig = {
      inputSize: intParam(p, 'inputs', UNTRAINED_DEFAULTS.inputs, 1),
      classes: shape.numClasses,
      hidden: intParam(p, 'hidden', 0, 1),
    };
    const seed = intParam(p, 'seed', UNTRAINED_DEFAULTS.seed);
    // An untrained LSTM reading fewer pixels than the images have reads a fixed subset, as a trained one would.
    const subset = config.inputSize < shape.pixels ? config.inputSize : 0;
    const map = lstmInputMapping(
      config,
      { imagePixels: shape.pixels, pixelSubset: subset, what: `the untrained ${describeLstm(config)}` },
      shape,
      pixelSeed,
    );
    return {
      config,
      params: initLstmParams(config, seed),
      ...map,
      trained: false,
      source: `UNTRAINED: random initLstmParams(seed ${seed})`,
    };
  }
  for (const k of ['hidden', 'inputs', 'seed'])
    if (p[k] !== undefined) throw new Error(`lstm: ${k}= applies to an untrained LSTM, not with checkpoint=`);
  const file = arg.endsWith('#final') ? arg.slice(0, -6) : arg;
  if (!existsSync(file)) throw new Error(`lstm: checkpoint=${arg}: no such file`);
  const text = readFileSync(file, 'utf8').trim();
  if (!text.startsWith('{')) {
    const { decodeShare } = await import('../share');
    const s = await decodeShare(text);
    const config = s.config.lstm;
    if (!config)
      throw new Error(
        `lstm: ${file} is a share link of a VSML learner: evaluate it with --checkpoint ${file} (method vsml)`,
      );
    if (!s.config.train)
      throw new Error(
        `lstm: the share link in ${file} carries no training config, so how the LSTM reads images is unknown`,
      );
    const t = s.config.train as TrainConfig;
    const map = lstmInputMapping(
      config,
      {
        imagePixels: t.tasks.pixelSubset > 0 ? await datasetPixels(t.dataset) : config.inputSize,
        pixelSubset: t.tasks.pixelSubset,
        what: `the shared ${describeLstm(config)}`,
      },
      shape,
      pixelSeed,
    );
    return {
      config,
      params: s.params,
      ...map,
      trained: true,
      source: `LSTM share link ${file} (${s.sizes.fragmentChars} chars, parameters as the link carries them)`,
    };
  }
  const { decodeCheckpoint } = await import('../meta/checkpoint');
  const c = decodeCheckpoint(text, file);
  if (c.config.learnerKind !== 'lstm')
    throw new Error(
      `lstm: ${file} holds a VSML learner (learnerKind '${c.config.learnerKind}'): evaluate it with --checkpoint ${file} (method vsml)`,
    );
  const config = lstmOf(c.config);
  const t = c.config.tasks;
  const map = lstmInputMapping(
    config,
    {
      imagePixels: t.pixelSubset > 0 ? await datasetPixels(c.config.dataset) : config.inputSize,
      pixelSubset: t.pixelSubset,
      what: `checkpoint ${file} (${describeLstm(config)}, meta-trained on ${c.config.dataset})`,
    },
    shape,
    pixelSeed,
  );
  return {
    config,
    params: c.metaParams,
    ...map,
    trained: true,
    source: `checkpoint ${file} (generation ${c.generation})`,
  };
}

export function describeLstmSpec(s: LstmLearnerSpec): string {
  const input = s.pixels ? `a fixed ${s.pixels.length}-pixel subset (pixel seed ${s.pixelSeed})` : 'every pixel';
  return `${describeLstm(s.config)}, ${lstmParamLayout(s.config).size} meta-parameters, reads ${input}; ${s.source}`;
}

export class LstmLearner extends DeferredGpuLearner {
  readonly cost: LstmCost;

  constructor(
    gpu: GpuContext,
    readonly spec: LstmLearnerSpec,
    shape: StreamShape,
    progress?: (p: ProgressEvent) => void,
  ) {
    super(gpu, shape, spec.config.inputSize, 'lstm', progress);
    const D = lstmParamLayout(spec.config).size;
    if (spec.params.length !== D)
      throw new Error(`lstm: ${spec.params.length} parameters, ${describeLstm(spec.config)} needs ${D}`);
    this.cost = lstmCost(spec.config, spec.pixels !== null);
  }

  /** The pixels this learner reads of `image` (its fixed subset, or all of them). */
  protected override input(image: Uint8Array, out: Uint8Array, at: number): void {
    const px = this.spec.pixels;
    if (!px) return super.input(image, out, at);
    if (image.length !== this.shape.pixels)
      throw new Error(`expected a ${this.shape.pixels}-pixel image, got ${image.length} bytes`);
    for (let j = 0; j < px.length; j++) out[at + j] = image[px[j]];
  }

  protected run(r: DeferredRun): Promise<Uint8Array> {
    const { gpu, spec } = this;
    return runOneLearner(
      gpu,
      'lstm meta-params',
      spec.params,
      (shape) => LstmPopulation.create(gpu, spec.config, shape),
      r,
      0,
    );
  }

  describeConfig(): string {
    return describeLstmSpec(this.spec);
  }
}

/** `lstm` learner of a method's parameters (METHODS in ./methods.ts loads this on demand). */
export async function createLstmLearner(
  shape: StreamShape,
  p: Record<string, string>,
  // The part of bench/methods.ts's MethodContext it uses (that module loads this one on demand).
  ctx: { gpu(): Promise<GpuContext>; progress?: (p: ProgressEvent) => void },
): Promise<LstmLearner> {
  const spec = await loadLstmSpec(shape, p);
  return new LstmLearner(await ctx.gpu(), spec, shape, ctx.progress);
}
