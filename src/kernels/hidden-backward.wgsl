// Hidden-layer learner, layer-2 backward (src/spec/hidden-config.ts): one thread per (learner, hidden h).
// Output b sends [onehot_b(label), Q_b]; cell (h, b): win = onehot_b o [q >= Q_b], n += win,
// m = win rA / (n + rB) (0 without a win); rho_h = AGG over b of m.
${CONSTS}
const HU = ${HU};
const C = ${C};

struct Params { learners: u32, stride: u32, tasksPerMember: u32, gridX: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read> ctrl: array<u32>;
@group(0) @binding(5) var<storage, read> q: array<f32>;
@group(0) @binding(6) var<storage, read> out: array<f32>;
@group(0) @binding(7) var<storage, read> own: array<f32>;
@group(0) @binding(8) var<storage, read_write> count: array<f32>;
@group(0) @binding(9) var<storage, read_write> rho: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * HU) { return; }
  let h = id % HU;
  let l = id / HU;
  let label = labels[idx[l * P.stride + ctrl[0]]];
  let pb = (l / P.tasksPerMember) * D;
  let rA = params[pb + P_RA];
  let rB = params[pb + P_RB];
  var agg = 0.0;
  for (var b = 0u; b < C; b++) {
    let i = (l * HU + h) * C + b;
    var win = 0.0;
    if (b == label && q[i] >= out[l * 2u * C + b]) { win = own[i]; }
    let n = count[i] + win;
    count[i] = n;
    var m = 0.0;
    if (win != 0.0) { m = win * rA / (n + rB); }
#if ${MAX}
    if (b == 0u) { agg = m; } else { agg = max(agg, m); }
#else
    agg += m;
#endif
  }
#if ${MEAN}
  agg = agg / f32(C);
#endif
  rho[id] = agg;
}
