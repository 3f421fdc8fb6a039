/**
 * noise-population: materialises a population (meta/noise.ts PopulationSpec) into a
 * members x dim f32 buffer, regenerating every perturbation from its Philox stream.
 *
 * Two dispatches on purpose: "delta" stores f32(dimScale_i * (sign * eps_i)) into the output,
 * then "add" adds the centre. Storing the product before the sum rounds it to f32, so no compiler
 * can fuse the two into an FMA: the result is bit-identical to buildMember() in TypeScript on
 * every GPU, which GA genome replay relies on.
 */
import type { GpuContext } from '../gpu/context';
import { GpuLimitError } from '../gpu/errors';
import type { PopulationSpec } from '../rng/noise';
import template from './noise-population.wgsl?raw';
import { PHILOX_WGSL } from '../rng/philox';
import { cachedProgram, type Program } from './program';
import { encodeKernels, type KernelCall, prepareKernel } from './runner';
import { fillWgsl } from '../wgsl/template';

const WG = 64;

const UNIFORMS = ['dim', 'blocksPerRow', 'members', 'rowStride', 'memberOffset', 'p0', 'p1', 'p2'] as const;

/** The two entry points share one source: 'delta' then 'add'. */
export function populationProgram(entryPoint: 'delta' | 'add'): Program<(typeof UNIFORMS)[number]> {
  return cachedProgram(`noise-population/${entryPoint}`, () => ({
    label: `noise-population-${entryPoint}`,
    code: fillWgsl(template, { PHILOX: PHILOX_WGSL, WG }, 'noise-population'),
    entryPoint,
    workgroupSize: WG,
    uniforms: UNIFORMS,
  }));
}

/** Most members whose parameters fit one storage binding on this device. */
export function maxMembersPerBuffer(gpu: GpuContext, dim: number): number {
  const limit = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const n = Math.floor(limit / (dim * 4));
  if (n < 1) throw new GpuLimitError(`one member (${dim} f32 parameters) exceeds maxStorageBufferBindingSize ${limit}`);
  return n;
}

/** A PopulationSpec uploaded once (centres, scales, member rows), materialised chunk by chunk. */
export class GpuPopulation {
  private readonly centres: GPUBuffer;
  private readonly scale: GPUBuffer;
  private readonly rows: GPUBuffer;
  readonly dim: number;
  readonly size: number;

  constructor(
    private readonly gpu: GpuContext,
    spec: PopulationSpec,
  ) {
    const { dim, centres, members } = spec;
    this.dim = dim;
    this.size = members.length;
    const flat = new Float32Array(centres.length * dim);
    centres.forEach((c, k) => {
      if (c.length !== dim) throw new Error(`centre ${k} has ${c.length} values, expected ${dim}`);
      flat.set(c, k * dim);
    });
    if (flat.byteLength > gpu.limits.maxStorageBufferBindingSize) {
      throw new GpuLimitError(`${centres.length} centres of ${dim} values exceed one storage binding`);
    }
    const rows = new Uint32Array(members.length * 8);
    members.forEach((m, i) => {
      if (m.parent < 0 || m.parent >= centres.length) throw new Error(`member ${i}: parent ${m.parent} out of range`);
      rows.set([m.parent, m.sign | 0, m.k0 >>> 0, m.k1 >>> 0, m.a >>> 0, m.b >>> 0, m.c >>> 0, 0], i * 8);
    });
    this.centres = gpu.storage('population centres', flat);
    this.scale = gpu.storage('population dimScale', Float32Array.from(spec.dimScale));
    this.rows = gpu.storage('population rows', rows);
  }

  /**
   * Encode the build of members [offset, offset + count) into rows 0..count-1 of `out`
   * (count x dim f32). Nothing is submitted.
   */
  encode(enc: GPUCommandEncoder, out: GPUBuffer, offset: number, count: number): void {
    const { gpu, dim } = this;
    if (offset < 0 || count < 1 || offset + count > this.size)
      throw new Error(`members [${offset}, ${offset + count}) outside 0..${this.size}`);
    if (count * dim * 4 > out.size) throw new Error(`output buffer holds ${out.size} bytes, ${count * dim * 4} needed`);
    if (count * dim * 4 > gpu.limits.maxStorageBufferBindingSize) {
      throw new GpuLimitError(`${count} members exceed one storage binding; use maxMembersPerBuffer()`);
    }
    const blocksPerRow = Math.ceil(dim / 4);
    const threads = count * blocksPerRow;
    const uniforms = { dim, blocksPerRow, members: count, memberOffset: offset };
    // Each entry point's auto layout holds only the bindings it uses.
    const calls: KernelCall[] = [
      {
        program: populationProgram('delta'),
        threads,
        uniforms,
        bindings: [
          [2, this.scale],
          [3, this.rows],
          [4, out],
        ],
      },
      {
        program: populationProgram('add'),
        threads,
        uniforms,
        bindings: [
          [1, this.centres],
          [3, this.rows],
          [4, out],
        ],
      },
    ];
    encodeKernels(
      enc,
      calls.map((c) => prepareKernel(gpu, c)),
      'noise-population',
    );
  }

  /** Build members [offset, offset + count) into `out` (allocated if absent) and submit. */
  build(offset: number, count: number, out?: GPUBuffer): GPUBuffer {
    const buf = out ?? this.gpu.storage('population params', count * this.dim * 4);
    const enc = this.gpu.device.createCommandEncoder({ label: 'noise-population' });
    this.encode(enc, buf, offset, count);
    this.gpu.device.queue.submit([enc.finish()]);
    return buf;
  }

  destroy(): void {
    this.centres.destroy();
    this.scale.destroy();
    this.rows.destroy();
  }
}
