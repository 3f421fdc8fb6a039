// VSML initial state: the random half of c, one thread per (cell slot, quad of normals) of a
// state slab; everything else (h, the other half of c, padding cells) is zero from the clear
// that precedes this dispatch. See vsml-init.ts.
${PHILOX}
struct Params {
  unitBase: u32, unitCount: u32, gridX: u32, layer: u32, A: u32, B: u32, TA: u32, TB: u32,
  bTiles: u32, unitsPerLearner: u32, unitVec4s: u32, H4: u32, scaleBits: u32, quads: u32, pad1: u32, pad2: u32
}
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> seeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> state: array<vec4<f32>>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  let TT = P.TA * P.TB;
  if (id >= P.unitCount * P.quads * TT) { return; }
  let t = id % TT;
  let j = (id / TT) % P.quads;
  let unit = id / (TT * P.quads);
  let gu = P.unitBase + unit;
  let lg = gu / P.unitsPerLearner;
  let tile = gu % P.unitsPerLearner;
  let a = (tile / P.bTiles) * P.TA + t / P.TB;
  let b = (tile % P.bTiles) * P.TB + t % P.TB;
  if (a >= P.A || b >= P.B) { return; }
  // Elements k = 4j .. 4j+3 (those below H/2) of the cell's normals, stream index i0 + m. One
  // Philox block holds 4 consecutive elements: a quad needs one block when i0 is a multiple of 4
  // (H/2 a multiple of 4: H = 8, 16, ...), else (i0 = 2 mod 4) the next one as well.
  let half = P.H4 * 2u;
  let i0 = (a * P.B + b) * half + 4u * j;
  let key = vec2<u32>(seeds[lg], ${DOMAIN_STATE_INIT});
  let n0 = rng_normal4(key, vec4<u32>(i0 >> 2u, P.layer, 0u, 0u));
#if ${STRADDLE}
  // H/2 = 2 mod 4: i0 is 0 or 2 mod 4 from cell to cell; when 2, elements 2, 3 of this block and
  // 0, 1 of the next.
  var v = n0;
  if ((i0 & 3u) != 0u) {
    var n1 = vec4<f32>(0.0);
    if (4u * j + 2u < half) { n1 = rng_normal4(key, vec4<u32>((i0 >> 2u) + 1u, P.layer, 0u, 0u)); }
    v = vec4<f32>(n0.z, n0.w, n1.x, n1.y);
  }
#else
  let v = n0;
#endif
  let keep = vec4<u32>(4u * j) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(half);
  state[unit * P.unitVec4s + t + (P.H4 + j) * TT] = select(vec4<f32>(0.0), v * bitcast<f32>(P.scaleBits), keep);
}
