/**
 * VSML initial state: h = 0; c_k for k < H/2 drawn N(0, 1/A) from the learner's state seed, the
 * rest 0. Element (a, b, k) is normalAt([seed, RNG_DOMAIN.stateInit], (a*B + b)*(H/2) + k;
 * layer, 0, 0) * f32(1/sqrt(A)): independent of tiling, bit-identical to `initialCell` in TS.
 * The slab is cleared first (h, the c_k with k >= H/2 and padding cells of partial tiles are 0);
 * the kernel then writes the random quads, one thread per (cell slot, quad of normals), each
 * drawing the one Philox block that holds its 4 elements (two when H/2 is not a multiple of 4).
 * The earlier kernel (one thread per cell, each element drawn separately) drew every block 4
 * times and took ~300 ms per episode of the ordered preset on SwiftShader (issue 10, docs/perf.md).
 *
 * Every size but one is a uniform, so one pipeline serves all layers and nearly all
 * configurations (the fixed-point normal generator is slow to compile on SwiftShader).
 */
import type { LayerPlan } from '../spec/plan';
import { initQuads } from '../spec/buffer-layout';
import { PHILOX_WGSL, RNG_DOMAIN, normalAt } from '../rng/philox';
import { cachedProgram, type Program, uniformData } from './program';
import template from './vsml-init.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const INIT_WORKGROUP = 64;
export const INIT_PARAMS = [
  'unitBase',
  'unitCount',
  'gridX',
  'layer',
  'A',
  'B',
  'TA',
  'TB',
  'bTiles',
  'unitsPerLearner',
  'unitVec4s',
  'H4',
  'scaleBits',
  'quads',
  'pad1',
  'pad2',
] as const;

export function initScale(A: number): number {
  return Math.fround(1 / Math.sqrt(A));
}

export function initParams(
  lp: LayerPlan,
  H: number,
  slab: { unitBase: number; unitCount: number; gridX: number },
): Uint32Array {
  const v: Record<(typeof INIT_PARAMS)[number], number> = {
    ...slab,
    layer: lp.k,
    A: lp.A,
    B: lp.B,
    TA: lp.TA,
    TB: lp.TB,
    bTiles: lp.bTiles,
    unitsPerLearner: lp.unitsPerLearner,
    unitVec4s: lp.unitVec4s,
    H4: H / 4,
    scaleBits: new Uint32Array(new Float32Array([initScale(lp.A)]).buffer)[0],
    quads: initQuads(H),
    pad1: 0,
    pad2: 0,
  };
  return uniformData(initProgram(H), v);
}

/** c_k of cell (a, b) of layer `layer` (0 for k >= H/2), as the GPU computes it (f32). */
export function initialCell(
  seed: number,
  layer: number,
  A: number,
  B: number,
  H: number,
  a: number,
  b: number,
  k: number,
): number {
  if (k >= H / 2) return 0;
  return Math.fround(normalAt(seed >>> 0, RNG_DOMAIN.stateInit, (a * B + b) * (H / 2) + k, layer, 0, 0) * initScale(A));
}

/** Some quads of H/2 normals straddle Philox blocks (H/2 = 2 mod 4: H = 4, 12, 20, ...). */
export const initStraddles = (H: number): boolean => (H / 2) % 4 !== 0;

/**
 * The init program for hidden size H: every size is a uniform, except whether quads straddle
 * blocks, which is compiled in (SwiftShader runs both sides of a branch, so a runtime test would
 * draw the second block for every quad; two programs at most).
 */
export function initProgram(H: number): Program<(typeof INIT_PARAMS)[number]> {
  const straddle = initStraddles(H);
  return cachedProgram(`vsml-init/${straddle ? 'straddle' : 'aligned'}`, () => ({
    label: 'vsml-init',
    code: fillWgsl(
      template,
      {
        PHILOX: PHILOX_WGSL,
        DOMAIN_STATE_INIT: u(RNG_DOMAIN.stateInit),
        WG: INIT_WORKGROUP,
        WG_U: u(INIT_WORKGROUP),
        STRADDLE: straddle,
      },
      'vsml-init',
    ),
    entryPoint: 'main',
    workgroupSize: INIT_WORKGROUP,
    uniforms: INIT_PARAMS,
  }));
}
