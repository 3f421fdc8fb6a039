/**
 * What the replay page shows of a decoded share link (built in its worker, runtime-agnostic so Node
 * tests check it): the learner, its sizes, and whether this page can replay it. The page replays
 * VSML learners only; a black-box LSTM link (config.lstm) is decoded, described and refused for
 * replay with a plain reason and the command that evaluates it instead.
 */
import { type DecodedShare, learnerStateBytes } from '../share';
import type { TrainConfig } from '../meta/train-config';
import { describeLstm, lstmParamLayout } from '../spec/lstm-config';
import { describeVsmlConfig, metaParamLayout } from '../spec/vsml-config';
import type { ShareSummary } from './replay-messages';

/** Why the page cannot replay an LSTM link, and what to run instead. */
export const LSTM_REPLAY_UNSUPPORTED =
  'This link holds a black-box LSTM learner. This page replays VSML learners only (the LSTM runs in Node): ' +
  'save the link to a file and run npm run bench:ordered -- --methods lstm:checkpoint=FILE for its OrderedMNIST score.';

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
    ...(lstm ? { lstm, unplayable: LSTM_REPLAY_UNSUPPORTED } : {}),
  };
}
