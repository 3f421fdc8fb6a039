/**
 * Loading an IDX dataset over HTTP(S) or from a relative URL: works in the browser, in workers and
 * in Node (global fetch). The four standard file names, raw or gzipped (".gz" tried second).
 */
import { type Dataset, splitFromIdx } from './dataset';

export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

async function fetchFirst(base: string, file: string): Promise<{ url: string; bytes: Uint8Array }> {
  const tried: string[] = [];
  for (const name of [file, `${file}.gz`]) {
    const url = `${base.replace(/\/$/, '')}/${name}`;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      tried.push(`${url} (${(e as Error).message})`);
      continue;
    }
    if (res.ok) return { url, bytes: new Uint8Array(await res.arrayBuffer()) };
    tried.push(`${url} (HTTP ${res.status})`);
  }
  throw new Error(`dataset file ${file} could not be fetched: ${tried.join(', ')}`);
}

/** Load train and test splits from `base` (a URL prefix, e.g. "./data/mnist"). */
export async function loadIdxUrl(base: string, name = base): Promise<Dataset> {
  const [ti, tl, si, sl] = await Promise.all(
    [IDX_FILES.trainImages, IDX_FILES.trainLabels, IDX_FILES.testImages, IDX_FILES.testLabels].map((f) =>
      fetchFirst(base, f),
    ),
  );
  return {
    name,
    train: await splitFromIdx(`${name}/train`, ti.bytes, tl.bytes, ti.url, tl.url),
    test: await splitFromIdx(`${name}/test`, si.bytes, sl.bytes, si.url, sl.url),
  };
}
