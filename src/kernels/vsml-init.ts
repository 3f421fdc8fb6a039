/**
 * VSML initial state: h = 0; c_k for k < H/2 drawn N(0, 1/A) from the learner's state seed, the
 * rest 0. Element (a, b, k) is normalAt([seed, RNG_DOMAIN.stateInit], (a*B + b)*(H/2) + k;
 * layer, 0, 0) * f32(1/sqrt(A)): independent of tiling, bit-identical to `initialCell` in TS.
 * Padding cells of partial tiles are zeroed. One thread per cell slot of a state slab.
 *
 * Every size is a uniform, so one pipeline serves all layers and configurations (the fixed-point
 * normal generator is slow to compile on SwiftShader).
 */
import type { LayerPlan } from '../inner/plan';
import { PHILOX_WGSL, RNG_DOMAIN, normalAt } from './philox';
import { u } from './vsml-common';

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
  'pad0',
  'pad1',
  'pad2',
] as const;

export function initScale(A: number): number {
  return Math.fround(1 / Math.sqrt(A));
}

export function initParams(lp: LayerPlan, H: number, slab: { unitBase: number; unitCount: number; gridX: number }): Uint32Array {
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
    pad0: 0,
    pad1: 0,
    pad2: 0,
  };
  return Uint32Array.from(INIT_PARAMS.map((k) => v[k]));
}

/** c_k of cell (a, b) of layer `layer` (0 for k >= H/2), as the GPU computes it (f32). */
export function initialCell(seed: number, layer: number, A: number, B: number, H: number, a: number, b: number, k: number): number {
  if (k >= H / 2) return 0;
  return Math.fround(normalAt(seed >>> 0, RNG_DOMAIN.stateInit, (a * B + b) * (H / 2) + k, layer, 0, 0) * initScale(A));
}

export const INIT_SOURCE = /* wgsl */ `
${PHILOX_WGSL}
struct Params { ${INIT_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> seeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;

fn c_at(seed: u32, cell: u32, k: u32) -> f32 {
  let half = P.H4 * 2u;
  if (k >= half) { return 0.0; }
  return rng_normal_at(vec2<u32>(seed, ${u(RNG_DOMAIN.stateInit)}), cell * half + k, P.layer, 0u, 0u) * bitcast<f32>(P.scaleBits);
}

@compute @workgroup_size(${INIT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${u(INIT_WORKGROUP)};
  let TT = P.TA * P.TB;
  if (id >= P.unitCount * TT) { return; }
  let unit = id / TT;
  let t = id % TT;
  let gu = P.unitBase + unit;
  let lg = gu / P.unitsPerLearner;
  let tile = gu % P.unitsPerLearner;
  let a = (tile / P.bTiles) * P.TA + t / P.TB;
  let b = (tile % P.bTiles) * P.TB + t % P.TB;
  let valid = a < P.A && b < P.B;
  let seed = seeds[lg];
  let sb = unit * P.unitVec4s + t;
  for (var q = 0u; q < P.H4; q++) {
    state[sb + q * TT] = vec4<f32>(0.0);
    var c = vec4<f32>(0.0);
    if (valid) {
      let cell = a * P.B + b;
      c = vec4<f32>(c_at(seed, cell, q * 4u), c_at(seed, cell, q * 4u + 1u), c_at(seed, cell, q * 4u + 2u), c_at(seed, cell, q * 4u + 3u));
    }
    state[sb + (P.H4 + q) * TT] = c;
  }
}
`;
