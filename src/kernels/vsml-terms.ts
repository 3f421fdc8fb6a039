/**
 * Backward message terms for the CPU cell path: gb[lg][b][q] = (bias + gate offset, full cell) +
 * sum_m (rows 4q..4q+3 of the backward columns, column m) * bwdIn[lg][b][m]. They are the same for
 * every input row a, so computing them once per step here replaces a per-cell recomputation (whose
 * scattered loads dominate on SwiftShader). One thread per (learner, b, row quad).
 */
import { type LayerPlan, packedLayout } from '../inner/plan';
import type { VsmlConfig } from '../inner/vsml-config';
import { u } from './vsml-common';

export const TERMS_WORKGROUP = 64;
export const TERMS_PARAMS = ['learners', 'gridX', 'firstLearner', 'tasksPerMember', 'firstMember', 'zeroBwd', 'pad0', 'pad1'] as const;

export function termsParams(v: Record<(typeof TERMS_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(TERMS_PARAMS.map((k) => v[k]));
}

export function termsKernelSource(c: VsmlConfig, lp: LayerPlan): string {
  const pk = packedLayout(c);
  const lowRank = c.cell.kind === 'lstm-lowrank';
  return /* wgsl */ `
const B = ${u(lp.B)};
const M = ${u(c.message)};
const RQ = ${u(pk.rowQuads)};
const PV = ${u(pk.size)};

struct Params { ${TERMS_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> pk: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bwdIn: array<f32>;
@group(0) @binding(3) var<storage, read_write> gb: array<vec4<f32>>;

@compute @workgroup_size(${TERMS_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${u(TERMS_WORKGROUP)};
  if (id >= P.learners * B * RQ) { return; }
  let q = id % RQ;
  let lb = id / RQ;
  let lg = lb / B;
  let pb = ((P.firstLearner + lg) / P.tasksPerMember - P.firstMember) * PV;
  var s = ${lowRank ? 'vec4<f32>(0.0)' : `pk[pb + ${u(pk.cq)} + q]`};
  if (P.zeroBwd == 0u) {
    for (var m = 0u; m < M; m++) { s += pk[pb + ${u(pk.wb)} + q * M + m] * bwdIn[lb * M + m]; }
  }
  gb[id] = s;
}
`;
}
