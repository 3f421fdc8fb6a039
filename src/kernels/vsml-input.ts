/**
 * The VSML input kernel: for every learner of a group and each of its E examples at this step,
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
import { u } from './vsml-common';

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

export function inputKernelSource(s: InputKernelSpec): string {
  const E = s.examples;
  const body = s.projection
    ? `  let seed = projSeeds[lg];
  var sum = 0i;
  for (var j = 0u; j < ${u(Math.ceil(s.pixels / 128))}; j++) {
    let bits = philox4x32(vec2<u32>(seed, ${u(RNG_DOMAIN.projection)}), vec4<u32>(j, a, 0u, 0u));
    for (var w = j * 32u; w < min(j * 32u + 32u, ${u(s.wordsPerImage)}); w++) {
      let px = images[img + w];
      let sb = bits[(w >> 3u) & 3u] >> ((w & 7u) * 4u);
      for (var k = 0u; k < 4u; k++) {
        if (w * 4u + k < ${u(s.pixels)}) {
          let v = i32((px >> (8u * k)) & 255u);
          sum += select(v, -v, ((sb >> k) & 1u) == 1u);
        }
      }
    }
  }
  x[(lg * E + e) * A0 + a] = f32(sum) * ${projectionScale(s.pixels).toPrecision(9)};`
    : `  let px = (images[img + a / 4u] >> (8u * (a % 4u))) & 255u;
  x[(lg * E + e) * A0 + a] = f32(px) * ${PIXEL_SCALE.toPrecision(9)};`;
  return /* wgsl */ `
${s.projection ? PHILOX_WGSL : ''}
const A0 = ${u(s.units)};
const E = ${u(E)};
const C = ${u(s.numClasses)};

struct Params { ${INPUT_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read> images: array<u32>;
@group(0) @binding(4) var<storage, read> srcLabels: array<u32>;
@group(0) @binding(5) var<storage, read> labelMap: array<u32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> labels: array<u32>;
${s.projection ? '@group(0) @binding(8) var<storage, read> projSeeds: array<u32>;' : ''}

@compute @workgroup_size(${INPUT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${u(INPUT_WORKGROUP)};
  if (id >= P.learners * E * A0) { return; }
  let a = id % A0;
  let le = id / A0;
  let lg = le / E;
  let e = le % E;
  let pos = (ctrl[1] + ctrl[0]) * E + e;
  if (pos >= P.length) {
    if (P.isFirstPiece != 0u) {
      x[le * A0 + a] = 0.0;
      if (a == 0u) { labels[le] = 0u; }
    }
    return;
  }
  let ex = indices[(ctrl[0] * P.learners + lg) * E + e];
  if (ex < P.pieceFirst || ex - P.pieceFirst >= P.pieceCount) { return; }
  let li = ex - P.pieceFirst;
  let img = li * ${u(s.wordsPerImage)};
  if (a == 0u) { labels[le] = labelMap[lg * C + srcLabels[li]]; }
${body}
}
`;
}
