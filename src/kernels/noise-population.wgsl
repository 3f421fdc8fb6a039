// noise-population: `delta` stores f32(dimScale_i * (sign * eps_i)), then `add` adds the centre (two
// dispatches, so no FMA can fuse them); see noise-population.ts.
${PHILOX}
struct Params { dim: u32, blocksPerRow: u32, members: u32, rowStride: u32, memberOffset: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> centres: array<f32>;
@group(0) @binding(2) var<storage, read> dimScale: array<f32>;
// Two vec4 per member: (parent, sign as i32 bits, k0, k1), (a, b, c, unused).
@group(0) @binding(3) var<storage, read> rows: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(${WG})
fn delta(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * P.rowStride;
  let m = idx / P.blocksPerRow;
  if (m >= P.members) { return; }
  let blk = idx % P.blocksPerRow;
  let r0 = rows[2u * (P.memberOffset + m)];
  let r1 = rows[2u * (P.memberOffset + m) + 1u];
  let sign = bitcast<i32>(r0.y);
  var z = vec4<f32>(0.0);
  if (sign != 0i) {
    z = f32(sign) * rng_normal4(vec2<u32>(r0.z, r0.w), vec4<u32>(blk, r1.x, r1.y, r1.z));
  }
  let base = m * P.dim;
  for (var j = 0u; j < 4u; j++) {
    let i = blk * 4u + j;
    if (i < P.dim) {
      if (sign == 0i) { out[base + i] = 0.0; } else { out[base + i] = dimScale[i] * z[j]; }
    }
  }
}

@compute @workgroup_size(${WG})
fn add(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * P.rowStride;
  let m = idx / P.blocksPerRow;
  if (m >= P.members) { return; }
  let blk = idx % P.blocksPerRow;
  let parent = rows[2u * (P.memberOffset + m)].x;
  let base = m * P.dim;
  for (var j = 0u; j < 4u; j++) {
    let i = blk * 4u + j;
    if (i < P.dim) { out[base + i] = centres[parent * P.dim + i] + out[base + i]; }
  }
}
