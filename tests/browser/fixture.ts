/**
 * Vitest fixture: one Vite server and one Chromium per test file, torn down after, with bounded
 * timeouts. Use `const env = useBrowser()` at the top level and `env().browser` / `env().url` inside.
 */
import { afterAll, beforeAll } from 'vitest';
import { launchChromium, type LaunchedBrowser } from '../../src/app/chromium';
import { startDevServer, startPreviewServer, type TestServer } from '../../src/app/vite-server';

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
  }, 60_000);
  afterAll(async () => {
    await env?.chromium.close();
    await env?.server.close();
  }, 30_000);
  return () => {
    if (!env) throw new Error('browser fixture not initialised');
    return env;
  };
}
