/**
 * The replay page plays a black-box LSTM share link in headless Chromium (WebGPU on SwiftShader
 * here): the scoreboard LSTM's checkpoint, shared and opened with `npm run replay:browser`, reaches
 * the page's final status with the accuracy the page's LSTM runner computes in Node on the same
 * stream (tests/lstm-replay.test.ts checks that runner against the scoreboard adapter bit for bit).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { LstmOrderedRunner, orderedStream } from '../demos/src/ordered-replay';
import { replayBrowserMain } from '../src/cli/replay-browser';
import { loadDataset } from '../src/data/load-node';
import { decodeCheckpoint } from '../src/meta/checkpoint';
import { lstmReplayInput } from '../src/pages/share-summary';
import { decodeShare, shareCheckpoint } from '../src/share';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();
const FILE = 'results/train-ordered-lstm/checkpoint.json';

describe('LSTM link on the replay page (headless Chromium)', () => {
  it.skipIf(!existsSync(FILE))(
    'plays to the final status with the Node runner accuracy',
    async () => {
      // The page's default share for a checkpoint is exact f32 (npm run share's default), as here.
      const c = decodeCheckpoint(readFileSync(FILE, 'utf8'), FILE);
      const link = await decodeShare((await shareCheckpoint(c, 32)).fragment);
      const runner = new LstmOrderedRunner(
        gpu(),
        link.config.lstm!,
        lstmReplayInput(link.config).pixels,
        orderedStream(await loadDataset('mnist'), 10, 20, 5),
      );
      let accuracy: number;
      try {
        accuracy = (await runner.run(link.params, link.stateSeed)).accuracy;
      } finally {
        runner.destroy();
      }
      const out: string[] = [];
      const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
      const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
      let code: number;
      try {
        code = await replayBrowserMain([FILE, '--learn', '20', '--test', '5', '--timeout', '150']);
      } finally {
        log.mockRestore();
        err.mockRestore();
      }
      expect(code, out.join('\n')).toBe(0);
      const final = out.find((l) => l.startsWith('final: '));
      expect(final, out.join('\n')).toContain(
        `${(100 * accuracy).toFixed(2)}% test accuracy on 50 images after 200 class-sorted training examples`,
      );
    },
    170_000,
  );
});
