/**
 * ceiling-copy kernel (ceiling-copy.wgsl): a bandwidth-bound microkernel, a vec4 buffer copy. It
 * measures the adapter's achievable memory bandwidth (bytes read + written per second), the
 * second ceiling `npm run bench:speed` reports beside the FMA rate. `copyCeilingReference` is the
 * plain TypeScript meaning of the kernel (the identity, in float64).
 */
import type { GpuContext } from '../gpu/context';
import template from './ceiling-copy.wgsl?raw';
import { CeilingProbe } from './ceiling-probe';
import { cachedProgram, type Program } from './program';
import { fillWgsl } from '../wgsl/template';

const WG = 64;
const UNIFORMS = ['count', 'rowStride'] as const;

export function copyCeilingProgram(): Program<(typeof UNIFORMS)[number]> {
  return cachedProgram('ceiling-copy', () => ({
    label: 'ceiling-copy',
    code: fillWgsl(template, { WG }, 'ceiling-copy'),
    entryPoint: 'main',
    workgroupSize: WG,
    uniforms: UNIFORMS,
  }));
}

/** Bytes moved by one dispatch over `vec4s` elements: 16 read + 16 written each. */
export const copyCeilingBytes = (vec4s: number): number => vec4s * 32;

/** float64 reference: the copy of the input. */
export function copyCeilingReference(input: ArrayLike<number>): Float64Array {
  return Float64Array.from(input);
}

/** A prepared copy dispatch over `vec4s` elements of `input` (4 x vec4s floats). */
export class CopyCeiling extends CeilingProbe<(typeof UNIFORMS)[number]> {
  readonly bytes: number;

  constructor(
    gpu: GpuContext,
    readonly vec4s: number,
    /** Initial input (4 x vec4s floats); zeros when absent. */
    input?: Float32Array,
    /** Initial output words (tests: a poison pattern). */
    initialOutput?: Uint32Array,
  ) {
    if (input && input.length !== vec4s * 4)
      throw new Error(`ceiling-copy: input has ${input.length} floats, expected ${vec4s * 4}`);
    const inBuf = input ? gpu.storage('ceiling-copy in', input) : gpu.storage('ceiling-copy in', vec4s * 16);
    const outBuf = initialOutput
      ? gpu.storage('ceiling-copy out', initialOutput)
      : gpu.storage('ceiling-copy out', vec4s * 16);
    super(gpu, copyCeilingProgram(), vec4s, { count: vec4s }, inBuf, outBuf, vec4s * 4);
    this.bytes = copyCeilingBytes(vec4s);
  }
}
