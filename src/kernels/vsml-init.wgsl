// VSML initial state, one thread per cell slot of a state slab; see vsml-init.ts.
${PHILOX}
struct Params {
  unitBase: u32, unitCount: u32, gridX: u32, layer: u32, A: u32, B: u32, TA: u32, TB: u32,
  bTiles: u32, unitsPerLearner: u32, unitVec4s: u32, H4: u32, scaleBits: u32, pad0: u32, pad1: u32, pad2: u32
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> seeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;

fn c_at(seed: u32, cell: u32, k: u32) -> f32 {
  let half = P.H4 * 2u;
  if (k >= half) { return 0.0; }
  return rng_normal_at(vec2<u32>(seed, ${DOMAIN_STATE_INIT}), cell * half + k, P.layer, 0u, 0u) * bitcast<f32>(P.scaleBits);
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  let TT = P.TA * P.TB;
  if (id >= P.unitCount * TT) { return; }
  let unit = id / TT;
  let t = id % TT;
  let gu = P.unitBase + unit;
  let lg = gu / P.unitsPerLearner;
  let tile = gu % P.unitsPerLearner;
  let a = (tile / P.bTiles) * P.TA + t / P.TB;
  let b = (tile % P.bTiles) * P.TB + t % P.TB;
  let valid = a < P.A && b < P.B;
  let seed = seeds[lg];
  let sb = unit * P.unitVec4s + t;
  for (var q = 0u; q < P.H4; q++) {
    state[sb + q * TT] = vec4<f32>(0.0);
    var c = vec4<f32>(0.0);
    if (valid) {
      let cell = a * P.B + b;
      c = vec4<f32>(c_at(seed, cell, q * 4u), c_at(seed, cell, q * 4u + 1u), c_at(seed, cell, q * 4u + 2u), c_at(seed, cell, q * 4u + 3u));
    }
    state[sb + (P.H4 + q) * TT] = c;
  }
}
