/**
 * The VSML input kernel (vsml-input.wgsl): for every learner of a group and each of its E examples at this step,
 * fetch the example (index from the step's index table) from one piece of a GpuImageSplit and
 * write the first layer's input x [Lg][E][A0] and the shown label [Lg][E].
 *
 *  - no projection: x_a = pixel_a * (1/255) (thread per (lg, e, a));
 *  - projection: x_a = (sum_p s_ap pixel_p) / (255 sqrt(n)), s_ap = +-1 from the learner's
 *    projection seed: bit p % 32 of word (p / 32) % 4 of Philox block (p / 128) at counter
 *    [p / 128, a, 0, 0], key [seed, RNG_DOMAIN.projection] (set bit = -1); the bits are drawn
 *    once per episode by vsml-projection.ts, transposed to one u32 per image word for 8 units,
 *    and read here by one thread per (lg, e, group of 8 units), over every image word or over
 *    the split's nonzero-word lists (`sparse`). The signed pixel sum is an exact integer
 *    (|sum| <= 255 n < 2^24), so GPU and TypeScript agree to the bit whatever the order.
 *
 * One dispatch per piece of the split; a thread whose example lies in another piece does nothing.
 * Positions past the stream length (a final partial query batch) get x = 0 and label 0 from the
 * piece-0 dispatch.
 */
import { RNG_DOMAIN, philox4x32 } from '../rng/philox';
import { PROJECTION_GROUP, projectionBlocks, projectionGroups } from '../spec/buffer-layout';
import { cachedProgram, type Program } from './program';
import template from './vsml-input.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const INPUT_WORKGROUP = 64;
export const INPUT_PARAMS = [
  'learners',
  'length',
  'gridX',
  'pieceFirst',
  'pieceCount',
  'isFirstPiece',
  'nonzeroStride',
  'pad1',
] as const;

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
  /** Projection over the split's nonzero-word lists (GpuImageSplit) instead of every word. */
  sparse: boolean;
  examples: number;
  numClasses: number;
}

/** Scale of a projected input: 1 / (255 sqrt(pixels)), rounded to f32 once (GPU and TS use this value). */
export function projectionScale(pixels: number): number {
  return Math.fround(1 / (255 * Math.sqrt(pixels)));
}

export const PIXEL_SCALE = Math.fround(1 / 255);

/** TypeScript twin of the projected input (f32 result, bit-identical to the kernel). */
export function projectInput(
  image: Uint8Array,
  offset: number,
  pixels: number,
  units: number,
  seed: number,
  out: Float32Array,
): Float32Array {
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
  const W = s.wordsPerImage;
  if (W !== Math.ceil(s.pixels / 4))
    throw new Error(`vsml-input: ${s.pixels} pixels are ${Math.ceil(s.pixels / 4)} words, not ${W}`);
  const T = inputThreadsPerExample(s);
  // The projection's units of thread t: a = 8t + k, k < 8; the last group is partial unless 8 | A0.
  const units = range8.map((k) => ({ k, a: `t * 8u + ${u(k)}` }));
  const guard = (a: string, code: string) => (s.units % PROJECTION_GROUP !== 0 ? `if (${a} < A0) { ${code} }` : code);
  return fillWgsl(
    template,
    {
      PROJECTION: s.projection,
      SPARSE: s.projection && s.sparse,
      T: u(T),
      SIGN_STRIDE: u(32 * projectionBlocks(s.pixels)),
      DECL_NEG: s.projection ? units.map(({ k }) => `  var neg${k} = 0u;`).join('\n') : '',
      PROJ_SUM: !s.projection ? '' : s.sparse ? sparseProjection() : denseProjection(s),
      WRITE_X: s.projection
        ? units
            .map(
              ({ k, a }) =>
                `  ${guard(a, `x[le * A0 + ${a}] = f32(i32(tot) - 2i * i32(neg${k})) * ${projectionScale(s.pixels).toPrecision(9)};`)}`,
            )
            .join('\n')
        : '',
      CLEAR_X: s.projection
        ? units.map(({ a }) => `      ${guard(a, `x[le * A0 + ${a}] = 0.0;`)}`).join('\n')
        : '      x[le * A0 + t] = 0.0;',
      A0: u(s.units),
      E: u(s.examples),
      C: u(s.numClasses),
      WG: INPUT_WORKGROUP,
      WG_U: u(INPUT_WORKGROUP),
      WORDS_PER_IMAGE: u(s.wordsPerImage),
      PIXEL_SCALE: PIXEL_SCALE.toPrecision(9),
    },
    'vsml-input',
  );
}

/** Threads of the input kernel per example: one per input unit, or per group of 8 with the projection. */
export function inputThreadsPerExample(s: { units: number; projection: boolean }): number {
  return s.projection ? projectionGroups(s.units) : s.units;
}

const range8 = Array.from({ length: PROJECTION_GROUP }, (_, i) => i);

/**
 * One image word w (masked by `keep` where given): its even and odd bytes in 16-bit lanes, added to
 * the total, and for each unit k the bytes whose sign bit is set (nibble k of the sign word spread
 * to a byte mask: x 0x204081 puts bit i at 8i).
 */
function projectWord(w: string, keep: string): string {
  return `      {
        let w = ${w};
        let px = images[img + w]${keep};
        let sw = signs[sb + w];
        let pe = px & 0x00ff00ffu;
        let po = (px >> 8u) & 0x00ff00ffu;
        lt += pe + po;
${range8.map((k) => `        { let m = ((((sw >> ${u(4 * k)}) & 15u) * 0x204081u) & 0x01010101u) * 255u; ln${k} += (pe & m) + (po & (m >> 8u)); }`).join('\n')}
      }`;
}

/** Fold the 16-bit lanes (two bytes per word, 128 words at most: 255 x 256 < 2^16) into the u32 totals. */
const foldLanes = () => `    tot += (lt & 0xffffu) + (lt >> 16u);
${range8.map((k) => `    neg${k} += (ln${k} & 0xffffu) + (ln${k} >> 16u);`).join('\n')}`;

const declLanes = () => `    var lt = 0u;
${range8.map((k) => `    var ln${k} = 0u;`).join('\n')}`;

/** Every word of the image, in chunks of 128 (lanes: even + odd bytes of 128 words <= 255 x 256). */
function denseProjection(s: InputKernelSpec): string {
  return `  for (var w0 = 0u; w0 < ${u(s.wordsPerImage)}; w0 += 128u) {
${declLanes()}
    for (var i = w0; i < min(w0 + 128u, ${u(s.wordsPerImage)}); i++) {
${projectWord('i', '')}
    }
${foldLanes()}
  }`;
}

/**
 * The image's nonzero words only (GpuImageSplit's lists), two per list entry; the second of the
 * last pair is masked off when the count is odd (its slot holds 0, a valid word index).
 */
function sparseProjection(): string {
  return `  let nz = li * P.nonzeroStride;
  let n = nonzero[nz];
  for (var k0 = 0u; k0 < n; k0 += 128u) {
${declLanes()}
    for (var k = k0; k < min(k0 + 128u, n); k += 2u) {
      let pr = nonzero[nz + 1u + (k >> 1u)];
      let keep = select(0u, 0xffffffffu, k + 1u < n);
${projectWord('pr & 0xffffu', '')}
${projectWord('pr >> 16u', ' & keep')}
    }
${foldLanes()}
  }`;
}
