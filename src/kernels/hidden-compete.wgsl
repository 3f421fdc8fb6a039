// Hidden-layer learner, layer-2 forward (src/spec/hidden-config.ts): one thread per (row, output b):
// s = g0 + gD d_h; q_hb = o (s + bid [n = 0]); p_hb = o [n > 0] s; Q_b = AGG_h q, P_b = AGG_h p.
// Writes out[row][b] = Q_b and out[row][C + b] = lambda P_b (the logit); q[row][h][b] when writeQ = 1
// (learning: the backward kernel compares each q with Q_b, bit for bit the same values).
${CONSTS}
const HU = ${HU};
const C = ${C};

struct Params { rows: u32, firstRow: u32, perLearner: u32, tasksPerMember: u32, writeQ: u32, gridX: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> d: array<f32>;
@group(0) @binding(3) var<storage, read> own: array<f32>;
@group(0) @binding(4) var<storage, read> count: array<f32>;
@group(0) @binding(5) var<storage, read_write> q: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.rows * C) { return; }
  let b = id % C;
  let r = id / C;
  let row = P.firstRow + r;
  let l = row / P.perLearner;
  let pb = (l / P.tasksPerMember) * D;
  let g0 = params[pb + P_G0];
  let gD = params[pb + P_GD];
  let bid = params[pb + P_BID];
  var qa = 0.0;
  var pa = 0.0;
  for (var h = 0u; h < HU; h++) {
    let i = (l * HU + h) * C + b;
    let o = own[i];
    let n = count[i];
    let s = g0 + gD * d[r * HU + h];
    var free = 0.0;
    if (n == 0.0) { free = bid; }
    let qh = o * (s + free);
    var ph = 0.0;
    if (n > 0.0) { ph = o * s; }
    if (P.writeQ != 0u) { q[(r * HU + h) * C + b] = qh; }
#if ${MAX}
    if (h == 0u) { qa = qh; pa = ph; } else { qa = max(qa, qh); pa = max(pa, ph); }
#else
    qa += qh;
    pa += ph;
#endif
  }
#if ${MEAN}
  qa = qa / f32(HU);
  pa = pa / f32(HU);
#endif
  out[row * 2u * C + b] = qa;
  out[row * 2u * C + C + b] = params[pb + P_LAMBDA] * pa;
}
