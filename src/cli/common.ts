/** Pieces several entry scripts share: running main, a lazily acquired GPU, MNIST on the GPU, run directories. */
import { join } from 'node:path';
import { type ImageSplit, subsetSplit } from '../data/dataset';
import { type GpuImageSplit, uploadImageSplit } from '../data/gpu-dataset';
import { loadDataset } from '../data/load-node';
import type { GpuContext } from '../gpu/context';
import { UsageError } from './args';

/**
 * Runs a script's async main and exits with the code it returns (default 0); an error prints its
 * message, without a stack trace, and exits 1 (2 for a UsageError: a bad option value). Exiting explicitly also ends scripts whose
 * libraries (Dawn, Vite) leave handles open.
 */
export function runMain(name: string, main: () => Promise<number | void>): void {
  main().then(
    (code) => process.exit(code ?? 0),
    (err) => {
      console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}

export interface LazyGpu {
  /** The GPU, acquired on the first call (its adapter logged to stderr). */
  get(): Promise<GpuContext>;
  /** The adapter's description once acquired (kept after destroy, for reports). */
  readonly adapter: string | null;
  destroy(): void;
}

/** A GPU acquired only when a method needs one: CPU-only runs never load the WebGPU adapter. */
export function lazyGpu(): LazyGpu {
  let gpu: GpuContext | null = null;
  let adapter: string | null = null;
  return {
    async get() {
      if (!gpu) {
        const { acquireGpu } = await import('../gpu/acquire');
        gpu = await acquireGpu();
        adapter = gpu.describe();
        console.error(`GPU adapter: ${adapter}`);
      }
      return gpu;
    },
    get adapter() {
      return adapter;
    },
    destroy() {
      gpu?.destroy();
      gpu = null;
    },
  };
}

/**
 * MNIST's first `trainCount` training and `testCount` test images on the GPU, the inputs of the
 * speed benchmarks; `map` reshapes a split first (e.g. a configuration's input size).
 */
export async function mnistOnGpu(
  gpu: GpuContext,
  trainCount: number,
  testCount: number,
  map: (s: ImageSplit) => ImageSplit = (s) => s,
): Promise<{ train: GpuImageSplit; test: GpuImageSplit }> {
  const ds = await loadDataset('mnist');
  return {
    train: uploadImageSplit(gpu, map(subsetSplit(ds.train, trainCount))),
    test: uploadImageSplit(gpu, map(subsetSplit(ds.test, testCount))),
  };
}

/** `runs/<prefix>-YYYYMMDD-HHMMSS` (UTC): a fresh run's default output directory. */
export function timestampedRunDir(prefix: string): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return join('runs', `${prefix}-${t}`);
}
