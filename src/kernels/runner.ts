/**
 * The one place that turns a Program (./program.ts: source, cache key, uniforms, workgroup size)
 * into GPU work, in the role of TensorFlow.js's runWebGPUProgram: compile (cached by source),
 * write the uniform block, bind the buffers, fold the dispatch grid within the device limits.
 * Kernel modules are then pure descriptors, and a caller such as the population step reads as
 * a list of `KernelCall`s.
 *
 *   const d = prepareKernel(gpu, { program, threads: n, uniforms: { count: n }, bindings: [a, b] });
 *   runKernels(gpu, [d]);                       // one encoder, one pass, one submit
 */
import type { GpuContext } from '../gpu/context';
import {
  type Binding,
  bindGroupOf,
  type Dispatch,
  encodeDispatch,
  pipelineOf,
  type Program,
  threadGrid,
} from './program';

export interface KernelCall<U extends string = string> {
  program: Program<U>;
  /**
   * Storage buffers in binding order, after the uniform block (binding 0) when the program has
   * uniforms; or explicit [binding, buffer] pairs (entry points whose auto layout skips some).
   */
  bindings: Binding[] | [number, Binding][];
  /** One invocation per thread, the grid folded into 2-D (kernels recover the flat index). */
  threads?: number;
  /** An explicit workgroup grid instead of `threads`. */
  grid?: [number, number];
  /**
   * Uniform words by name. `gridX` (workgroups in x) and `rowStride` (threads per grid row) are
   * filled in from the grid and padding fields (`pad*`, `p0`..) default to 0; every other field
   * must be given. Or the finished words, for kernels that build their own block.
   */
  uniforms?: Partial<Record<U, number>> | Uint32Array;
  label?: string;
}

/** Where uniform blocks come from: `gpu.uniform` by default, or a pool released after a run. */
export type UniformSource = (label: string, data: Uint32Array) => GPUBuffer;

const isPadding = (field: string): boolean => /^(pad\d*|p\d+)$/.test(field);

/** The uniform words of a call, in the program's field order. */
export function uniformWords<U extends string>(call: KernelCall<U>, grid: [number, number]): Uint32Array {
  const { program: p, uniforms } = call;
  if (uniforms instanceof Uint32Array) {
    if (uniforms.length !== p.uniforms.length)
      throw new Error(`${p.label}: ${uniforms.length} uniform words given, ${p.uniforms.length} expected`);
    return uniforms;
  }
  const given = (uniforms ?? {}) as Partial<Record<string, number>>;
  const implicit: Record<string, number> = { gridX: grid[0], rowStride: grid[0] * p.workgroupSize };
  return Uint32Array.from(
    p.uniforms.map((k) => {
      const v = given[k] ?? implicit[k] ?? (isPadding(k) ? 0 : undefined);
      if (v === undefined) throw new Error(`${p.label}: uniform '${k}' missing`);
      return v;
    }),
  );
}

/** Pipeline, bind group and grid of one call, ready to encode (nothing is submitted). */
export function prepareKernel<U extends string>(
  gpu: GpuContext,
  call: KernelCall<U>,
  uniform: UniformSource = (l, d) => gpu.uniform(l, d),
): Dispatch {
  const { program: p } = call;
  const grid = call.grid ?? (call.threads !== undefined ? threadGrid(gpu, p, call.threads) : undefined);
  if (!grid) throw new Error(`${p.label}: a call needs threads or a grid`);
  const label = call.label ?? p.label;
  const pipeline = pipelineOf(gpu, p);
  let entries = call.bindings;
  if (p.uniforms.length > 0) {
    const block = uniform(`${label} params`, uniformWords(call, grid));
    entries = isPairs(entries) ? [[0, block], ...entries] : [block, ...entries];
  }
  return [pipeline, bindGroupOf(gpu, pipeline, entries, label), grid];
}

const isPairs = (b: KernelCall['bindings']): b is [number, Binding][] => b.length > 0 && Array.isArray(b[0]);

/** Encode prepared dispatches into one compute pass of `enc`. */
export function encodeKernels(enc: GPUCommandEncoder, dispatches: readonly Dispatch[], label = 'kernels'): void {
  const pass = enc.beginComputePass({ label });
  for (const d of dispatches) encodeDispatch(pass, d);
  pass.end();
}

/**
 * Prepare, encode in one pass and submit: the whole life of a short kernel sequence. The uniform
 * blocks it writes are released after the submit (WebGPU frees them once the work is done).
 */
export function runKernels(gpu: GpuContext, calls: readonly KernelCall[], label = 'kernels'): void {
  const blocks: GPUBuffer[] = [];
  const uniform: UniformSource = (l, d) => {
    const b = gpu.uniform(l, d);
    blocks.push(b);
    return b;
  };
  const enc = gpu.device.createCommandEncoder({ label });
  encodeKernels(
    enc,
    calls.map((c) => prepareKernel(gpu, c, uniform)),
    label,
  );
  gpu.device.queue.submit([enc.finish()]);
  for (const b of blocks) b.destroy();
}
