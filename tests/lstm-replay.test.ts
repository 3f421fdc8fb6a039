/**
 * The replay page's LSTM path without a browser: a scoreboard LSTM checkpoint shared as an exact
 * link, decoded, mapped to MNIST as the page does (lstmReplayInput) and played by the page's
 * LstmOrderedRunner on a class-sorted MNIST stream, gives the same test predictions, bit for bit,
 * as the scoreboard's `lstm` method (src/bench/lstm-adapter.ts) on the same stream. Both run the
 * same kernels on the same inputs, so equality (not a tolerance) is the claim.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LstmOrderedRunner, orderedStream } from '../demos/src/ordered-replay';
import { LstmLearner, loadLstmSpec } from '../src/bench/lstm-adapter';
import { loadDataset } from '../src/data/load-node';
import { decodeCheckpoint } from '../src/meta/checkpoint';
import { lstmReplayInput, shareSummary, REPLAY_STREAM } from '../src/pages/share-summary';
import { decodeShare, shareCheckpoint } from '../src/share';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();
const FILE = 'results/train-ordered-lstm/checkpoint.json';

describe('LSTM replay == LSTM scoreboard row', () => {
  it.skipIf(!existsSync(FILE))(
    `${FILE}: link -> page runner predictions equal the bench adapter's`,
    async () => {
      const ds = await loadDataset('mnist');
      const stream = orderedStream(ds, 10, 20, 5);
      const c = decodeCheckpoint(readFileSync(FILE, 'utf8'), FILE);
      const link = await decodeShare((await shareCheckpoint(c, 32)).fragment);
      expect(shareSummary(link).unplayable).toBeUndefined();
      const runner = new LstmOrderedRunner(gpu(), link.config.lstm!, lstmReplayInput(link.config).pixels, stream);
      let replay;
      try {
        replay = await runner.run(link.params, link.stateSeed);
      } finally {
        runner.destroy();
      }
      const spec = await loadLstmSpec(REPLAY_STREAM, { checkpoint: FILE });
      const learner = new LstmLearner(gpu(), spec, REPLAY_STREAM);
      const px = 28 * 28;
      for (let i = 0; i < stream.learnCount; i++)
        learner.learn(stream.split.images.slice(i * px, (i + 1) * px), stream.labels[i]);
      const tests = stream.split.images.slice(stream.learnCount * px);
      const bench = await learner.freeze().predictor.predict(tests, stream.testCount);
      expect(Array.from(replay.testPredictions)).toEqual(Array.from(bench));
      expect(replay.testPredictions.length).toBe(50);
    },
    120_000,
  );
});
