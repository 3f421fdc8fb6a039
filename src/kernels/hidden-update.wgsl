// Hidden-layer learner, layer-1 update (src/spec/hidden-config.ts): one thread per (learner, pixel a),
// over every hidden h: w_ha += rho_h (uX x_a + uW w_ha + u1). A cell whose rho is 0 keeps w
// (w + 0 * finite = w exactly), so it is skipped: with max aggregation one hidden unit learns per step.
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
  if (id >= P.learners * A) { return; }
  let a = id % A;
  let l = id / A;
  let ex = idx[l * P.stride + ctrl[0]];
  let pb = (l / P.tasksPerMember) * D;
  let byte = (images[ex * WPI + a / 4u] >> ((a % 4u) * 8u)) & 255u;
  let x = f32(byte) / 255.0;
  let uX = params[pb + P_UX];
  let uW = params[pb + P_UW];
  let u1 = params[pb + P_U1];
  for (var h = 0u; h < HU; h++) {
    let r = rho[l * HU + h];
    if (r != 0.0) {
      let i = (l * HU + h) * A + a;
      let wa = w[i];
      w[i] = wa + r * (uX * x + uW * wa + u1);
    }
  }
}
