/**
 * Node side of the browser app (used by tests and by `npm run train:browser`).
 * A Vite server for browser tests: the dev server (serves demos/ and src/ on the fly) or a preview
 * server over a finished build (dist/), on 127.0.0.1 with an OS-assigned port. URLs use
 * "localhost" so the page is a secure context (WebGPU needs one).
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, preview, type PreviewServer, type ViteDevServer } from 'vite';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG = join(REPO_ROOT, 'vite.config.ts');

export interface TestServer {
  /** Base URL ending in '/', e.g. http://localhost:41234/ */
  url: string;
  close(): Promise<void>;
}

function portOf(server: ViteDevServer | PreviewServer): number {
  const addr = server.httpServer?.address();
  if (!addr || typeof addr === 'string') throw new Error('vite server has no TCP address');
  return addr.port;
}

/** Rejects after `ms` with a message naming `what` (so a stuck step fails instead of hanging). */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Vite dev server without file watching or HMR (tests never edit files). */
export async function startDevServer(): Promise<TestServer> {
  const server = await createServer({
    configFile: CONFIG,
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port: 0, strictPort: false, watch: null, hmr: false },
  });
  await withTimeout(server.listen(), 20_000, 'vite dev server start');
  return {
    url: `http://localhost:${portOf(server)}/`,
    close: () => withTimeout(server.close(), 10_000, 'vite dev server close').catch(() => undefined),
  };
}

/** Preview server over an existing build in `outDir` (default dist/). */
export async function startPreviewServer(outDir = join(REPO_ROOT, 'dist')): Promise<TestServer> {
  const server = await withTimeout(
    preview({
      configFile: CONFIG,
      logLevel: 'error',
      // Absolute: Vite resolves a relative outDir against its root (demos/), not the cwd.
      build: { outDir: resolve(outDir) },
      preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
    }),
    20_000,
    'vite preview start',
  );
  return {
    url: `http://localhost:${portOf(server)}/`,
    close: () =>
      withTimeout(
        new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
        10_000,
        'vite preview close',
      ).catch(() => undefined),
  };
}
