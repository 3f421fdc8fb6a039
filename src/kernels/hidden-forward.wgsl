// Hidden-layer learner, layer-1 forward (src/spec/hidden-config.ts): one thread per (row, hidden h):
// d[row][h] = mean_a fD (x_a - w)^2 + fX x_a^2 + fW w^2 + f1 x_a + f2 w, w = w[learner][h][a].
// A row is a learner's current learning example (useCtrl = 1: example idx[l * stride + ctrl[0]]) or
// one of its queries (useCtrl = 0: example idx[l * stride + j], j = row % perLearner).
${CONSTS}
const A = ${A};
const HU = ${HU};
const WPI = ${WPI};

struct Params { rows: u32, firstRow: u32, perLearner: u32, stride: u32, useCtrl: u32, tasksPerMember: u32, gridX: u32, pad0: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> images: array<u32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read> ctrl: array<u32>;
@group(0) @binding(5) var<storage, read> w: array<f32>;
@group(0) @binding(6) var<storage, read_write> d: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.rows * HU) { return; }
  let h = id % HU;
  let row = P.firstRow + id / HU;
  let l = row / P.perLearner;
  var t = row % P.perLearner;
  if (P.useCtrl != 0u) { t = ctrl[0]; }
  let ex = idx[l * P.stride + t];
  let pb = (l / P.tasksPerMember) * D;
  let fD = params[pb + P_FD];
  let fX = params[pb + P_FX];
  let fW = params[pb + P_FW];
  let f1 = params[pb + P_F1];
  let f2 = params[pb + P_F2];
  let wb = (l * HU + h) * A;
  var s = 0.0;
  for (var a = 0u; a < A; a++) {
    let byte = (images[ex * WPI + a / 4u] >> ((a % 4u) * 8u)) & 255u;
    let x = f32(byte) / 255.0;
    let wa = w[wb + a];
    let e = x - wa;
    s += fD * e * e + fX * x * x + fW * wa * wa + f1 * x + f2 * wa;
  }
  d[id] = s / f32(A);
}
