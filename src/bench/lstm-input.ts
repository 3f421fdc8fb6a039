/**
 * How a black-box LSTM meta-learner reads images of another shape (runtime-agnostic: the scoreboard
 * adapter ./lstm-adapter.ts and the replay page both use it). See lstm-adapter.ts for the rules:
 * same classes as the stream; whole images of the stream's size, or, when meta-trained on random
 * pixel subsets of images of the stream's size, one fixed draw of the same distribution from
 * `pixelSeed`.
 */
import type { StreamShape } from '../inner/learner';
import { randomPixelSubset } from '../meta/tasks';
import { PhiloxStream, RNG_DOMAIN } from '../rng/philox';
import type { LstmLearnerConfig } from '../spec/lstm-config';

/** Pixel-subset seed when none is named (scoreboard method and replay page). */
export const DEFAULT_PIXEL_SEED = 1;

/** An untrained `lstm:hidden=H` row's pixels and init seed when not given (the scoreboard LSTM's 64 pixels). */
export const UNTRAINED_DEFAULTS = { inputs: 64, seed: 1 };

/**
 * Counter words of the deployed subset's Philox stream (key: pixelSeed, taskSampling). Training
 * tasks use (generation, task) with generation < 2^31, so this stream is never a training task's.
 */
const DEPLOY_COUNTER = 0xfffffffe;

/** The fixed subset of `n` of `total` pixels an LSTM trained on pixel subsets reads when deployed. */
export function deployedPixels(total: number, n: number, pixelSeed: number): Uint32Array {
  return randomPixelSubset(total, n, new PhiloxStream(pixelSeed >>> 0, RNG_DOMAIN.taskSampling, DEPLOY_COUNTER, 0));
}

/** What the learner was meta-trained on, as far as its input mapping is concerned. */
export interface LstmTrainedShape {
  /** Pixels per training image. */
  imagePixels: number;
  /** tasks.pixelSubset of the run (0: whole images). */
  pixelSubset: number;
  /** For errors: where the shape comes from. */
  what: string;
}

/** Decide how `config` reads `stream` (see the file comment); throws naming both shapes when it cannot. */
export function lstmInputMapping(
  config: LstmLearnerConfig,
  trained: LstmTrainedShape,
  stream: StreamShape,
  pixelSeed: number,
): { pixels: Uint32Array | null; pixelSeed: number | null } {
  const streamShape = `${stream.rows}x${stream.cols} = ${stream.pixels}-pixel images, ${stream.numClasses} classes`;
  if (config.classes !== stream.numClasses)
    throw new Error(
      `lstm: ${trained.what} outputs ${config.classes} classes, the stream has ${streamShape}: an LSTM's head fixes its classes (meta-train it with ${stream.numClasses} output units)`,
    );
  if (trained.pixelSubset > 0) {
    if (trained.imagePixels !== stream.pixels)
      throw new Error(
        `lstm: ${trained.what} read ${trained.pixelSubset}-pixel subsets of ${trained.imagePixels}-pixel training images, the stream has ${streamShape}`,
      );
    return { pixels: deployedPixels(stream.pixels, config.inputSize, pixelSeed), pixelSeed };
  }
  if (config.inputSize !== stream.pixels)
    throw new Error(
      `lstm: ${trained.what} reads whole ${config.inputSize}-pixel images, the stream has ${streamShape}`,
    );
  return { pixels: null, pixelSeed: null };
}

/** Image pixels of the datasets every runtime knows by name (the replay page cannot load others to check). */
export function knownDatasetPixels(dataset: string): number | undefined {
  return dataset === 'mnist' || dataset === 'fashion-mnist' ? 28 * 28 : undefined;
}
