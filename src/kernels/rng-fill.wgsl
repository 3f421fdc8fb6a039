// rng-fill: raw Philox words, uniforms or normals of stream (key; a, b, c) from block `first`.
${PHILOX}
struct Params { key: vec2<u32>, blocks: u32, a: u32, b: u32, c: u32, first: u32, rowStride: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<u32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * P.rowStride;
  if (i >= P.blocks) { return; }
  let key = P.key;
  let ctr = vec4<u32>(P.first + i, P.a, P.b, P.c);
#if ${U32}
  out[i] = philox4x32(key, ctr);
#elif ${UNIFORM}
  out[i] = bitcast<vec4<u32>>(rng_uniform4(key, ctr));
#else
  out[i] = bitcast<vec4<u32>>(rng_normal4(key, ctr));
#endif
}
