/**
 * The adapter's own ceilings, measured in the same run as the VSML kernels: the FMA rate of
 * src/kernels/ceiling-fma.ts and the copy bandwidth of src/kernels/ceiling-copy.ts. Each is
 * calibrated so one timed submission lasts about `targetSeconds`, then timed `repeats` times
 * (wall clock from submit to queue idle; median).
 */
import type { GpuContext } from '../../gpu/context';
import { CopyCeiling } from '../../kernels/ceiling-copy';
import { FmaCeiling, fmaCeilingInputs } from '../../kernels/ceiling-fma';
import { PhiloxStream } from '../../rng/philox';
import { median } from '../step-measure';

export interface Ceilings {
  fmaGflops: number;
  /** Every repeat's GFLOP/s. */
  fmaRuns: number[];
  fmaThreads: number;
  fmaIters: number;
  fmaDispatches: number;
  copyGBps: number;
  copyRuns: number[];
  copyBytesPerDispatch: number;
  copyDispatches: number;
  timing: 'wall-clock';
}

export interface CeilingOptions {
  repeats: number;
  targetSeconds: number;
  /** Threads of the FMA kernel (default: 16,384 on a software adapter, 1,048,576 on hardware). */
  fmaThreads?: number;
}

async function timed(gpu: GpuContext, submit: () => void): Promise<number> {
  const t = performance.now();
  submit();
  await gpu.sync();
  return (performance.now() - t) / 1000;
}

/** The FMA ceiling alone (bench:speed also takes it beside every measurement row). */
export async function measureFmaCeiling(
  gpu: GpuContext,
  o: CeilingOptions,
): Promise<Pick<Ceilings, 'fmaGflops' | 'fmaRuns' | 'fmaThreads' | 'fmaIters' | 'fmaDispatches'>> {
  const soft = gpu.report.isFallback;
  const rng = new PhiloxStream(12345, 0);
  // Calibrate the trip count on a short run (which also compiles the pipeline).
  const threads = o.fmaThreads ?? (soft ? 16384 : 1 << 20);
  const inputs = fmaCeilingInputs(threads, () => rng.next());
  let iters = 64;
  let probe = new FmaCeiling(gpu, inputs, iters);
  await timed(gpu, () => probe.submit());
  let s = await timed(gpu, () => probe.submit());
  while (s < o.targetSeconds / 4 && iters < 1 << 20) {
    probe.destroy();
    iters *= 4;
    probe = new FmaCeiling(gpu, inputs, iters);
    s = await timed(gpu, () => probe.submit());
  }
  const dispatches = Math.max(1, Math.round(o.targetSeconds / s));
  const fmaRuns: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const t = await timed(gpu, () => probe.submit(dispatches));
    fmaRuns.push((probe.flops * dispatches) / t / 1e9);
  }
  const out = await probe.read();
  if (!out.every(Number.isFinite)) throw new Error('ceiling-fma produced non-finite values');
  probe.destroy();
  return { fmaGflops: median(fmaRuns), fmaRuns, fmaThreads: threads, fmaIters: iters, fmaDispatches: dispatches };
}

export async function measureCeilings(gpu: GpuContext, o: CeilingOptions): Promise<Ceilings> {
  const soft = gpu.report.isFallback;
  const fma = await measureFmaCeiling(gpu, o);

  // Copy: the largest buffer one binding allows, up to 64 MiB (software) / 256 MiB.
  const maxBytes = Math.min(
    gpu.limits.maxStorageBufferBindingSize,
    gpu.limits.maxBufferSize,
    soft ? 64 << 20 : 256 << 20,
  );
  const vec4s = Math.floor(maxBytes / 16);
  const copy = new CopyCeiling(gpu, vec4s);
  await timed(gpu, () => copy.submit());
  const one = await timed(gpu, () => copy.submit());
  const copyDispatches = Math.max(1, Math.round(o.targetSeconds / one));
  const copyRuns: number[] = [];
  for (let r = 0; r < o.repeats; r++) {
    const t = await timed(gpu, () => copy.submit(copyDispatches));
    copyRuns.push((copy.bytes * copyDispatches) / t / 1e9);
  }
  copy.destroy();
  return {
    ...fma,
    copyGBps: median(copyRuns),
    copyRuns,
    copyBytesPerDispatch: copy.bytes,
    copyDispatches,
    timing: 'wall-clock',
  };
}
