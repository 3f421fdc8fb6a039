/**
 * What the replay page shows of a decoded share link (built in its worker, runtime-agnostic so Node
 * tests check it): the learner, its sizes, and whether this page can replay it. A black-box LSTM
 * link (config.lstm) plays when it fits MNIST the way the scoreboard's `lstm` method applies it
 * (10 classes; whole 784-pixel images, or pixel subsets of 28 x 28 images: one fixed seeded
 * subset); otherwise the summary carries the reason, shown instead of Play.
 */
import { type DecodedShare, type ShareConfig, learnerStateBytes } from '../share';
import { DEFAULT_PIXEL_SEED, knownDatasetPixels, lstmInputMapping } from '../bench/lstm-input';
import type { StreamShape } from '../inner/learner';
import type { TrainConfig } from '../meta/train-config';
import { describeLstm, lstmParamLayout } from '../spec/lstm-config';
import { describeVsmlConfig, metaParamLayout } from '../spec/vsml-config';
import type { ShareSummary } from './replay-messages';

/** The replay page's stream: MNIST (28 x 28 pixels, 10 classes). */
export const REPLAY_STREAM: StreamShape = { rows: 28, cols: 28, pixels: 784, numClasses: 10 };

/**
 * How the replay page feeds a shared LSTM MNIST images: the scoreboard's mapping
 * (src/bench/lstm-input.ts, pixel seed DEFAULT_PIXEL_SEED), from the link's training config.
 * Throws the reason when it cannot.
 */
export function lstmReplayInput(config: ShareConfig): { pixels: Uint32Array | null } {
  const lstm = config.lstm;
  if (!lstm) throw new Error('not an LSTM link');
  const t = config.train as TrainConfig | undefined;
  if (!t) throw new Error('the link carries no training config, so how the LSTM reads images is unknown');
  const subset = t.tasks.pixelSubset;
  const imagePixels = subset > 0 ? knownDatasetPixels(t.dataset) : lstm.inputSize;
  const what = `the ${describeLstm(lstm)} (meta-trained on ${t.dataset})`;
  if (imagePixels === undefined) {
    // The classes decide first: a wrong class count is the plainer reason (the mapping throws it).
    if (lstm.classes !== REPLAY_STREAM.numClasses)
      lstmInputMapping(lstm, { imagePixels: REPLAY_STREAM.pixels, pixelSubset: subset, what }, REPLAY_STREAM, 1);
    throw new Error(`it was meta-trained on pixel subsets of ${t.dataset}, whose image size this page cannot check`);
  }
  return lstmInputMapping(lstm, { imagePixels, pixelSubset: subset, what }, REPLAY_STREAM, DEFAULT_PIXEL_SEED);
}

export function shareSummary(d: DecodedShare): ShareSummary {
  const v = d.config.vsml;
  const lstm = d.config.lstm;
  return {
    vsml: v,
    describe: lstm ? `black-box ${describeLstm(lstm)} (sized from ${describeVsmlConfig(v)})` : describeVsmlConfig(v),
    dim: lstm ? lstmParamLayout(lstm).size : metaParamLayout(v).size,
    learner: d.learner,
    note: d.config.note ?? {},
    train: d.config.train as TrainConfig | undefined,
    sizes: d.sizes,
    stateSeed: d.stateSeed,
    stateBytes: lstm ? 2 * 4 * lstm.hidden : learnerStateBytes(v),
    outputs: lstm ? lstm.classes : v.layers[v.layers.length - 1],
    ...(lstm ? { lstm, ...lstmPlayability(d.config) } : {}),
  };
}

/** A playable LSTM link says how it reads images; an unplayable one why not. */
function lstmPlayability(config: ShareConfig): { lstmInput?: string; unplayable?: string } {
  try {
    const { pixels } = lstmReplayInput(config);
    return {
      lstmInput: pixels
        ? `a fixed ${pixels.length}-pixel subset of each image (pixel seed ${DEFAULT_PIXEL_SEED}, as on the scoreboard)`
        : 'every pixel',
    };
  } catch (e) {
    return {
      unplayable: `This page cannot play this black-box LSTM learner: ${(e as Error).message.replace(/^lstm: /, '')}`,
    };
  }
}
