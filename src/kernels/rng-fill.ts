/**
 * rng-fill kernel: writes the raw Philox words, uniforms or normals of a stream into a buffer.
 * Used by tests (GPU vs TypeScript bit-exactness) and by anything that wants a materialised stream.
 */
import type { GpuContext } from '../gpu/context';
import { PHILOX_WGSL } from './philox';

export type RngFillKind = 'u32' | 'uniform' | 'normal';

const WG = 64;

function source(kind: RngFillKind): string {
  const expr =
    kind === 'u32'
      ? 'philox4x32(key, ctr)'
      : kind === 'uniform'
        ? 'bitcast<vec4<u32>>(rng_uniform4(key, ctr))'
        : 'bitcast<vec4<u32>>(rng_normal4(key, ctr))';
  return `${PHILOX_WGSL}
struct Params { key: vec2<u32>, blocks: u32, a: u32, b: u32, c: u32, first: u32, rowStride: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * P.rowStride;
  if (i >= P.blocks) { return; }
  let key = P.key;
  let ctr = vec4<u32>(P.first + i, P.a, P.b, P.c);
  out[i] = ${expr};
}`;
}

/**
 * Fill `count` values (a multiple of 4 is used internally) of stream (key; a, b, c) starting at
 * block `firstBlock`, and read them back as u32 words (bit patterns for floats).
 */
export async function rngFill(
  gpu: GpuContext,
  kind: RngFillKind,
  key: [number, number],
  blocks: number,
  abc: [number, number, number] = [0, 0, 0],
  firstBlock = 0,
  out?: GPUBuffer,
): Promise<Uint32Array> {
  const pipeline = gpu.pipeline({ code: source(kind), label: `rng-fill-${kind}` });
  const [gx, gy] = gpu.grid(Math.ceil(blocks / WG));
  const params = new Uint32Array([key[0], key[1], blocks, abc[0], abc[1], abc[2], firstBlock, gx * WG]);
  const ubuf = gpu.uniform('rng-fill params', params);
  const obuf = out ?? gpu.storage('rng-fill out', blocks * 16);
  const enc = gpu.device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, gpu.bindGroup(pipeline, [ubuf, obuf]));
  pass.dispatchWorkgroups(gx, gy);
  pass.end();
  gpu.device.queue.submit([enc.finish()]);
  const words = await gpu.readU32(obuf, 0, blocks * 4);
  ubuf.destroy();
  if (!out) obuf.destroy();
  return words;
}
