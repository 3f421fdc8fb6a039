/**
 * The kernel-check job, shared by the page and its worker: acquire the GPU, run rngFill, return
 * the raw words and the adapter report. Plain data only, so it crosses postMessage unchanged.
 */
import { acquireGpu } from '../../src/gpu/acquire';
import type { AdapterReport } from '../../src/gpu/context';
import { rngFill, type RngFillKind } from '../../src/kernels/rng-fill';

export interface KernelCheckArgs {
  kind: RngFillKind;
  key: [number, number];
  blocks: number;
  abc: [number, number, number];
  firstBlock: number;
}

export interface KernelCheckResult {
  adapter: AdapterReport;
  describe: string;
  words: Uint32Array;
  /** Where it ran: 'window' or 'worker'. */
  scope: string;
  ms: number;
}

export async function runKernelCheck(args: KernelCheckArgs): Promise<KernelCheckResult> {
  const t0 = performance.now();
  const gpu = await acquireGpu();
  try {
    const words = await rngFill(gpu, args.kind, args.key, args.blocks, args.abc, args.firstBlock);
    return {
      adapter: gpu.report,
      describe: gpu.describe(),
      words,
      scope: typeof window === 'undefined' ? 'worker' : 'window',
      ms: performance.now() - t0,
    };
  } finally {
    gpu.destroy();
  }
}
