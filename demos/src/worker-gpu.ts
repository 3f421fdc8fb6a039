/** The one GPU of a page's worker: acquired on first use, acquired again after a device loss. */
import { acquireGpu } from '../../src/gpu/acquire';
import type { GpuContext } from '../../src/gpu/context';
import type { InitResult } from '../../src/pages/train-messages';

let gpu: GpuContext | null = null;

export async function ensureGpu(): Promise<GpuContext> {
  if (gpu && !gpu.isLost) return gpu;
  gpu = await acquireGpu();
  return gpu;
}

/** A worker API's init(): the adapter report, or why there is no WebGPU. */
export async function initGpu(): Promise<InitResult> {
  try {
    const g = await ensureGpu();
    return { ok: true, adapter: g.report, describe: g.describe() };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
