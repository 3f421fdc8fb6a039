// The VSML cell kernel: one workgroup steps one tile (TA inputs x TB outputs) of one learner's
// layer for TICKS ticks, for E examples, and writes partial sums of h for the mean aggregations.
// Two paths (vsml-cell.ts explains when each is used):
//  - PRIVATE (CPU, SwiftShader): each thread copies the tick weights into a private array, owns
//    input row a and steps the tile's outputs in turn; no workgroup memory, no barriers;
//  - otherwise (GPU): weights in workgroup memory (WORKGROUP) or read in place (storage), one
//    cell per thread, the tile's h summed in workgroup memory.
// The placeholders TICK, LOAD_CELL, NEXT_H, ... (upper case) are the per-quad code generated in
// vsml-cell.ts: the cell's h and c live in vec4 registers h0.., c0.. (H/4 of each), and one tick
// is unrolled over them.
const H4 = ${H4};
const M = ${M};
const A = ${A};
const B = ${B};
const TA = ${TA};
const TB = ${TB};
const TT = ${TT};
const BTILES = ${BTILES};
const UNITS_PER_LEARNER = ${UNITS_PER_LEARNER};
const UNIT_VEC4S = ${UNIT_VEC4S};
const RQ = ${RQ};
const PV = ${PV};
const E = ${E};
const TICKS = ${TICKS};

struct Params { unitBase: u32, unitCount: u32, gridX: u32, firstLearner: u32, tasksPerMember: u32, firstMember: u32, zeroBwd: u32, paramShift: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> pk: array<vec4<f32>>;
#if ${LEARN}
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> state: array<vec4<f32>>;
#endif
@group(0) @binding(3) var<storage, read> fwdIn: array<f32>;
#if ${PRIVATE}
@group(0) @binding(4) var<storage, read> gb: array<vec4<f32>>;
#else
@group(0) @binding(4) var<storage, read> bwdIn: array<f32>;
#endif
#if ${COLUMNS}
// The column mapping applies the forward head itself (no partial sums, no heads dispatch).
@group(0) @binding(5) var<storage, read_write> fwdOut: array<f32>;
@group(0) @binding(6) var<storage, read> mp: array<f32>;
#else
@group(0) @binding(5) var<storage, read_write> partB: array<vec4<f32>>;
#endif
#if ${PART_A}
@group(0) @binding(6) var<storage, read_write> partA: array<vec4<f32>>;
#endif

${ACTIVATIONS}

// Weights used every tick, in copy order: recurrent block, then U and the gate constants (low-rank).
fn tick_weight(pb: u32, i: u32) -> vec4<f32> {
  if (i < ${REC_SIZE}) { return pk[pb + ${OFF_REC} + i]; }
  if (i < ${REC_U_SIZE}) { return pk[pb + ${OFF_U} + i - ${REC_SIZE}]; }
  return pk[pb + ${OFF_CQ} + i - ${REC_U_SIZE}];
}

// Forward term of row quad q: sum_m (rows 4q..4q+3 of column m) * message[m].
fn fwd_term(pb: u32, q: u32, x: u32) -> vec4<f32> {
  var s = vec4<f32>(0.0);
  for (var m = 0u; m < M; m++) { s += pk[pb + ${OFF_WF} + q * M + m] * fwdIn[x + m]; }
  return s;
}

#if ${PRIVATE}
#else
// Backward term of row quad q for output unit b (+ bias and gate offsets for the full cell).
fn bwd_term(pb: u32, q: u32, lg: u32, b: u32) -> vec4<f32> {
#if ${LOW_RANK}
  var s = vec4<f32>(0.0);
#else
  var s = pk[pb + ${OFF_CQ} + q];
#endif
  if (P.zeroBwd == 0u) {
    let x = (lg * B + b) * M;
    for (var m = 0u; m < M; m++) { s += pk[pb + ${OFF_WB} + q * M + m] * bwdIn[x + m]; }
  }
  return s;
}
#endif

#if ${COLUMNS}
// CPU path, input layer (column mapping): a thread owns output column b of one unit and steps its
// cells a = 0..A-1 in order, each for every example; the sum over a of h is kept in registers (or
// `acc` for a query batch), and the forward head of its mean goes straight to fwdOut (COL_WRITE: the
// heads kernel's expression for partRows = 1, so the same bits). Weights sit in the private array wp at
// constant indices; message terms (the backward ones from bwd_term, no vsml-terms dispatch) and the
// first tick's recurrent product in registers. COL_LOOP (vsml-cell.ts) is the generated loop over
// a with its per-example code: ticks unrolled, no loop over examples for a learning step (whose
// cells go LayerPlan.cellBlock at a time), zero inputs of raw-pixel query batches skipped.
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  let unit = id / TB;
  if (unit >= P.unitCount) { return; }
  let tb = id % TB;
  let gu = P.unitBase + unit;
  let lg = gu / UNITS_PER_LEARNER;
  let b = (gu % UNITS_PER_LEARNER) * TB + tb;
  if (b >= B) { return; }
  let pb = ((P.firstLearner + lg) / P.tasksPerMember - P.firstMember) * PV;
  var wp: array<vec4<f32>, ${TICK_VEC4S}>;
  ${COL_LOAD_W}
  ${COL_LOAD_TERMS}
  ${COL_DECL_SUM}
  ${COL_LOOP}
  ${COL_WRITE}
}
#elif ${PRIVATE}
// CPU path: a thread owns input row a and steps the tile's outputs in turn. No workgroup
// memory, no barriers; each row's h goes straight to partB (partRows = A).
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let unit = wid.x + wid.y * P.gridX;
  if (unit >= P.unitCount) { return; }
  let gu = P.unitBase + unit;
  let lg = gu / UNITS_PER_LEARNER;
  let tile = gu % UNITS_PER_LEARNER;
  let aTile = tile / BTILES;
  let bTile = tile % BTILES;
  let pb = ((P.firstLearner + lg) / P.tasksPerMember - P.firstMember) * PV;
  let nA = min(TA, A - aTile * TA);
  let nB = min(TB, B - bTile * TB);
  let ta = lid;
  if (ta >= nA) { return; }
  let a = aTile * TA + ta;
  var wp: array<vec4<f32>, ${TICK_VEC4S}>;
  for (var i = 0u; i < ${TICK_VEC4S_U}; i += 1u) { wp[i] = tick_weight(pb, i); }
#if ${ROW_REUSE}
  // Query batch (LayerPlan.reuse): each cell loaded once, its first-tick recurrent product k..
  // computed once from the stored h, then every example (ROW_REUSE_BODY, vsml-cell.ts).
  ${ROW_REUSE_BODY}
#else
  var gf: array<vec4<f32>, ${RQ_N}>;
  var gt: array<vec4<f32>, ${RQ_N}>;
  for (var e = 0u; e < E; e++) {
#if ${IS_INPUT}
    for (var q = 0u; q < RQ; q++) { gf[q] = pk[pb + ${OFF_WF} + q * M] * fwdIn[(lg * E + e) * A + a]; }
#else
    for (var q = 0u; q < RQ; q++) { gf[q] = fwd_term(pb, q, ((lg * E + e) * A + a) * M); }
#endif
#if ${PART_A}
    var hs: array<vec4<f32>, ${H4_N}>;
#endif
    for (var ci = 0u; ci < nB; ci++) {
      let b = bTile * TB + ci;
      let sb = unit * UNIT_VEC4S + ta * TB + ci;
      for (var q = 0u; q < RQ; q++) { gt[q] = gf[q] + gb[(lg * B + b) * RQ + q]; }
      ${LOAD_CELL}
      for (var tick = 0u; tick < TICKS; tick++) {${TICK}
        ${NEXT_H}
      }
      ${WRITE_PART_B}
#if ${LEARN}
      ${STORE_STATE}
#endif
#if ${PART_A}
      ${SUM_HS}
#endif
    }
#if ${PART_A}
    for (var q = 0u; q < H4; q++) { partA[((lg * BTILES + bTile) * A + a) * H4 + q] = hs[q]; }
#endif
  }
#endif
}
#else
// GPU path: workgroup memory for the weights (WORKGROUP) or not (storage), the message terms of
// the tile and the tile's h for the partial sums; one cell per thread.
const ATILES = ${ATILES};
const TBC = ${TBC};
#if ${WORKGROUP}
var<workgroup> sW: array<vec4<f32>, ${TICK_VEC4S}>;
#endif
var<workgroup> sGf: array<vec4<f32>, ${SGF_N}>;
var<workgroup> sGb: array<vec4<f32>, ${SGB_N}>;
var<workgroup> sH: array<vec4<f32>, ${SH_N}>;

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let unit = wid.x + wid.y * P.gridX;
  if (unit >= P.unitCount) { return; }
  let gu = P.unitBase + unit;
  let lg = gu / UNITS_PER_LEARNER;
  let tile = gu % UNITS_PER_LEARNER;
  let aTile = tile / BTILES;
  let bTile = tile % BTILES;
  let pb = ((P.firstLearner + lg) / P.tasksPerMember - P.firstMember) * PV;
  let nA = min(TA, A - aTile * TA);
  let nB = min(TB, B - bTile * TB);
#if ${WORKGROUP}
  for (var i = lid; i < ${TICK_VEC4S_U}; i += ${WG_U}) { sW[i] = tick_weight(pb, i); }
#endif
  // Backward terms: fixed for all examples and ticks of this step.
  for (var i = lid; i < TB * RQ; i += ${WG_U}) {
    sGb[i] = bwd_term(pb, i % RQ, lg, min(bTile * TB + i / RQ, B - 1u));
  }
  let ta = lid / TBC;
  let tb = lid % TBC;
  let ok = ta < nA && tb < nB;
  let fo = ta * RQ;
  let bo = tb * RQ;
  let sb = unit * UNIT_VEC4S + ta * TB + tb;
  // The cell's state stays in registers across the E examples (query batches).
  ${DECL_ST}
  if (ok) {
    ${LOAD_ST}
  }
  for (var e = 0u; e < E; e++) {
    // Forward terms of this example for the tile's input units.
    for (var i = lid; i < TA * RQ; i += ${WG_U}) {
      let a = min(aTile * TA + i / RQ, A - 1u);
      let q = i % RQ;
#if ${IS_INPUT}
      sGf[i] = pk[pb + ${OFF_WF} + q * M] * fwdIn[(lg * E + e) * A + a];
#else
      sGf[i] = fwd_term(pb, q, ((lg * E + e) * A + a) * M);
#endif
    }
    workgroupBarrier();
    if (ok) {
      ${INIT_HC}
      for (var tick = 0u; tick < TICKS; tick++) {${TICK}
        ${NEXT_H}
      }
      ${WRITE_SH}
#if ${LEARN}
      ${STORE_STATE}
#endif
    }
    workgroupBarrier();
    // Partial forward aggregation: sum over the tile's inputs, per output unit.
    for (var i = lid; i < nB * H4; i += ${WG_U}) {
      let tbi = i / H4;
      let q = i % H4;
      var s = vec4<f32>(0.0);
      for (var t = 0u; t < nA; t++) { s += sH[(t * TB + tbi) * H4 + q]; }
      partB[(((lg * E + e) * ATILES + aTile) * B + bTile * TB + tbi) * H4 + q] = s;
    }
#if ${PART_A}
    // Partial backward aggregation: sum over the tile's outputs, per input unit.
    for (var i = lid; i < nA * H4; i += ${WG_U}) {
      let tai = i / H4;
      let q = i % H4;
      var s = vec4<f32>(0.0);
      for (var t = 0u; t < nB; t++) { s += sH[(tai * TB + t) * H4 + q]; }
      partA[((lg * BTILES + bTile) * A + aTile * TA + tai) * H4 + q] = s;
    }
#endif
    workgroupBarrier();
  }
}
#endif
