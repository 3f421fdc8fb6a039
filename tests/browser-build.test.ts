/**
 * `npm run build`: a static site with relative URLs and the MNIST files as assets, that works when
 * hosted under any path. Builds into a temporary folder (dist/ is left alone), serves it under
 * /hosted/deep/ with a plain static server, trains one generation there and replays the learner.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage, type LaunchedBrowser } from '../src/app/chromium';
import { REPO_ROOT, type TestServer, withTimeout } from '../src/app/vite-server';
import { mnistDir } from '../src/data/load-node';
import { presetConfig } from '../src/meta/train-config';
import { WAIT_MS } from './browser/fixture';
import { serveStatic } from './browser/static-server';

const out = mkdtempSync(join(tmpdir(), 'vsml-build-test-'));
let server: TestServer | undefined;
let chromium: LaunchedBrowser | undefined;

beforeAll(async () => {
  await withTimeout(
    build({
      configFile: join(REPO_ROOT, 'vite.config.ts'),
      logLevel: 'error',
      build: { outDir: out, emptyOutDir: true },
    }),
    WAIT_MS,
    'vite build',
  );
  server = await serveStatic(out, '/hosted/deep/');
  chromium = await launchChromium();
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  rmSync(out, { recursive: true, force: true });
});

describe('the built site', () => {
  it('has the five pages, relative URLs only, and the MNIST files', () => {
    for (const page of ['index.html', 'replay.html', 'demos.html', 'kernel-check.html', 'speed.html']) {
      const html = readFileSync(join(out, page), 'utf8');
      const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
      expect(urls.length).toBeGreaterThan(0);
      for (const u of urls) expect(u, `${page}: ${u}`).toMatch(/^(\.\/|data:)/);
    }
    for (const f of readdirSync(mnistDir())) {
      expect(statSync(join(out, 'data', 'mnist', f)).size).toBe(statSync(join(mnistDir(), f)).size);
    }
    // No Node-only code in the browser bundles.
    for (const f of readdirSync(join(out, 'assets')).filter((x) => x.endsWith('.js'))) {
      expect(readFileSync(join(out, 'assets', f), 'utf8'), f).not.toMatch(/from\s*["']node:|require\(["']node:/);
    }
  });

  it('trains and replays when hosted under a sub-path', async () => {
    const { page, log } = await openPage(chromium!.browser, `${server!.url}index.html`);
    try {
      const ready = await page.evaluate(
        () => (window as unknown as { vsmlApp: { ready: Promise<{ ok: boolean }> } }).vsmlApp.ready,
      );
      expect(ready.ok).toBe(true);
      const config = { ...presetConfig('tiny'), generations: 1 };
      type App = { vsmlApp: { start(o: unknown): Promise<string>; share(b: number): Promise<{ url: string }> } };
      const outcome = await page.evaluate(
        (c) =>
          (window as unknown as App).vsmlApp.start({
            config: c,
            probe: { every: 1, learnPerClass: 5, testPerClass: 5 },
          }),
        config as unknown as Record<string, unknown>,
      );
      expect(outcome).toBe('completed');
      const { url } = await page.evaluate(() => (window as unknown as App).vsmlApp.share(8));
      expect(url.startsWith(`${server!.url}replay.html#s=`)).toBe(true);
      await page.goto(url.replace('replay.html#', 'replay.html?learn=5&test=5#'), { waitUntil: 'load' });
      await page.waitForFunction(() => ['done', 'error', 'no-gpu'].includes(document.body.dataset.state ?? ''), {
        timeout: WAIT_MS,
      });
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
      // The demos page's links resolve under the sub-path too.
      await page.goto(`${server!.url}demos.html`, { waitUntil: 'load' });
      const href = await page.$eval('a.replay-link', (a) => (a as HTMLAnchorElement).href);
      expect(href.startsWith(`${server!.url}replay.html#s=`)).toBe(true);
      await page.goto(href.replace('replay.html#', 'replay.html?autoplay=0#'), { waitUntil: 'load' });
      await page.waitForFunction(() => ['ready', 'error', 'no-gpu'].includes(document.body.dataset.state ?? ''), {
        timeout: WAIT_MS,
      });
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
