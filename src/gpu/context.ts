/**
 * GpuContext: the one WebGPU runtime every kernel uses, in Node (Dawn), the browser and workers.
 * It owns the device, turns device loss and uncaptured errors into thrown errors (nothing hangs),
 * caches pipelines by (shader source, entry point, constants), and offers upload / readback.
 */
import { classifyAdapterInfo } from './driver-kind';
import { GpuDeviceLostError, GpuLimitError, GpuValidationError } from './errors';

/** Where the adapter came from: a hardware driver, one of the two CPU Vulkan drivers, or a browser. */
export type AdapterSource = 'hardware' | 'lavapipe' | 'swiftshader' | 'browser';

/** What was chosen, for logs and reports. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** true for software / fallback adapters (SwiftShader, lavapipe). */
  isFallback: boolean;
  source: AdapterSource;
  /** Runtime: 'node-dawn' or 'browser'. */
  runtime: 'node-dawn' | 'browser';
  features: string[];
  limits: Record<string, number>;
}

export interface GpuFeatures {
  timestampQuery: boolean;
  subgroups: boolean;
  shaderF16: boolean;
}

export interface PipelineSpec {
  /** Full WGSL source. Part of the cache key. */
  code: string;
  entryPoint?: string;
  /** Pipeline-overridable constants. Part of the cache key. */
  constants?: Record<string, number>;
  label?: string;
}

/** Limits we ask for: the adapter's maxima, since batched learners need big buffers. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindGroups',
] as const;

// Typed through a cast: tfjs-core carries an older @webgpu/types whose GPUFeatureName lacks
// 'subgroups', and which copy of the global type wins depends on the order files are read.
const OPTIONAL_FEATURES = ['timestamp-query', 'subgroups', 'shader-f16'] as GPUFeatureName[];

export interface DeviceRequestOptions {
  /** Override (lower) limits, e.g. to test buffer splitting. Values above the adapter's are refused. */
  limits?: Partial<Record<(typeof WANTED_LIMITS)[number], number>>;
  label?: string;
}

export class GpuContext {
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private lostInfo: { reason: string; message: string } | null = null;
  private readonly errors: string[] = [];
  private destroyed = false;
  readonly features: GpuFeatures;

  private constructor(
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly report: AdapterReport,
    private readonly onDestroy?: () => void,
  ) {
    this.features = {
      timestampQuery: device.features.has('timestamp-query'),
      subgroups: device.features.has('subgroups'),
      shaderF16: device.features.has('shader-f16'),
    };
    device.lost.then((info) => {
      if (this.destroyed) return;
      this.lostInfo = { reason: String(info.reason), message: info.message };
    });
    device.addEventListener('uncapturederror', (ev: Event) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(`${err.constructor?.name ?? 'GPUError'}: ${err.message}`);
    });
  }

  /** Build a context from a `GPU` object (navigator.gpu or Dawn's). */
  static async fromAdapter(
    adapter: GPUAdapter,
    source: AdapterSource,
    runtime: AdapterReport['runtime'],
    opts: DeviceRequestOptions = {},
    onDestroy?: () => void,
  ): Promise<GpuContext> {
    const requiredLimits: Record<string, number> = {};
    const al = adapter.limits as unknown as Record<string, number>;
    for (const name of WANTED_LIMITS) {
      const want = opts.limits?.[name];
      if (want !== undefined && want > al[name]) {
        throw new GpuLimitError(`requested ${name}=${want} exceeds the adapter's ${al[name]}`);
      }
      requiredLimits[name] = al[name];
    }
    const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({
      label: opts.label ?? 'vsml',
      requiredLimits,
      requiredFeatures,
    });
    const info = adapter.info;
    const limits: Record<string, number> = {};
    for (const name of WANTED_LIMITS) limits[name] = (device.limits as unknown as Record<string, number>)[name];
    // Lowered limits are enforced by us (Dawn validates against the device's real limits).
    for (const [k, v] of Object.entries(opts.limits ?? {})) if (v !== undefined) limits[k] = v;
    // Name the driver from what the adapter says of itself, not from how it was found.
    const driver = classifyAdapterInfo(info);
    const isFallback =
      Boolean((info as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
      Boolean((adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter) ||
      driver !== 'hardware';
    const named = driver === 'hardware' ? 'swiftshader' : driver;
    const report: AdapterReport = {
      vendor: info.vendor || 'unknown',
      architecture: info.architecture || 'unknown',
      device: info.device || '',
      description: info.description || '',
      isFallback,
      source: source !== 'browser' && isFallback ? named : source,
      runtime,
      features: [...device.features].map(String).sort(),
      limits,
    };
    return new GpuContext(adapter, device, report, onDestroy);
  }

  /** Effective limits (possibly lowered for tests). Kernels must size their work from these. */
  get limits(): Record<string, number> {
    return this.report.limits;
  }

  /** One line naming the adapter, for logs. */
  describe(): string {
    const r = this.report;
    const kind = r.isFallback ? 'software fallback' : 'hardware';
    const desc = r.description ? ` (${r.description})` : '';
    return `${r.vendor} ${r.architecture}${desc}, ${kind}, via ${r.runtime}`;
  }

  /** Throws if the device was lost or reported an error since the last check. */
  check(): void {
    if (this.destroyed) throw new GpuDeviceLostError('destroyed', 'the GPU context was destroyed');
    if (this.lostInfo) {
      throw new GpuDeviceLostError(
        this.lostInfo.reason,
        `GPU device lost (${this.lostInfo.reason}): ${this.lostInfo.message || 'no message'}. ` +
          'Unsaved GPU state is gone; resume from the last checkpoint.',
      );
    }
    if (this.errors.length > 0) {
      const msgs = this.errors.splice(0);
      throw new GpuValidationError(`WebGPU error: ${msgs.join(' | ')}`);
    }
  }

  get isLost(): boolean {
    return this.lostInfo !== null;
  }

  createBuffer(label: string, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    this.check();
    const padded = Math.max(16, Math.ceil(size / 16) * 16);
    if (padded > this.limits.maxBufferSize) {
      throw new GpuLimitError(
        `buffer '${label}' needs ${padded} bytes, above maxBufferSize ${this.limits.maxBufferSize}; split it`,
      );
    }
    return this.device.createBuffer({ label, size: padded, usage });
  }

  /** A storage buffer, optionally initialised from data. */
  storage(label: string, data: ArrayBufferView | number, extraUsage = 0): GPUBuffer {
    const size = typeof data === 'number' ? data : data.byteLength;
    const buf = this.createBuffer(
      label,
      size,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    );
    if (typeof data !== 'number') this.upload(buf, data);
    return buf;
  }

  /** A uniform buffer initialised from data. */
  uniform(label: string, data: ArrayBufferView): GPUBuffer {
    const buf = this.createBuffer(label, data.byteLength, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.upload(buf, data);
    return buf;
  }

  /** Write data at a byte offset; pads to a multiple of 4 bytes as WebGPU requires. */
  upload(buffer: GPUBuffer, data: ArrayBufferView, offset = 0): void {
    this.check();
    let bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength % 4 !== 0) {
      const padded = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
      padded.set(bytes);
      bytes = padded;
    }
    this.device.queue.writeBuffer(buffer, offset, bytes as Uint8Array<ArrayBuffer>);
  }

  /**
   * Copy `size` bytes at `offset` of `buffer` back to the CPU. Rejects (never hangs) when the
   * device is lost while waiting.
   */
  async read(buffer: GPUBuffer, offset = 0, size = buffer.size - offset): Promise<ArrayBuffer> {
    this.check();
    const staging = this.device.createBuffer({
      label: `readback ${buffer.label}`,
      size: Math.ceil(size / 4) * 4,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const enc = this.device.createCommandEncoder({ label: 'readback' });
    enc.copyBufferToBuffer(buffer, offset, staging, 0, Math.ceil(size / 4) * 4);
    this.device.queue.submit([enc.finish()]);
    const lost = this.device.lost.then((info) => {
      throw new GpuDeviceLostError(String(info.reason), `GPU device lost during readback: ${info.message}`);
    });
    try {
      await Promise.race([staging.mapAsync(GPUMapMode.READ), lost]);
      this.check();
      return staging.getMappedRange().slice(0, size);
    } finally {
      if (!this.isLost) staging.destroy();
    }
  }

  async readF32(buffer: GPUBuffer, offset = 0, count?: number): Promise<Float32Array> {
    return new Float32Array(await this.read(buffer, offset, count === undefined ? undefined : count * 4));
  }

  async readU32(buffer: GPUBuffer, offset = 0, count?: number): Promise<Uint32Array> {
    return new Uint32Array(await this.read(buffer, offset, count === undefined ? undefined : count * 4));
  }

  /** Compute pipeline, compiled once per (source, entry point, constants). */
  pipeline(spec: PipelineSpec): GPUComputePipeline {
    this.check();
    const entryPoint = spec.entryPoint ?? 'main';
    const key = `${entryPoint}\u0000${JSON.stringify(spec.constants ?? {})}\u0000${spec.code}`;
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.device.createShaderModule({ label: spec.label, code: spec.code });
      p = this.device.createComputePipeline({
        label: spec.label,
        layout: 'auto',
        compute: { module, entryPoint, constants: spec.constants },
      });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /** Number of distinct pipelines compiled so far (cache observability for tests). */
  get pipelineCount(): number {
    return this.pipelines.size;
  }

  /** Bind group for group 0 of a pipeline from an ordered list of buffers (binding i = buffers[i]). */
  bindGroup(pipeline: GPUComputePipeline, buffers: GPUBuffer[], label?: string, group = 0): GPUBindGroup {
    return this.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(group),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  }

  /** Splits a 1-D workgroup count into an (x, y) grid within maxComputeWorkgroupsPerDimension. */
  grid(workgroups: number): [number, number] {
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (workgroups <= max) return [Math.max(1, workgroups), 1];
    const y = Math.ceil(workgroups / max);
    if (y > max) throw new GpuLimitError(`${workgroups} workgroups exceed a ${max} x ${max} grid`);
    return [Math.ceil(workgroups / y), y];
  }

  /** Wait for queued work, then surface any error or loss. */
  async sync(): Promise<void> {
    this.check();
    const lost = this.device.lost.then((info) => {
      throw new GpuDeviceLostError(String(info.reason), `GPU device lost: ${info.message}`);
    });
    await Promise.race([this.device.queue.onSubmittedWorkDone(), lost]);
    this.check();
  }

  /** Capture validation errors raised by `fn` synchronously-encoded work, as a thrown error. */
  async validate<T>(fn: () => T): Promise<T> {
    this.device.pushErrorScope('validation');
    this.device.pushErrorScope('out-of-memory');
    const out = fn();
    const oom = await this.device.popErrorScope();
    const val = await this.device.popErrorScope();
    if (oom) throw new GpuValidationError(`GPU out of memory: ${oom.message}`);
    if (val) throw new GpuValidationError(`WebGPU validation error: ${val.message}`);
    return out;
  }

  /** Release the device. In Node this lets the process exit. Idempotent. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pipelines.clear();
    this.device.destroy();
    this.onDestroy?.();
  }
}
