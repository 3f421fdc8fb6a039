/**
 * VSML initial state: h = 0; c_k for k < H/2 drawn N(0, 1/A) from the learner's state seed, the
 * rest 0. Element (a, b, k) is normalAt([seed, RNG_DOMAIN.stateInit], (a*B + b)*(H/2) + k;
 * layer, 0, 0) * f32(1/sqrt(A)): independent of tiling, bit-identical to `initialCell` in TS.
 * Padding cells of partial tiles are zeroed. One thread per cell slot of a state slab.
 */
import type { LayerPlan } from '../inner/plan';
import { PHILOX_WGSL, RNG_DOMAIN, normalAt } from './philox';
import { u } from './vsml-common';

export const INIT_WORKGROUP = 64;
export const INIT_PARAMS = ['unitBase', 'unitCount', 'gridX', 'pad'] as const;

export function initParams(v: Record<(typeof INIT_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(INIT_PARAMS.map((k) => v[k]));
}

export function initScale(A: number): number {
  return Math.fround(1 / Math.sqrt(A));
}

/** c_k of cell (a, b) of layer `layer` (0 for k >= H/2), as the GPU computes it (f32). */
export function initialCell(seed: number, layer: number, A: number, B: number, H: number, a: number, b: number, k: number): number {
  if (k >= H / 2) return 0;
  return Math.fround(normalAt(seed >>> 0, RNG_DOMAIN.stateInit, (a * B + b) * (H / 2) + k, layer, 0, 0) * initScale(A));
}

export function initKernelSource(lp: LayerPlan, H: number): string {
  const H4 = H / 4;
  return /* wgsl */ `
${PHILOX_WGSL}
const A = ${u(lp.A)};
const B = ${u(lp.B)};
const TB = ${u(lp.TB)};
const TA = ${u(lp.TA)};
const TT = ${u(lp.TT)};
const BTILES = ${u(lp.bTiles)};
const UNITS_PER_LEARNER = ${u(lp.unitsPerLearner)};
const UNIT_VEC4S = ${u(lp.unitVec4s)};
const H4 = ${u(H4)};
const HALF = ${u(H / 2)};

struct Params { unitBase: u32, unitCount: u32, gridX: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> seeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;

fn c_at(seed: u32, cell: u32, k: u32) -> f32 {
  if (k >= HALF) { return 0.0; }
  return rng_normal_at(vec2<u32>(seed, ${u(RNG_DOMAIN.stateInit)}), cell * HALF + k, ${u(lp.k)}, 0u, 0u) * ${initScale(lp.A).toPrecision(9)};
}

@compute @workgroup_size(${INIT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${u(INIT_WORKGROUP)};
  if (id >= P.unitCount * TT) { return; }
  let unit = id / TT;
  let t = id % TT;
  let gu = P.unitBase + unit;
  let lg = gu / UNITS_PER_LEARNER;
  let tile = gu % UNITS_PER_LEARNER;
  let a = (tile / BTILES) * TA + t / TB;
  let b = (tile % BTILES) * TB + t % TB;
  let valid = a < A && b < B;
  let seed = seeds[lg];
  let sb = unit * UNIT_VEC4S + t;
  for (var q = 0u; q < H4; q++) {
    state[sb + q * TT] = vec4<f32>(0.0);
    var c = vec4<f32>(0.0);
    if (valid) {
      let cell = a * B + b;
      c = vec4<f32>(c_at(seed, cell, q * 4u), c_at(seed, cell, q * 4u + 1u), c_at(seed, cell, q * 4u + 2u), c_at(seed, cell, q * 4u + 3u));
    }
    state[sb + (H4 + q) * TT] = c;
  }
}
`;
}
