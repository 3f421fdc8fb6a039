/**
 * The bench:speed page (demos/speed.html) in headless Chromium: it runs the same benchmark module
 * as `npm run bench:speed` on the page's WebGPU, with the smallest options (one configuration, one
 * learner, 4 steps, no generations), and prints the table; the TensorFlow.js peer runs there too.
 */
import { describe, expect, it } from 'vitest';
import { openPage } from '../src/app/chromium';
import { useBrowser, WAIT_MS } from './browser/fixture';

const env = useBrowser();

describe('bench:speed page', () => {
  it('runs a tiny sweep and prints the table with the adapter and ours / TF.js', async () => {
    const url = `${env().url}speed.html?configs=small&learners=1&repeats=1&steps=4&generations=none&run`;
    const { page, log } = await openPage(env().chromium.browser, url);
    try {
      await page.waitForFunction(() => ['done', 'error'].includes(document.body.dataset.state ?? ''), {
        timeout: WAIT_MS,
      });
      const text = await page.$eval('#out', (e) => e.textContent ?? '');
      expect(await page.evaluate(() => document.body.dataset.state), text).toBe('done');
      console.log(`[browser-speed]\n${text.split('\n(log)')[0]}`);
      expect(text).toMatch(/^adapter: .+ via browser/);
      expect(text).toMatch(/ceilings: FMA [\d.]+ GFLOP\/s/);
      expect(text).toMatch(/\nsmall\s+1\s+0\.504\s/);
      const report = await page.evaluate(() => window.speedReport!);
      expect(report.rows).toHaveLength(1);
      expect(report.rows[0].learnStepsPerSecond).toBeGreaterThan(0);
      // The marginal rate's baseline episodes ran (1 step; one query batch).
      expect(report.rows[0].learnBaseSeconds).toHaveLength(1);
      expect(report.rows[0].queryBaseSeconds).toHaveLength(1);
      expect(report.rows[0].learnEpisodeStepsPerSecond).toBeGreaterThan(0);
      expect(report.rows[0].oursOverTfjs).toBeGreaterThan(0);
      expect(report.checks[0].oursVsTfjs).toBeLessThan(2e-3);
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
