/**
 * The VSML input kernel (vsml-input.wgsl): for every learner of a group and each of its E examples at this step,
 * fetch the example (index from the step's index table) from one piece of a GpuImageSplit and
 * write the first layer's input x [Lg][E][A0] and the shown label [Lg][E].
 *
 *  - no projection: x_a = pixel_a * (1/255) (thread per (lg, e, a));
 *  - projection: x_a = (sum_p s_ap pixel_p) / (255 sqrt(n)), s_ap = +-1 regenerated from the
 *    learner's projection seed: bit p % 32 of word (p / 32) % 4 of Philox block (p / 128) at
 *    counter [p / 128, a, 0, 0], key [seed, RNG_DOMAIN.projection] (set bit = -1). The signed
 *    pixel sum is an exact integer (|sum| <= 255 n < 2^24), so GPU and TypeScript agree to the bit.
 *
 * One dispatch per piece of the split; a thread whose example lies in another piece does nothing.
 * Positions past the stream length (a final partial query batch) get x = 0 and label 0 from the
 * piece-0 dispatch.
 */
import { PHILOX_WGSL, RNG_DOMAIN, philox4x32 } from './philox';
import { cachedProgram, type Program } from './program';
import template from './vsml-input.wgsl?raw';
import { fillWgsl, u } from './wgsl';

export const INPUT_WORKGROUP = 64;
export const INPUT_PARAMS = ['learners', 'length', 'gridX', 'pieceFirst', 'pieceCount', 'isFirstPiece', 'pad0', 'pad1'] as const;

export function inputParams(v: Record<(typeof INPUT_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(INPUT_PARAMS.map((k) => v[k]));
}

export interface InputKernelSpec {
  /** First-layer input size A0. */
  units: number;
  /** Pixels per raw example and u32 words per stored image. */
  pixels: number;
  wordsPerImage: number;
  projection: boolean;
  examples: number;
  numClasses: number;
}

/** Scale of a projected input: 1 / (255 sqrt(pixels)), rounded to f32 once (GPU and TS use this value). */
export function projectionScale(pixels: number): number {
  return Math.fround(1 / (255 * Math.sqrt(pixels)));
}

export const PIXEL_SCALE = Math.fround(1 / 255);

/** TypeScript twin of the projected input (f32 result, bit-identical to the kernel). */
export function projectInput(image: Uint8Array, offset: number, pixels: number, units: number, seed: number, out: Float32Array): Float32Array {
  const blocks = Math.ceil(pixels / 128);
  const scale = projectionScale(pixels);
  for (let a = 0; a < units; a++) {
    let sum = 0;
    for (let j = 0; j < blocks; j++) {
      const w = philox4x32(seed >>> 0, RNG_DOMAIN.projection, j, a, 0, 0);
      for (let p = j * 128; p < Math.min(pixels, (j + 1) * 128); p++) {
        const bit = (w[(p >> 5) & 3] >>> (p & 31)) & 1;
        sum += bit ? -image[offset + p] : image[offset + p];
      }
    }
    out[a] = Math.fround(sum * scale);
  }
  return out;
}

/** The input kernel as a program (vsml-input.wgsl). */
export function inputProgram(s: InputKernelSpec, label = 'vsml-input'): Program<(typeof INPUT_PARAMS)[number]> {
  return cachedProgram(`vsml-input/${JSON.stringify(s)}`, () => ({
    label,
    code: inputKernelSource(s),
    entryPoint: 'main',
    workgroupSize: INPUT_WORKGROUP,
    uniforms: INPUT_PARAMS,
  }));
}

export function inputKernelSource(s: InputKernelSpec): string {
  return fillWgsl(
    template,
    {
      PROJECTION: s.projection,
      PHILOX: PHILOX_WGSL,
      A0: u(s.units),
      E: u(s.examples),
      C: u(s.numClasses),
      WG: INPUT_WORKGROUP,
      WG_U: u(INPUT_WORKGROUP),
      WORDS_PER_IMAGE: u(s.wordsPerImage),
      BLOCKS: u(Math.ceil(s.pixels / 128)),
      DOMAIN_PROJECTION: u(RNG_DOMAIN.projection),
      PIXELS: u(s.pixels),
      PROJECTION_SCALE: projectionScale(s.pixels).toPrecision(9),
      PIXEL_SCALE: PIXEL_SCALE.toPrecision(9),
    },
    'vsml-input',
  );
}
