/**
 * The VSML aggregation + heads kernel for one layer. The heads are affine, so the mean over a of
 * the forward heads equals the forward head of the mean h:
 *   fwdOut[b] = Wf (1/A sum_a h_ab) + bf,      bwdOut[a] = Wb (1/B sum_b h_ab) + bb.
 * Each thread finishes one sum from the cell kernel's per-tile partials, in a fixed order (no
 * atomics, so the result is deterministic), then applies the head.
 *
 * Threads [0, Lg*E*B): forward outputs (lg, e, b) -> fwdOut [Lg][E][B][M].
 * Threads [Lg*E*B, + Lg*A) (when `backward`): backward outputs (lg, a) -> bwdOut [Lg][A][M].
 */
import type { LayerPlan } from '../inner/plan';
import type { VsmlConfig } from '../inner/vsml-config';
import { layoutConstsWgsl, load4, u } from './vsml-common';

export const HEADS_WORKGROUP = 64;

export const HEADS_PARAMS = ['learners', 'gridX', 'firstLearner', 'tasksPerMember', 'paramShift', 'pad0', 'pad1', 'pad2'] as const;

export function headsParams(v: Record<(typeof HEADS_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(HEADS_PARAMS.map((k) => v[k]));
}

export function headsThreads(lp: LayerPlan, learners: number, E: number, backward: boolean): number {
  return learners * E * lp.B + (backward ? learners * lp.A : 0);
}

export function headsKernelSource(c: VsmlConfig, lp: LayerPlan, E: number, backward: boolean): string {
  const WG = HEADS_WORKGROUP;
  const head = (seg: 'FWD' | 'BWD', out: string, outIndex: string) => `
  for (var m = 0u; m < M; m++) {
    var y = mp[pb + P_HEAD_${seg}_B + m];
    let w = pb + P_HEAD_${seg}_W + m * H;
    for (var q = 0u; q < H4; q++) { y += dot(${load4('mp', 'w + q * 4u')}, s[q]); }
    ${out}[${outIndex} + m] = y;
  }`;
  return /* wgsl */ `
${layoutConstsWgsl(c)}
const A = ${u(lp.A)};
const B = ${u(lp.B)};
const PART_ROWS = ${u(lp.partRows)};
const BTILES = ${u(lp.bTiles)};
const E = ${u(E)};

struct Params { ${HEADS_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> mp: array<f32>;
@group(0) @binding(2) var<storage, read> partB: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> fwdOut: array<f32>;
${backward ? '@group(0) @binding(4) var<storage, read> partA: array<vec4<f32>>;\n@group(0) @binding(5) var<storage, read_write> bwdOut: array<f32>;' : ''}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${u(WG)};
  let nF = P.learners * E * B;
  var s: array<vec4<f32>, H4>;
  if (id < nF) {
    let lg = id / (E * B);
    let eb = id % (E * B);
    let base = (lg * E + eb / B) * PART_ROWS * B + eb % B;
    for (var q = 0u; q < H4; q++) {
      var acc = vec4<f32>(0.0);
      for (var t = 0u; t < PART_ROWS; t++) { acc += partB[(base + t * B) * H4 + q]; }
      s[q] = acc / f32(A);
    }
    let pb = ((P.firstLearner + lg) / P.tasksPerMember) * D - P.paramShift;
    ${head('FWD', 'fwdOut', 'id * M')}
    return;
  }
${
  backward
    ? `  let j = id - nF;
  if (j >= P.learners * A) { return; }
  let lg = j / A;
  let a = j % A;
  for (var q = 0u; q < H4; q++) {
    var acc = vec4<f32>(0.0);
    for (var t = 0u; t < BTILES; t++) { acc += partA[((lg * BTILES + t) * A + a) * H4 + q]; }
    s[q] = acc / f32(B);
  }
  let pb = ((P.firstLearner + lg) / P.tasksPerMember) * D - P.paramShift;
  ${head('BWD', 'bwdOut', 'j * M')}`
    : ''
}
}
`;
}
