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
import type { PopulationSpec } from '../meta/noise';
import { PHILOX_WGSL } from './philox';

const WG = 64;

const SOURCE = /* wgsl */ `${PHILOX_WGSL}
struct Params { dim: u32, blocksPerRow: u32, members: u32, rowStride: u32, memberOffset: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> centres: array<f32>;
@group(0) @binding(2) var<storage, read> dimScale: array<f32>;
// Two vec4 per member: (parent, sign as i32 bits, k0, k1), (a, b, c, unused).
@group(0) @binding(3) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WG})
fn delta(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * P.rowStride;
  let m = idx / P.blocksPerRow;
  if (m >= P.members) { return; }
  let blk = idx % P.blocksPerRow;
  let r0 = rows[2u * (P.memberOffset + m)];
  let r1 = rows[2u * (P.memberOffset + m) + 1u];
  let sign = bitcast<i32>(r0.y);
  var z = vec4<f32>(0.0);
  if (sign != 0i) {
    z = f32(sign) * rng_normal4(vec2<u32>(r0.z, r0.w), vec4<u32>(blk, r1.x, r1.y, r1.z));
  }
  let base = m * P.dim;
  for (var j = 0u; j < 4u; j++) {
    let i = blk * 4u + j;
    if (i < P.dim) {
      if (sign == 0i) { out[base + i] = 0.0; } else { out[base + i] = dimScale[i] * z[j]; }
    }
  }
}

@compute @workgroup_size(${WG})
fn add(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * P.rowStride;
  let m = idx / P.blocksPerRow;
  if (m >= P.members) { return; }
  let blk = idx % P.blocksPerRow;
  let parent = rows[2u * (P.memberOffset + m)].x;
  let base = m * P.dim;
  for (var j = 0u; j < 4u; j++) {
    let i = blk * 4u + j;
    if (i < P.dim) { out[base + i] = centres[parent * P.dim + i] + out[base + i]; }
  }
}`;

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
    if (offset < 0 || count < 1 || offset + count > this.size) throw new Error(`members [${offset}, ${offset + count}) outside 0..${this.size}`);
    if (count * dim * 4 > out.size) throw new Error(`output buffer holds ${out.size} bytes, ${count * dim * 4} needed`);
    if (count * dim * 4 > gpu.limits.maxStorageBufferBindingSize) {
      throw new GpuLimitError(`${count} members exceed one storage binding; use maxMembersPerBuffer()`);
    }
    const blocksPerRow = Math.ceil(dim / 4);
    const [gx, gy] = gpu.grid(Math.ceil((count * blocksPerRow) / WG));
    const params = gpu.uniform('population params', new Uint32Array([dim, blocksPerRow, count, gx * WG, offset, 0, 0, 0]));
    const pass = enc.beginComputePass({ label: 'noise-population' });
    // Each entry point's auto layout holds only the bindings it uses.
    const passes: [string, [number, GPUBuffer][]][] = [
      ['delta', [[0, params], [2, this.scale], [3, this.rows], [4, out]]],
      ['add', [[0, params], [1, this.centres], [3, this.rows], [4, out]]],
    ];
    for (const [entryPoint, bindings] of passes) {
      const pipeline = gpu.pipeline({ code: SOURCE, entryPoint, label: `noise-population-${entryPoint}` });
      pass.setPipeline(pipeline);
      const group = gpu.device.createBindGroup({
        layout: pipeline.getBindGroupLayout(0),
        entries: bindings.map(([binding, buffer]) => ({ binding, resource: { buffer } })),
      });
      pass.setBindGroup(0, group);
      pass.dispatchWorkgroups(gx, gy);
    }
    pass.end();
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
