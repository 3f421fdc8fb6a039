/**
 * GPU profiler: per-label GPU time from timestamp queries when the device has them, else wall-clock
 * time from submit to completion (which includes queueing; labelled as such in `mode`).
 *
 * Usage: `const pass = enc.beginComputePass(prof.pass('cell-step'))` for each pass to time, then
 * `prof.resolve(enc)` before `finish()`, submit, and `await prof.collect()`.
 * In wall-clock mode, wrap whole submissions with `prof.time(label, fn)` instead.
 */
import type { GpuContext } from './context';

export type ProfilerMode = 'timestamp' | 'wall-clock';

export interface ProfileEntry {
  label: string;
  /** Total milliseconds over all recorded passes with this label. */
  ms: number;
  count: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export class GpuProfiler {
  readonly mode: ProfilerMode;
  private querySet: GPUQuerySet | null = null;
  private resolveBuf: GPUBuffer | null = null;
  private labels: string[] = [];
  private readonly totals = new Map<string, ProfileEntry>();

  /** `capacity` passes can be timed between two `collect()` calls. */
  constructor(
    private readonly gpu: GpuContext,
    private readonly capacity = 256,
    forceWallClock = false,
  ) {
    this.mode = gpu.features.timestampQuery && !forceWallClock ? 'timestamp' : 'wall-clock';
    if (this.mode === 'timestamp') {
      this.querySet = gpu.device.createQuerySet({ type: 'timestamp', count: capacity * 2 });
      this.resolveBuf = gpu.device.createBuffer({
        label: 'profiler resolve',
        size: capacity * 16,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
    }
  }

  /** A compute pass descriptor that records this pass's start and end (timestamp mode). */
  pass(label: string): GPUComputePassDescriptor {
    if (this.mode !== 'timestamp' || this.labels.length >= this.capacity) return { label };
    const i = this.labels.length;
    this.labels.push(label);
    return {
      label,
      timestampWrites: { querySet: this.querySet!, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    };
  }

  /** Resolve recorded timestamps into the readback buffer; call once per encoder before finish(). */
  resolve(encoder: GPUCommandEncoder): void {
    if (this.mode !== 'timestamp' || this.labels.length === 0) return;
    encoder.resolveQuerySet(this.querySet!, 0, this.labels.length * 2, this.resolveBuf!, 0);
  }

  /** Wall-clock timing of `fn` (which should submit work) until the queue is idle. */
  async time<T>(label: string, fn: () => T | Promise<T>): Promise<T> {
    const t0 = now();
    const out = await fn();
    await this.gpu.sync();
    this.add(label, now() - t0);
    return out;
  }

  private add(label: string, ms: number): void {
    const e = this.totals.get(label) ?? { label, ms: 0, count: 0 };
    e.ms += ms;
    e.count += 1;
    this.totals.set(label, e);
  }

  /** Read back pending timestamps into the totals; returns the totals so far. */
  async collect(): Promise<ProfileEntry[]> {
    if (this.mode === 'timestamp' && this.labels.length > 0) {
      const ticks = new BigUint64Array(await this.gpu.read(this.resolveBuf!, 0, this.labels.length * 16));
      this.labels.forEach((label, i) => {
        const dt = ticks[2 * i + 1] - ticks[2 * i];
        // Timestamps are nanoseconds; a reset between begin and end can give garbage: skip it.
        if (ticks[2 * i + 1] >= ticks[2 * i]) this.add(label, Number(dt) / 1e6);
      });
      this.labels = [];
    }
    return [...this.totals.values()];
  }

  reset(): void {
    this.totals.clear();
    this.labels = [];
  }

  destroy(): void {
    this.querySet?.destroy();
    this.resolveBuf?.destroy();
  }
}
