/**
 * The VSML input kernel (vsml-input.wgsl): for every learner of a group and each of its E examples at this step,
 * fetch the example (index from the step's index table) from one piece of a GpuImageSplit and
 * write the first layer's input x [Lg][E][A0] and the shown label [Lg][E].
 *
 *  - no projection: x_a = pixel_a * (1/255) (thread per (lg, e, a));
 *  - projection: x_a = (sum_p s_ap pixel_p) / (255 sqrt(n)), s_ap = +-1 from the learner's
 *    projection seed: bit p % 32 of word (p / 32) % 4 of Philox block (p / 128) at counter
 *    [p / 128, a, 0, 0], key [seed, RNG_DOMAIN.projection] (set bit = -1); the blocks are drawn
 *    once per episode by vsml-projection.ts and read here. The signed pixel sum is an exact
 *    integer (|sum| <= 255 n < 2^24), so GPU and TypeScript agree to the bit.
 *
 * One dispatch per piece of the split; a thread whose example lies in another piece does nothing.
 * Positions past the stream length (a final partial query batch) get x = 0 and label 0 from the
 * piece-0 dispatch.
 */
import { RNG_DOMAIN, philox4x32 } from './philox';
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
  // Projection: words 8i .. 8i+7 of the image against sign word i; a word past the image reads 0,
  // pixels past n in the last word are masked (only generated where n or the words need it).
  const W = s.wordsPerImage;
  const projWords = Array.from({ length: 8 }, (_, m) => {
    const guard = W % 8 !== 0;
    let px = guard ? `select(0u, images[img + min(w, ${u(W - 1)})], w < ${u(W)})` : 'images[img + w]';
    const tail = s.pixels % 4;
    if (tail !== 0 && s.pixels <= 4 * W) px = `select(${px}, ${px} & ${u(2 ** (8 * tail) - 1)}, w == ${u(Math.ceil(s.pixels / 4) - 1)})`;
    const bytes = Array.from({ length: 4 }, (_, k) => `sum += (i32((px >> ${u(8 * k)}) & 255u) ^ -i32((sb >> ${u(k)}) & 1u)) + i32((sb >> ${u(k)}) & 1u);`);
    return `    {
      let w = i * 8u + ${u(m)};
      let px = ${px};
      let sb = sw >> ${u(4 * m)};
      ${bytes.join('\n      ')}
    }`;
  }).join('\n');
  return fillWgsl(
    template,
    {
      PROJECTION: s.projection,
      PROJ_WORDS: projWords,
      SIGN_WORDS: u(Math.ceil(W / 8)),
      A0: u(s.units),
      E: u(s.examples),
      C: u(s.numClasses),
      WG: INPUT_WORKGROUP,
      WG_U: u(INPUT_WORKGROUP),
      WORDS_PER_IMAGE: u(s.wordsPerImage),
      BLOCKS: u(Math.ceil(s.pixels / 128)),
      PROJECTION_SCALE: projectionScale(s.pixels).toPrecision(9),
      PIXEL_SCALE: PIXEL_SCALE.toPrecision(9),
    },
    'vsml-input',
  );
}
