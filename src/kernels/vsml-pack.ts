/**
 * Repack each member's meta-parameters (the layout of src/spec/vsml-config.ts) into the
 * vec4-aligned blocks the cell kernel reads (PackedLayout, src/spec/plan.ts), once per episode:
 * the recurrent matrix as [row][H/4] quads, message columns as row quads, and bias + the fixed
 * gate offsets folded into one constant per gate row. Pure data movement (plus the offset add),
 * so `packParams` in TypeScript reproduces it exactly.
 *
 * One thread per (member of the group, packed vec4).
 */
import { type PackedLayout, packedLayout } from '../spec/plan';
import { FORGET_GATE_OFFSET, INPUT_GATE_OFFSET, type VsmlConfig, metaParamLayout } from '../spec/vsml-config';
import { cachedProgram, type Program } from './program';
import { configKey, gateOffsetWgsl, layoutConstsWgsl } from './vsml-common';
import template from './vsml-pack.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const PACK_WORKGROUP = 64;
export const PACK_PARAMS = ['members', 'firstMember', 'paramShift', 'gridX'] as const;

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

export function packProgram(c: VsmlConfig): Program<(typeof PACK_PARAMS)[number]> {
  return cachedProgram(`vsml-pack/${configKey(c)}`, () => ({
    label: 'vsml-pack',
    code: packKernelSource(c),
    entryPoint: 'main',
    workgroupSize: PACK_WORKGROUP,
    uniforms: PACK_PARAMS,
  }));
}

export function packKernelSource(c: VsmlConfig): string {
  const pk: PackedLayout = packedLayout(c);
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const rank = lowRank ? (c.cell as { rank: number }).rank : 0;
  return fillWgsl(
    template,
    {
      LAYOUT: layoutConstsWgsl(c),
      PV: u(pk.size),
      OFF_U: u(pk.u),
      OFF_WF: u(pk.wf),
      OFF_WB: u(pk.wb),
      OFF_CQ: u(pk.cq),
      RQ: u(pk.rowQuads),
      ROWS: u(lowRank ? rank : 4 * c.hidden),
      RANK: u(rank),
      MAT: lowRank ? 'P_LSTM_V' : 'P_LSTM_W',
      GATE_OFFSET: gateOffsetWgsl,
      LOW_RANK: lowRank,
      WG: PACK_WORKGROUP,
      WG_U: u(PACK_WORKGROUP),
    },
    'vsml-pack',
  );
}
