/**
 * One pattern for every compute kernel, in the spirit of TensorFlow.js's WebGPU programs: a
 * Program object carries
 *
 *  - `code`: the WGSL source (its fixed part from the kernel's `.wgsl` file, see ./wgsl.ts);
 *  - `key`: the pipeline cache key, i.e. the kernel's name and every parameter its source depends
 *    on (equal keys give equal sources, so a source is generated once per key: `cachedProgram`);
 *  - `uniforms`: the u32 words of its uniform block, in WGSL struct order (`uniformData`);
 *  - `workgroupSize` and the dispatch shape: `threadGrid` for one invocation per thread, folded
 *    into a 2-D grid within maxComputeWorkgroupsPerDimension (kernels recover the flat index
 *    from gridX), or a grid of workgroups given by the caller.
 *
 * Kernel modules export a `xxxProgram(...)` factory; callers get pipelines, uniform data and
 * dispatch shapes only through the functions here.
 */
import type { GpuContext } from '../gpu/context';

export interface Program<U extends string = string> {
  /** Debug label of shader module, pipeline and bind groups. */
  readonly label: string;
  /** Pipeline cache key: the kernel's name and the parameters that shape its source. */
  readonly key: string;
  readonly code: string;
  readonly entryPoint: string;
  readonly workgroupSize: number;
  /** Uniform block fields (u32 words), in WGSL struct order; empty when the kernel has none. */
  readonly uniforms: readonly U[];
}

const programs = new Map<string, Program>();

/** The program for `key`, built by `build` the first time only (source generation is not free). */
export function cachedProgram<U extends string>(key: string, build: () => Omit<Program<U>, 'key'>): Program<U> {
  let p = programs.get(key) as Program<U> | undefined;
  if (!p) {
    p = { ...build(), key };
    checkUniforms(p);
    programs.set(key, p);
  }
  return p;
}

/**
 * The WGSL `struct Params` (written out in the .wgsl file, for the reader) must list the program's
 * uniform words in order; u32 fields are compared by name, a vecN<u32> field counts N words.
 */
function checkUniforms(p: Program): void {
  const m = /struct\s+Params\s*\{([^}]*)\}/.exec(p.code);
  if (!m) {
    if (p.uniforms.length > 0) throw new Error(`${p.label}: uniforms given but the source has no struct Params`);
    return;
  }
  const words: string[] = [];
  for (const field of m[1]
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)) {
    const [name, type] = field.split(':').map((x) => x.trim());
    const vec = /^vec([234])<u32>$/.exec(type);
    if (type === 'u32') words.push(name);
    else if (vec) for (let i = 0; i < Number(vec[1]); i++) words.push(`${name}[${i}]`);
    else throw new Error(`${p.label}: uniform field '${field}' is not u32 words`);
  }
  const ok = words.length === p.uniforms.length && words.every((w, i) => w.includes('[') || w === p.uniforms[i]);
  if (!ok)
    throw new Error(
      `${p.label}: struct Params (${words.join(', ')}) does not match the uniforms (${p.uniforms.join(', ')})`,
    );
}

/** `struct Params { a: u32, b: u32, ... }` for a uniform block. */
export function paramsStruct(fields: readonly string[]): string {
  return `struct Params { ${fields.map((k) => `${k}: u32`).join(', ')} }`;
}

/** The compute pipeline of a program (compiled once per source by the context's cache). */
export function pipelineOf(gpu: GpuContext, p: Program): GPUComputePipeline {
  return gpu.pipeline({ code: p.code, entryPoint: p.entryPoint, label: p.label });
}

/** Uniform words in the program's field order; every field must be given. */
export function uniformData<U extends string>(p: Program<U>, values: Record<U, number>): Uint32Array {
  return Uint32Array.from(
    p.uniforms.map((k) => {
      const v = values[k];
      if (v === undefined) throw new Error(`${p.label}: uniform '${k}' missing`);
      return v;
    }),
  );
}

/** Dispatch shape for `threads` invocations, one per thread: [x, y] workgroups. */
export function threadGrid(gpu: GpuContext, p: Program, threads: number): [number, number] {
  return gpu.grid(Math.ceil(threads / p.workgroupSize));
}

/** A buffer binding: a whole buffer, or a range of one. */
export type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

/** Bind group 0 from bindings in binding order (binding i = entries[i]), or explicit [binding, buffer] pairs. */
export function bindGroupOf(
  gpu: GpuContext,
  pipeline: GPUComputePipeline,
  entries: Binding[] | [number, Binding][],
  label?: string,
): GPUBindGroup {
  return gpu.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: entries.map((e, i) => {
      const [binding, b] = Array.isArray(e) ? e : [i, e];
      return { binding, resource: 'buffer' in b ? b : { buffer: b } };
    }),
  });
}

/** One recorded dispatch: pipeline, bind group and grid. */
export type Dispatch = [GPUComputePipeline, GPUBindGroup, [number, number]];

export function encodeDispatch(pass: GPUComputePassEncoder, [pipeline, group, xy]: Dispatch): void {
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, group);
  pass.dispatchWorkgroups(xy[0], xy[1]);
}
