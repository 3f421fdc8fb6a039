/**
 * The VSML cell kernel: one workgroup steps one tile (TA inputs x TB outputs) of one learner's
 * layer for `ticks` ticks, for E examples (E = 1 when learning; E queries from the frozen state
 * when querying), and writes per-tile partial sums of h for the mean aggregations.
 *
 * Per workgroup: stage the member's recurrent matrix (W_h, or V_h / U for the low-rank cell) in
 * workgroup memory once; compute the message terms once per input unit of the tile (W_f fwd_a)
 * and once per output unit (W_b bwd_b + bias + gate offset); then each thread keeps its cell's
 * h and c in registers (vec4 variables, unrolled) across ticks and examples.
 *
 * Buffers (all [group learner]-major; see src/inner/plan.ts for the tiled state layout):
 *   fwdIn  input layer: x [Lg][E][A] f32;  other layers: forward messages [Lg][E][A][M]
 *   bwdIn  [Lg][B][M]  (ignored when P.zeroBwd != 0)
 *   partB  [Lg][E][aTiles][B][H/4] vec4: sum over the tile's a of h_ab
 *   partA  [Lg][bTiles][A][H/4] vec4: sum over the tile's b of h_ab (learning, layers > 0 only)
 */
import type { LayerPlan } from '../inner/plan';
import type { VsmlConfig } from '../inner/vsml-config';
import { activationsWgsl, gateOffsetWgsl, layoutConstsWgsl, load4, u } from './vsml-common';

export type CellMode = 'learn' | 'query';

export interface CellKernelSpec {
  config: VsmlConfig;
  layer: LayerPlan;
  mode: CellMode;
  /** Examples per learner in one dispatch (1 when learning). */
  examples: number;
  workgroupSize: number;
}

/** Uniform block of the cell kernel, in u32 words (order = WGSL struct order). */
export const CELL_PARAMS = ['unitBase', 'unitCount', 'gridX', 'firstLearner', 'tasksPerMember', 'paramShift', 'zeroBwd', 'pad'] as const;

export function cellParams(v: Record<(typeof CELL_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(CELL_PARAMS.map((k) => v[k]));
}

export function cellKernelSource(spec: CellKernelSpec): string {
  const { config: c, layer: lp, mode, examples: E, workgroupSize: WG } = spec;
  const H = c.hidden;
  const H4 = H / 4;
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const R4 = lp.termRows / 4; // vec4 rows of the message terms: H (full: 4H rows) or rank/4
  const learn = mode === 'learn';
  const wantPartA = learn && !lp.isInput;
  if (learn && E !== 1) throw new Error('learning steps one example per learner');
  const rank = lowRank ? (c.cell as { rank: number }).rank : 0;

  // ---- weight accessors: staged in workgroup memory, or read from the meta-parameter buffer.
  let weightDecls = '';
  let stageCode = '';
  let accessors = '';
  if (!lowRank) {
    // WH(i): vec4 j of row `row` of W's h-columns, i = row * H4 + j.
    if (lp.stageWeights) {
      weightDecls = `var<workgroup> sWh: array<vec4<f32>, ${4 * H * H4}>;`;
      stageCode = `
  for (var i = lid; i < ${u(4 * H * H4)}; i += ${u(WG)}) {
    let o = pb + P_LSTM_W + (i / H4) * Z + 2u * M + (i % H4) * 4u;
    sWh[i] = ${load4('mp', 'o')};
  }`;
      accessors = `fn WH(i: u32, pb: u32) -> vec4<f32> { return sWh[i]; }`;
    } else {
      accessors = `fn WH(i: u32, pb: u32) -> vec4<f32> {
  let o = pb + P_LSTM_W + (i / H4) * Z + 2u * M + (i % H4) * 4u;
  return ${load4('mp', 'o')};
}`;
    }
  } else {
    // VH(i): vec4 j of row p of V's h-columns (i = p * H4 + j; rows >= rank are 0).
    // UU(i): vec4 q of row `row` of U (i = row * R4 + q; columns >= rank are 0).
    // sConst: bias + gate offset per gate row, as vec4 quads.
    weightDecls = `var<workgroup> sConst: array<vec4<f32>, ${H}>;`;
    stageCode = `
  for (var i = lid; i < ${u(H)}; i += ${u(WG)}) {
    sConst[i] = ${load4('mp', 'pb + P_LSTM_B + i * 4u')} +
      vec4<f32>(gate_offset(i * 4u), gate_offset(i * 4u + 1u), gate_offset(i * 4u + 2u), gate_offset(i * 4u + 3u));
  }`;
    const vhLoad = `fn ld_vh(i: u32, pb: u32) -> vec4<f32> {
  let p = i / H4;
  if (p >= ${u(rank)}) { return vec4<f32>(0.0); }
  let o = pb + P_LSTM_V + p * Z + 2u * M + (i % H4) * 4u;
  return ${load4('mp', 'o')};
}
fn ld_u(i: u32, pb: u32) -> vec4<f32> {
  let row = i / ${u(R4)};
  let q = (i % ${u(R4)}) * 4u;
  let o = pb + P_LSTM_U + row * ${u(rank)};
  var v = vec4<f32>(0.0);
  for (var k = 0u; k < 4u; k++) { if (q + k < ${u(rank)}) { v[k] = mp[o + q + k]; } }
  return v;
}`;
    if (lp.stageWeights) {
      weightDecls += `
var<workgroup> sVh: array<vec4<f32>, ${R4 * 4 * H4}>;
var<workgroup> sU: array<vec4<f32>, ${4 * H * R4}>;`;
      stageCode += `
  for (var i = lid; i < ${u(R4 * 4 * H4)}; i += ${u(WG)}) { sVh[i] = ld_vh(i, pb); }
  for (var i = lid; i < ${u(4 * H * R4)}; i += ${u(WG)}) { sU[i] = ld_u(i, pb); }`;
      accessors = `${vhLoad}
fn VH(i: u32, pb: u32) -> vec4<f32> { return sVh[i]; }
fn UU(i: u32, pb: u32) -> vec4<f32> { return sU[i]; }`;
    } else {
      accessors = `${vhLoad}
fn VH(i: u32, pb: u32) -> vec4<f32> { return ld_vh(i, pb); }
fn UU(i: u32, pb: u32) -> vec4<f32> { return ld_u(i, pb); }`;
    }
  }

  // ---- message terms, one pre-activation row at a time.
  // Forward: row `row` of the fwd columns times the input unit's message.
  const fwdMat = lowRank ? 'P_LSTM_V' : 'P_LSTM_W';
  const termRowsReal = lowRank ? rank : 4 * H;
  const fwdTerm = lp.isInput
    ? `mp[pb + ${fwdMat} + row * Z] * fwdIn[(lg * ${u(E)} + e) * ${u(lp.A)} + a]`
    : `fwd_dot(pb + ${fwdMat} + row * Z, ((lg * ${u(E)} + e) * ${u(lp.A)} + a) * M)`;
  const bwdBias = lowRank ? '0.0' : 'mp[pb + P_LSTM_B + row] + gate_offset(row)';
  const termFns = `
fn fwd_dot(w: u32, x: u32) -> f32 {
  var s = 0.0;
  for (var m = 0u; m < M; m++) { s += mp[w + m] * fwdIn[x + m]; }
  return s;
}
fn fwd_term(pb: u32, row: u32, lg: u32, e: u32, a: u32) -> f32 {
  if (row >= ${u(termRowsReal)}) { return 0.0; }
  return ${fwdTerm};
}
fn bwd_term(pb: u32, row: u32, lg: u32, b: u32) -> f32 {
  if (row >= ${u(termRowsReal)}) { return 0.0; }
  var s = ${bwdBias};
  if (P.zeroBwd == 0u) {
    let w = pb + ${fwdMat} + row * Z + M;
    let x = (lg * ${u(lp.B)} + b) * M;
    for (var m = 0u; m < M; m++) { s += mp[w + m] * bwdIn[x + m]; }
  }
  return s;
}`;

  // ---- the unrolled cell tick.
  const hv = (j: number) => `h${j}`;
  const dotRow = (acc: (i: number) => string, row: number, n: number, vec: (j: number) => string) =>
    Array.from({ length: n }, (_, j) => `dot(${acc(row * n + j)}, ${vec(j)})`).join(' + ');
  let tick = '';
  if (!lowRank) {
    for (let q = 0; q < H4; q++) {
      const pre = (G: number) => {
        const qi = G * H4 + q;
        const rows = [0, 1, 2, 3].map((k) => dotRow((i) => `WH(${u(i)}, pb)`, G * H + 4 * q + k, H4, hv));
        return `sGf[fo + ${u(qi)}] + sGb[bo + ${u(qi)}] + vec4<f32>(${rows.join(',\n        ')})`;
      };
      tick += `
      {
        let pi = ${pre(0)};
        let pf = ${pre(1)};
        let pg = ${pre(2)};
        let po = ${pre(3)};
        c${q} = sig4(pf) * c${q} + sig4(pi) * tanh4(pg);
        n${q} = sig4(po) * tanh4(c${q});
      }`;
    }
  } else {
    for (let p = 0; p < R4; p++) {
      const rows = [0, 1, 2, 3].map((k) => dotRow((i) => `VH(${u(i)}, pb)`, 4 * p + k, H4, hv));
      tick += `
      let v${p} = sGf[fo + ${u(p)}] + sGb[bo + ${u(p)}] + vec4<f32>(${rows.join(',\n        ')});`;
    }
    for (let q = 0; q < H4; q++) {
      const pre = (G: number) => {
        const rows = [0, 1, 2, 3].map((k) => dotRow((i) => `UU(${u(i)}, pb)`, G * H + 4 * q + k, R4, (j) => `v${j}`));
        return `sConst[${u(G * H4 + q)}] + vec4<f32>(${rows.join(',\n        ')})`;
      };
      tick += `
      {
        let pi = ${pre(0)};
        let pf = ${pre(1)};
        let pg = ${pre(2)};
        let po = ${pre(3)};
        c${q} = sig4(pf) * c${q} + sig4(pi) * tanh4(pg);
        n${q} = sig4(po) * tanh4(c${q});
      }`;
    }
  }
  const Q = Array.from({ length: H4 }, (_, q) => q);
  const stateLoads = Q.map((q) => `    s${q} = state[sb + ${u(q * lp.TT)}];\n    t${q} = state[sb + ${u((H4 + q) * lp.TT)}];`).join('\n');
  const stateStores = Q.map((q) => `        state[sb + ${u(q * lp.TT)}] = h${q};\n        state[sb + ${u((H4 + q) * lp.TT)}] = c${q};`).join('\n');

  return /* wgsl */ `
${layoutConstsWgsl(c)}
const A = ${u(lp.A)};
const B = ${u(lp.B)};
const TA = ${u(lp.TA)};
const TB = ${u(lp.TB)};
const TT = ${u(lp.TT)};
const ATILES = ${u(lp.aTiles)};
const BTILES = ${u(lp.bTiles)};
const UNITS_PER_LEARNER = ${u(lp.unitsPerLearner)};
const UNIT_VEC4S = ${u(lp.unitVec4s)};
const ROWS4 = ${u(R4)};
const E = ${u(E)};
const TICKS = ${u(c.ticks)};

struct Params { ${CELL_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> mp: array<f32>;
@group(0) @binding(2) var<storage, ${learn ? 'read_write' : 'read'}> state: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> fwdIn: array<f32>;
@group(0) @binding(4) var<storage, read> bwdIn: array<f32>;
@group(0) @binding(5) var<storage, read_write> partB: array<vec4<f32>>;
${wantPartA ? '@group(0) @binding(6) var<storage, read_write> partA: array<vec4<f32>>;' : ''}

${weightDecls}
var<workgroup> sGf: array<vec4<f32>, ${lp.TA * R4}>;
var<workgroup> sGb: array<vec4<f32>, ${lp.TB * R4}>;
var<workgroup> sH: array<vec4<f32>, ${lp.TT * H4}>;

${activationsWgsl}
${gateOffsetWgsl}
${accessors}
${termFns}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let unit = wid.x + wid.y * P.gridX;
  if (unit >= P.unitCount) { return; }
  let gu = P.unitBase + unit;
  let lg = gu / UNITS_PER_LEARNER;
  let tile = gu % UNITS_PER_LEARNER;
  let aTile = tile / BTILES;
  let bTile = tile % BTILES;
  let pb = ((P.firstLearner + lg) / P.tasksPerMember) * D - P.paramShift;
  let nA = min(TA, A - aTile * TA);
  let nB = min(TB, B - bTile * TB);
${stageCode}
  // Backward terms (+ bias and gate offsets for the full cell): fixed for all examples and ticks.
  for (var i = lid; i < TB * ROWS4; i += ${u(WG)}) {
    let b = min(bTile * TB + i / ROWS4, B - 1u);
    let r = (i % ROWS4) * 4u;
    sGb[i] = vec4<f32>(bwd_term(pb, r, lg, b), bwd_term(pb, r + 1u, lg, b), bwd_term(pb, r + 2u, lg, b), bwd_term(pb, r + 3u, lg, b));
  }
  let ta = lid / TB;
  let tb = lid % TB;
  let valid = lid < TT && ta < nA && tb < nB;
  let fo = ta * ROWS4;
  let bo = tb * ROWS4;
  let sb = unit * UNIT_VEC4S + lid;
  ${Q.map((q) => `var s${q} = vec4<f32>(0.0); var t${q} = vec4<f32>(0.0);`).join(' ')}
  if (valid) {
${stateLoads}
  }
  for (var e = 0u; e < E; e++) {
    // Forward terms of this example for the tile's input units.
    for (var i = lid; i < TA * ROWS4; i += ${u(WG)}) {
      let a = min(aTile * TA + i / ROWS4, A - 1u);
      let r = (i % ROWS4) * 4u;
      sGf[i] = vec4<f32>(fwd_term(pb, r, lg, e, a), fwd_term(pb, r + 1u, lg, e, a), fwd_term(pb, r + 2u, lg, e, a), fwd_term(pb, r + 3u, lg, e, a));
    }
    workgroupBarrier();
    if (valid) {
      ${Q.map((q) => `var h${q} = s${q}; var c${q} = t${q}; var n${q}: vec4<f32>;`).join(' ')}
      for (var tick = 0u; tick < TICKS; tick++) {${tick}
        ${Q.map((q) => `h${q} = n${q};`).join(' ')}
      }
      ${Q.map((q) => `sH[lid * H4 + ${u(q)}] = h${q};`).join(' ')}
${learn ? stateStores : ''}
    }
    workgroupBarrier();
    // Partial forward aggregation: sum over the tile's inputs, per output unit.
    for (var i = lid; i < nB * H4; i += ${u(WG)}) {
      let tbi = i / H4;
      let q = i % H4;
      var s = vec4<f32>(0.0);
      for (var t = 0u; t < nA; t++) { s += sH[(t * TB + tbi) * H4 + q]; }
      partB[(((lg * E + e) * ATILES + aTile) * B + bTile * TB + tbi) * H4 + q] = s;
    }
${
  wantPartA
    ? `    // Partial backward aggregation: sum over the tile's outputs, per input unit.
    for (var i = lid; i < nA * H4; i += ${u(WG)}) {
      let tai = i / H4;
      let q = i % H4;
      var s = vec4<f32>(0.0);
      for (var t = 0u; t < nB; t++) { s += sH[(tai * TB + t) * H4 + q]; }
      partA[((lg * BTILES + bTile) * A + aTile * TA + tai) * H4 + q] = s;
    }`
    : ''
}
    workgroupBarrier();
  }
}
`;
}
