/** Shared GPU fixture for tests: one context per test file, destroyed after. */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { SERVICES_REQUIRED } from './services';
import { acquireGpu, type AcquireOptions } from '../../src/gpu/acquire';
import type { GpuContext } from '../../src/gpu/context';
import { type ImageSplit, subsetSplit } from '../../src/data/dataset';
import { type GpuImageSplit, uploadImageSplit } from '../../src/data/gpu-dataset';
import { loadDataset } from '../../src/data/load-node';

/**
 * Call at the top level of a test file; use the returned getter inside tests. Without a usable
 * WebGPU adapter the file's tests are skipped with the reason (they fail under CI: see services.ts).
 */
export function useGpu(opts: AcquireOptions = {}): (() => GpuContext) & { missing: () => string | undefined } {
  let gpu: GpuContext | undefined;
  let missing: string | undefined;
  beforeAll(async () => {
    try {
      gpu = await acquireGpu(opts);
    } catch (e) {
      if (SERVICES_REQUIRED) throw e;
      missing = `no WebGPU adapter: ${(e as Error).message}`;
      console.warn(`skipping this file's GPU tests: ${missing}`);
    }
  });
  beforeEach((ctx) => {
    if (missing) ctx.skip(missing);
  });
  afterAll(() => gpu?.destroy());
  const get = () => {
    if (!gpu) throw new Error(missing ?? 'GPU fixture not initialised');
    return gpu;
  };
  /** Why there is no GPU (hooks of the file's own that need it return early on it). */
  get.missing = () => missing;
  return get;
}

/** Fill a buffer with a poison value (NaN bit pattern by default) so unwritten outputs are caught. */
export const POISON_U32 = 0x7fc0dead;

export function poisoned(count: number, word = POISON_U32): Uint32Array {
  return new Uint32Array(count).fill(word);
}

/** Max relative error |a-b| / max(|b|, floor), elementwise. */
export function maxRelError(got: ArrayLike<number>, want: ArrayLike<number>, floor = 1e-6): number {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), floor);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : Math.max(worst, e);
  }
  return worst;
}

/** The first `trainCount` / `testCount` MNIST examples, as CPU splits and uploaded to the file's GPU (filled in beforeAll). */
export interface MnistSubset {
  train: ImageSplit;
  test: ImageSplit;
  gTrain: GpuImageSplit;
  gTest: GpuImageSplit;
}

/** Call at the top level after useGpu; read the fields inside tests. */
export function useMnistSubset(gpu: ReturnType<typeof useGpu>, trainCount: number, testCount: number): MnistSubset {
  const d = {} as MnistSubset;
  beforeAll(async () => {
    if (gpu.missing()) return;
    const ds = await loadDataset('mnist');
    d.train = subsetSplit(ds.train, trainCount);
    d.test = subsetSplit(ds.test, testCount);
    d.gTrain = uploadImageSplit(gpu(), d.train);
    d.gTest = uploadImageSplit(gpu(), d.test);
  });
  return d;
}
