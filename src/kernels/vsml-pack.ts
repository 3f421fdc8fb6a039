/**
 * Repack each member's meta-parameters (the layout of src/inner/vsml-config.ts) into the
 * vec4-aligned blocks the cell kernel reads (PackedLayout, src/inner/plan.ts), once per episode:
 * the recurrent matrix as [row][H/4] quads, message columns as row quads, and bias + the fixed
 * gate offsets folded into one constant per gate row. Pure data movement (plus the offset add),
 * so `packParams` in TypeScript reproduces it exactly.
 *
 * One thread per (member of the group, packed vec4).
 */
import { type PackedLayout, packedLayout } from '../inner/plan';
import { FORGET_GATE_OFFSET, INPUT_GATE_OFFSET, type VsmlConfig, metaParamLayout } from '../inner/vsml-config';
import { gateOffsetWgsl, layoutConstsWgsl, u } from './vsml-common';

export const PACK_WORKGROUP = 64;
export const PACK_PARAMS = ['members', 'firstMember', 'paramShift', 'gridX'] as const;

const PACK_PARAMS_DECL = PACK_PARAMS.map((k) => `${k}: u32`).join(', ');

export function packParams(v: Record<(typeof PACK_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(PACK_PARAMS.map((k) => v[k]));
}

function gateOffset(row: number, H: number): number {
  return row < H ? INPUT_GATE_OFFSET : row < 2 * H ? FORGET_GATE_OFFSET : 0;
}

/** TypeScript twin of the pack kernel for one member (f32 result). */
export function packMember(c: VsmlConfig, params: ArrayLike<number>): Float32Array {
  const pk = packedLayout(c);
  const layout = metaParamLayout(c);
  const H = c.hidden;
  const M = c.message;
  const Z = 2 * M + H;
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const rank = lowRank ? (c.cell as { rank: number }).rank : 0;
  const rows = lowRank ? rank : 4 * H;
  const mat = layout.get(lowRank ? 'lstm.V' : 'lstm.W').offset;
  const out = new Float32Array(pk.size * 4);
  const R4 = pk.rowQuads;
  for (let v = 0; v < pk.size; v++) {
    for (let k = 0; k < 4; k++) {
      let x = 0;
      if (v < pk.u) {
        const row = Math.floor(v / (H / 4));
        const col = 2 * M + (v % (H / 4)) * 4 + k;
        if (row < rows) x = params[mat + row * Z + col];
      } else if (v < pk.wf) {
        const row = Math.floor((v - pk.u) / R4);
        const col = ((v - pk.u) % R4) * 4 + k;
        if (col < rank) x = params[layout.get('lstm.U').offset + row * rank + col];
      } else if (v < pk.cq) {
        const back = v >= pk.wb ? 1 : 0;
        const i = v - (back ? pk.wb : pk.wf);
        const row = Math.floor(i / M) * 4 + k;
        if (row < rows) x = params[mat + row * Z + back * M + (i % M)];
      } else {
        const row = (v - pk.cq) * 4 + k;
        x = Math.fround(params[layout.get('lstm.b').offset + row] + gateOffset(row, H));
      }
      out[v * 4 + k] = x;
    }
  }
  return out;
}

export function packKernelSource(c: VsmlConfig): string {
  const pk: PackedLayout = packedLayout(c);
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const rank = lowRank ? (c.cell as { rank: number }).rank : 0;
  return /* wgsl */ `
${layoutConstsWgsl(c)}
const PV = ${u(pk.size)};
const OFF_U = ${u(pk.u)};
const OFF_WF = ${u(pk.wf)};
const OFF_WB = ${u(pk.wb)};
const OFF_CQ = ${u(pk.cq)};
const RQ = ${u(pk.rowQuads)};
const ROWS = ${u(lowRank ? rank : 4 * c.hidden)};
const RANK = ${u(rank)};
const MAT = ${lowRank ? 'P_LSTM_V' : 'P_LSTM_W'};

struct Params { ${PACK_PARAMS_DECL} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> mp: array<f32>;
@group(0) @binding(2) var<storage, read_write> pk: array<vec4<f32>>;
${gateOffsetWgsl}

fn packed(mb: u32, v: u32, k: u32) -> f32 {
  if (v < OFF_U) {
    let row = v / H4;
    if (row >= ROWS) { return 0.0; }
    return mp[mb + MAT + row * Z + 2u * M + (v % H4) * 4u + k];
  }
  if (v < OFF_WF) {
${
  lowRank
    ? `    let col = ((v - OFF_U) % RQ) * 4u + k;
    if (col >= RANK) { return 0.0; }
    return mp[mb + P_LSTM_U + ((v - OFF_U) / RQ) * RANK + col];`
    : '    return 0.0;'
}
  }
  if (v < OFF_CQ) {
    let back = select(0u, 1u, v >= OFF_WB);
    let i = v - select(OFF_WF, OFF_WB, back == 1u);
    let row = (i / M) * 4u + k;
    if (row >= ROWS) { return 0.0; }
    return mp[mb + MAT + row * Z + back * M + i % M];
  }
  let row = (v - OFF_CQ) * 4u + k;
  return mp[mb + P_LSTM_B + row] + gate_offset(row);
}

@compute @workgroup_size(${PACK_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${u(PACK_WORKGROUP)};
  if (id >= P.members * PV) { return; }
  let ml = id / PV;
  let v = id % PV;
  let mb = (P.firstMember + ml) * D - P.paramShift;
  pk[id] = vec4<f32>(packed(mb, v, 0u), packed(mb, v, 1u), packed(mb, v, 2u), packed(mb, v, 3u));
}
`;
}
