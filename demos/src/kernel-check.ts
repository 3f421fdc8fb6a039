/**
 * Kernel-check page: exposes window.kernelCheck = { main(args), worker(args) } for the browser
 * tests (puppeteer calls them with page.evaluate), and runs one small check on load for humans.
 */
import * as Comlink from 'comlink';
import { runKernelCheck, type KernelCheckArgs, type KernelCheckResult } from './kernel-check-core';
import type { KernelCheckWorkerApi } from './kernel-check-worker';

/** Typed arrays do not survive page.evaluate's JSON; tests get plain number arrays. */
interface PlainResult extends Omit<KernelCheckResult, 'words'> {
  words: number[];
}

const plain = (r: KernelCheckResult): PlainResult => ({ ...r, words: Array.from(r.words) });

async function inWorker(args: KernelCheckArgs): Promise<PlainResult> {
  const worker = new Worker(new URL('./kernel-check-worker.ts', import.meta.url), { type: 'module' });
  try {
    const api = Comlink.wrap<KernelCheckWorkerApi>(worker);
    return plain(await api.runKernelCheck(args));
  } finally {
    worker.terminate();
  }
}

declare global {
  interface Window {
    kernelCheck: {
      main(args: KernelCheckArgs): Promise<PlainResult>;
      worker(args: KernelCheckArgs): Promise<PlainResult>;
    };
  }
}

window.kernelCheck = { main: async (args) => plain(await runKernelCheck(args)), worker: inWorker };

const out = document.getElementById('out')!;
runKernelCheck({ kind: 'u32', key: [1, 2], blocks: 4, abc: [0, 0, 0], firstBlock: 0 })
  .then((r) => {
    out.textContent = `adapter: ${r.describe}\nfirst words: ${Array.from(r.words.subarray(0, 4), (w) => w.toString(16)).join(' ')}`;
    document.body.dataset.state = 'ready';
  })
  .catch((e: unknown) => {
    out.textContent = `error: ${(e as Error).message}`;
    document.body.dataset.state = 'error';
  });
