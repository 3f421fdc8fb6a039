// Hidden-layer learner, layer-1 update (src/spec/hidden-config.ts): one thread per (learner, h, a):
// w += rho_h (uX x_a + uW w + u1). A cell whose rho is 0 keeps w (w + 0 * finite = w exactly).
${CONSTS}
const A = ${A};
const HU = ${HU};
const WPI = ${WPI};

struct Params { learners: u32, stride: u32, tasksPerMember: u32, gridX: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> params: array<f32>;
@group(0) @binding(2) var<storage, read> images: array<u32>;
@group(0) @binding(3) var<storage, read> idx: array<u32>;
@group(0) @binding(4) var<storage, read> ctrl: array<u32>;
@group(0) @binding(5) var<storage, read> rho: array<f32>;
@group(0) @binding(6) var<storage, read_write> w: array<f32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * HU * A) { return; }
  let a = id % A;
  let lh = id / A;
  let r = rho[lh];
  if (r == 0.0) { return; }
  let l = lh / HU;
  let ex = idx[l * P.stride + ctrl[0]];
  let pb = (l / P.tasksPerMember) * D;
  let byte = (images[ex * WPI + a / 4u] >> ((a % 4u) * 8u)) & 255u;
  let x = f32(byte) / 255.0;
  let wa = w[id];
  w[id] = wa + r * (params[pb + P_UX] * x + params[pb + P_UW] * wa + params[pb + P_U1]);
}
