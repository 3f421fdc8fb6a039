// noise-weighted-sum: per-chunk partial sums of coef_t * eps_t (and coefSq_t * eps_t^2); see noise-weighted-sum.ts.
${PHILOX}
struct Params { blocks: u32, terms: u32, chunks: u32, squares: u32, rowStride: u32, termsPerChunk: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
// Two vec4 per term: (k0, k1, a, b), (c, coef bits, coefSq bits, unused).
@group(0) @binding(1) var<storage, read> terms: array<vec4<u32>>;
// [chunk][block] partial sums, then (if squares) the same for the squared terms.
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * P.rowStride;
  let chunk = idx / P.blocks;
  if (chunk >= P.chunks) { return; }
  let blk = idx % P.blocks;
  let t0 = chunk * P.termsPerChunk;
  let t1 = min(P.terms, t0 + P.termsPerChunk);
  var acc = vec4<f32>(0.0);
  var accSq = vec4<f32>(0.0);
  for (var t = t0; t < t1; t++) {
    let r0 = terms[2u * t];
    let r1 = terms[2u * t + 1u];
    let z = rng_normal4(vec2<u32>(r0.x, r0.y), vec4<u32>(blk, r0.z, r0.w, r1.x));
    acc = acc + bitcast<f32>(r1.y) * z;
    if (P.squares != 0u) { accSq = accSq + bitcast<f32>(r1.z) * (z * z); }
  }
  out[chunk * P.blocks + blk] = acc;
  if (P.squares != 0u) { out[(P.chunks + chunk) * P.blocks + blk] = accSq; }
}
