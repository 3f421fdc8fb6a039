/**
 * The VSML cell kernel: one workgroup steps one tile (TA inputs x TB outputs) of one learner's
 * layer for `ticks` ticks, for E examples (E = 1 when learning; E queries from the frozen state
 * when querying), and writes partial sums of h for the mean aggregations.
 *
 * GPU path ('workgroup' weights): the member's packed recurrent matrix (W_h, or V_h and U) is
 * staged in workgroup memory once per workgroup; the message terms are computed once per input
 * unit of the tile (W_f fwd_a) and once per output unit (W_b bwd_b + bias + gate offset), not once
 * per cell; each thread keeps its cell's h and c in registers (vec4 variables, unrolled tick)
 * across ticks and examples; the tile's h are summed in workgroup memory (fixed order).
 *
 * CPU path ('private' weights, SwiftShader): workgroup-memory loads are gathers there and its
 * compile time grows with workgroup memory, so each thread copies the weights into a private array
 * once (constant-offset loads are plain vector loads), owns one input row a and steps the tile's
 * outputs one after the other; no workgroup memory, no barriers; row sums go straight to partB.
 *
 * Buffers (all [group learner]-major; tiled state layout: src/inner/plan.ts):
 *   pk     packed weights [member of group][PackedLayout.size] vec4
 *   fwdIn  input layer: x [Lg][E][A] f32;  other layers: forward messages [Lg][E][A][M]
 *   bwdIn  [Lg][B][M]  (ignored when P.zeroBwd != 0); CPU path: gb [Lg][B][RQ] vec4 from vsml-terms.ts
 *   partB  [Lg][E][aTiles][B][H/4] vec4: sum over the tile's a of h_ab
 *   partA  [Lg][bTiles][A][H/4] vec4: sum over the tile's b of h_ab (learning, layers > 0 only)
 */
import { type LayerPlan, packedLayout } from '../inner/plan';
import type { VsmlConfig } from '../inner/vsml-config';
import { activationsWgsl, u } from './vsml-common';

export type CellMode = 'learn' | 'query';

export interface CellKernelSpec {
  config: VsmlConfig;
  layer: LayerPlan;
  mode: CellMode;
  /** Examples per learner in one dispatch (1 when learning). */
  examples: number;
}

/** Uniform block of the cell kernel, in u32 words (order = WGSL struct order). */
export const CELL_PARAMS = ['unitBase', 'unitCount', 'gridX', 'firstLearner', 'tasksPerMember', 'firstMember', 'zeroBwd', 'pad'] as const;

export function cellParams(v: Record<(typeof CELL_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(CELL_PARAMS.map((k) => v[k]));
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function cellKernelSource(spec: CellKernelSpec): string {
  const { config: c, layer: lp, mode, examples: E } = spec;
  const WG = lp.threads;
  const H = c.hidden;
  const H4 = H / 4;
  const M = c.message;
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const pk = packedLayout(c);
  const RQ = pk.rowQuads; // vec4 rows of the message terms: H (full: 4H rows) or rank/4
  const learn = mode === 'learn';
  const wantPartA = learn && !lp.isInput;
  const src = lp.weights;
  if (learn && E !== 1) throw new Error('learning steps one example per learner');
  if (lp.TBC * lp.NC !== lp.TB) throw new Error('cell tile does not match the thread layout');

  // ---- weight accessors (indices are compile-time constants after unrolling).
  // Weights needed per tick: the recurrent block, U and the gate constants (low-rank).
  const tickVec4s = pk.recSize + pk.uSize + (lowRank ? H : 0);
  const wIdx = (region: 'rec' | 'u' | 'cq', i: number) => (region === 'rec' ? i : region === 'u' ? pk.recSize + i : pk.recSize + pk.uSize + i);
  const pkIdx = (region: 'rec' | 'u' | 'cq', i: number) => (region === 'rec' ? pk.rec + i : region === 'u' ? pk.u + i : pk.cq + i);
  const W = (region: 'rec' | 'u' | 'cq', i: number) =>
    src === 'workgroup' ? `sW[${u(wIdx(region, i))}]` : src === 'private' ? `wp[${u(wIdx(region, i))}]` : `pk[pb + ${u(pkIdx(region, i))}]`;
  // The copy loop fills sW / wp in the order of wIdx: rec, then u, then cq.
  const copyLoop = (dst: string, start: string, step: string) =>
    `for (var i = ${start}; i < ${u(tickVec4s)}; i += ${step}) { ${dst}[i] = tick_weight(pb, i); }`;
  // Message terms of row quad qi: constant per (cell, example). Private mode keeps them in a private array.
  const GT = (qi: number) => (src === 'private' ? `gt[${u(qi)}]` : `(sGf[fo + ${u(qi)}] + sGb[bo + ${u(qi)}])`);

  // ---- the unrolled cell tick: h_j, c_q, n_q are the cell's quads.
  const quads = range(H4);
  /** target = base + (rows row0..row0+3 of matrix acc(row * n + j)) . vec(j). */
  const rowQuad = (target: string, base: string, acc: (idx: number) => string, row0: number, n: number, vec: (j: number) => string) => {
    const comps = range(4).map((k) => range(n).map((j) => `dot(${acc((row0 + k) * n + j)}, ${vec(j)})`).join(' + '));
    return `${target} = ${base} + vec4<f32>(\n          ${comps.join(',\n          ')});`;
  };
  let tick = '';
  if (lowRank) {
    for (const p of range(RQ)) {
      tick += `
        let v${p} = ${GT(p)} + vec4<f32>(\n          ${range(4).map((k) => quads.map((j) => `dot(${W('rec', (4 * p + k) * H4 + j)}, h${j})`).join(' + ')).join(',\n          ')});`;
    }
  }
  const gates = ['pi', 'pf', 'pg', 'po'];
  for (const q of quads) {
    tick += `
        {`;
    for (const G of range(4)) {
      const qi = G * H4 + q;
      tick += `
        var ${gates[G]}: vec4<f32>;
        ${
          lowRank
            ? rowQuad(gates[G], W('cq', qi), (idx) => W('u', idx), G * H + 4 * q, RQ, (j) => `v${j}`)
            : rowQuad(gates[G], GT(qi), (idx) => W('rec', idx), G * H + 4 * q, H4, (j) => `h${j}`)
        }`;
    }
    tick += `
        c${q} = sig4(pf) * c${q} + sig4(pi) * tanh4(pg);
        n${q} = sig4(po) * tanh4(c${q});
        }`;
  }

  const fwdTerm = lp.isInput
    ? `pk[pb + ${u(pk.wf)} + q * M] * fwdIn[(lg * E + e) * A + a]`
    : `fwd_term(pb, q, ((lg * E + e) * A + a) * M)`;
  const header = `
const H4 = ${u(H4)};
const M = ${u(M)};
const A = ${u(lp.A)};
const B = ${u(lp.B)};
const TA = ${u(lp.TA)};
const TB = ${u(lp.TB)};
const TT = ${u(lp.TT)};
const BTILES = ${u(lp.bTiles)};
const UNITS_PER_LEARNER = ${u(lp.unitsPerLearner)};
const UNIT_VEC4S = ${u(lp.unitVec4s)};
const RQ = ${u(RQ)};
const PV = ${u(pk.size)};
const E = ${u(E)};
const TICKS = ${u(c.ticks)};

struct Params { ${CELL_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> pk: array<vec4<f32>>;
@group(0) @binding(2) var<storage, ${learn ? 'read_write' : 'read'}> state: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> fwdIn: array<f32>;
${src === 'private' ? '@group(0) @binding(4) var<storage, read> gb: array<vec4<f32>>;' : '@group(0) @binding(4) var<storage, read> bwdIn: array<f32>;'}
@group(0) @binding(5) var<storage, read_write> partB: array<vec4<f32>>;
${wantPartA ? '@group(0) @binding(6) var<storage, read_write> partA: array<vec4<f32>>;' : ''}

${activationsWgsl}

// Weights used every tick, in copy order: recurrent block, then U and the gate constants (low-rank).
fn tick_weight(pb: u32, i: u32) -> vec4<f32> {
  if (i < ${u(pk.recSize)}) { return pk[pb + ${u(pk.rec)} + i]; }
  if (i < ${u(pk.recSize + pk.uSize)}) { return pk[pb + ${u(pk.u)} + i - ${u(pk.recSize)}]; }
  return pk[pb + ${u(pk.cq)} + i - ${u(pk.recSize + pk.uSize)}];
}

// Forward term of row quad q: sum_m (rows 4q..4q+3 of column m) * message[m].
fn fwd_term(pb: u32, q: u32, x: u32) -> vec4<f32> {
  var s = vec4<f32>(0.0);
  for (var m = 0u; m < M; m++) { s += pk[pb + ${u(pk.wf)} + q * M + m] * fwdIn[x + m]; }
  return s;
}

${
  src === 'private'
    ? ''
    : `// Backward term of row quad q for output unit b (+ bias and gate offsets for the full cell).
fn bwd_term(pb: u32, q: u32, lg: u32, b: u32) -> vec4<f32> {
  var s = ${lowRank ? 'vec4<f32>(0.0)' : `pk[pb + ${u(pk.cq)} + q]`};
  if (P.zeroBwd == 0u) {
    let x = (lg * B + b) * M;
    for (var m = 0u; m < M; m++) { s += pk[pb + ${u(pk.wb)} + q * M + m] * bwdIn[x + m]; }
  }
  return s;
}`
}
`;
  const prologue = `let unit = wid.x + wid.y * P.gridX;
  if (unit >= P.unitCount) { return; }
  let gu = P.unitBase + unit;
  let lg = gu / UNITS_PER_LEARNER;
  let tile = gu % UNITS_PER_LEARNER;
  let aTile = tile / BTILES;
  let bTile = tile % BTILES;
  let pb = ((P.firstLearner + lg) / P.tasksPerMember - P.firstMember) * PV;
  let nA = min(TA, A - aTile * TA);
  let nB = min(TB, B - bTile * TB);`;
  const tickLoop = `for (var tick = 0u; tick < TICKS; tick++) {${tick}
        ${quads.map((q) => `h${q} = n${q};`).join(' ')}
      }`;

  if (src === 'private') {
    // CPU path: a thread owns input row a and steps the tile's outputs in turn. No workgroup
    // memory, no barriers; each row's h goes straight to partB (partRows = A).
    return /* wgsl */ `${header}
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${prologue}
  let ta = lid;
  if (ta >= nA) { return; }
  let a = aTile * TA + ta;
  var wp: array<vec4<f32>, ${tickVec4s}>;
  ${copyLoop('wp', '0u', '1u')}
  var gf: array<vec4<f32>, ${RQ}>;
  var gt: array<vec4<f32>, ${RQ}>;
  for (var e = 0u; e < E; e++) {
    for (var q = 0u; q < RQ; q++) { gf[q] = ${fwdTerm}; }
    ${wantPartA ? `var hs: array<vec4<f32>, ${H4}>;` : ''}
    for (var ci = 0u; ci < nB; ci++) {
      let b = bTile * TB + ci;
      let sb = unit * UNIT_VEC4S + ta * TB + ci;
      for (var q = 0u; q < RQ; q++) { gt[q] = gf[q] + gb[(lg * B + b) * RQ + q]; }
      ${quads.map((q) => `var h${q} = state[sb + ${u(q * lp.TT)}]; var c${q} = state[sb + ${u((H4 + q) * lp.TT)}]; var n${q}: vec4<f32>;`).join('\n      ')}
      ${tickLoop}
      ${quads.map((q) => `partB[(((lg * E + e) * A + a) * B + b) * H4 + ${u(q)}] = h${q};`).join('\n      ')}
      ${learn ? quads.map((q) => `state[sb + ${u(q * lp.TT)}] = h${q}; state[sb + ${u((H4 + q) * lp.TT)}] = c${q};`).join('\n      ') : ''}
      ${wantPartA ? quads.map((q) => `hs[${q}] += h${q};`).join(' ') : ''}
    }
    ${wantPartA ? `for (var q = 0u; q < H4; q++) { partA[((lg * BTILES + bTile) * A + a) * H4 + q] = hs[q]; }` : ''}
  }
}
`;
  }

  // GPU path: workgroup memory for the weights ('workgroup') or not ('storage'), the message
  // terms of the tile and the tile's h for the partial sums; one cell per thread.
  return /* wgsl */ `${header}
const ATILES = ${u(lp.aTiles)};
const TBC = ${u(lp.TBC)};
${src === 'workgroup' ? `var<workgroup> sW: array<vec4<f32>, ${tickVec4s}>;` : ''}
var<workgroup> sGf: array<vec4<f32>, ${lp.TA * RQ}>;
var<workgroup> sGb: array<vec4<f32>, ${lp.TB * RQ}>;
var<workgroup> sH: array<vec4<f32>, ${lp.TT * H4}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${prologue}
  ${src === 'workgroup' ? copyLoop('sW', 'lid', u(WG)) : ''}
  // Backward terms: fixed for all examples and ticks of this step.
  for (var i = lid; i < TB * RQ; i += ${u(WG)}) {
    sGb[i] = bwd_term(pb, i % RQ, lg, min(bTile * TB + i / RQ, B - 1u));
  }
  let ta = lid / TBC;
  let tb = lid % TBC;
  let ok = ta < nA && tb < nB;
  let fo = ta * RQ;
  let bo = tb * RQ;
  let sb = unit * UNIT_VEC4S + ta * TB + tb;
  // The cell's state stays in registers across the E examples (query batches).
  ${quads.map((q) => `var s${q} = vec4<f32>(0.0); var t${q} = vec4<f32>(0.0);`).join(' ')}
  if (ok) {
    ${quads.map((q) => `s${q} = state[sb + ${u(q * lp.TT)}]; t${q} = state[sb + ${u((H4 + q) * lp.TT)}];`).join('\n    ')}
  }
  for (var e = 0u; e < E; e++) {
    // Forward terms of this example for the tile's input units.
    for (var i = lid; i < TA * RQ; i += ${u(WG)}) {
      let a = min(aTile * TA + i / RQ, A - 1u);
      let q = i % RQ;
      sGf[i] = ${fwdTerm};
    }
    workgroupBarrier();
    if (ok) {
      ${quads.map((q) => `var h${q} = s${q}; var c${q} = t${q}; var n${q}: vec4<f32>;`).join(' ')}
      ${tickLoop}
      ${quads.map((q) => `sH[lid * H4 + ${u(q)}] = h${q};`).join(' ')}
      ${learn ? quads.map((q) => `state[sb + ${u(q * lp.TT)}] = h${q}; state[sb + ${u((H4 + q) * lp.TT)}] = c${q};`).join('\n      ') : ''}
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
