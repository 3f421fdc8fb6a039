/**
 * rng-fill kernel (rng-fill.wgsl): writes the raw Philox words, uniforms or normals of a stream
 * into a buffer. Used by tests (GPU vs TypeScript bit-exactness) and by anything that wants a
 * materialised stream.
 */
import type { GpuContext } from '../gpu/context';
import { PHILOX_WGSL } from '../rng/philox';
import { cachedProgram, type Program } from './program';
import { runKernels } from './runner';
import template from './rng-fill.wgsl?raw';
import { fillWgsl } from '../wgsl/template';

export type RngFillKind = 'u32' | 'uniform' | 'normal';

const WG = 64;
/** Uniform words (the WGSL struct's key is the vec2 key0, key1). */
const UNIFORMS = ['key0', 'key1', 'blocks', 'a', 'b', 'c', 'first', 'rowStride'] as const;

export function rngFillProgram(kind: RngFillKind): Program<(typeof UNIFORMS)[number]> {
  return cachedProgram(`rng-fill/${kind}`, () => ({
    label: `rng-fill-${kind}`,
    code: fillWgsl(template, { PHILOX: PHILOX_WGSL, WG, U32: kind === 'u32', UNIFORM: kind === 'uniform' }, 'rng-fill'),
    entryPoint: 'main',
    workgroupSize: WG,
    uniforms: UNIFORMS,
  }));
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
  const obuf = out ?? gpu.storage('rng-fill out', blocks * 16);
  const uniforms = { key0: key[0], key1: key[1], blocks, a: abc[0], b: abc[1], c: abc[2], first: firstBlock };
  runKernels(gpu, [{ program: rngFillProgram(kind), threads: blocks, uniforms, bindings: [obuf] }], 'rng-fill');
  const words = await gpu.readU32(obuf, 0, blocks * 4);
  if (!out) obuf.destroy();
  return words;
}
