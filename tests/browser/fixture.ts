/**
 * Vitest fixture: one Vite server and one Chromium per test file, torn down after, with bounded
 * timeouts. Use `const env = useBrowser()` at the top level and `env().browser` / `env().url` inside.
 */
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../../src/app/chromium';
import { startDevServer, startPreviewServer, type TestServer } from '../../src/app/vite-server';

/**
 * How long a browser test waits for a page state before failing. Waits are safety nets against a
 * hang, not speed checks: a loaded 2-core machine must not fail a wait that would have succeeded,
 * so every wait uses this one generous bound (below Vitest's 180 s test timeout, so that a hang
 * still fails with the wait's own message).
 */
export const WAIT_MS = 150_000;

export interface BrowserEnv {
  server: TestServer;
  chromium: LaunchedBrowser;
  url: string;
}

export function useBrowser(opts: { preview?: string } = {}): () => BrowserEnv {
  let env: BrowserEnv | undefined;
  beforeAll(async () => {
    const server = opts.preview !== undefined ? await startPreviewServer(opts.preview) : await startDevServer();
    try {
      const chromium = await launchChromium();
      env = { server, chromium, url: server.url };
    } catch (e) {
      await server.close();
      throw e;
    }
  }, WAIT_MS);
  afterAll(async () => {
    await env?.chromium.close();
    await env?.server.close();
  }, 30_000);
  return () => {
    if (!env) throw new Error('browser fixture not initialised');
    return env;
  };
}
