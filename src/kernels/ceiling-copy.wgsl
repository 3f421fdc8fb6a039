// ceiling-copy: the adapter's memory-bandwidth ceiling. out[i] = inp[i], one vec4 per thread
// (16 bytes read, 16 bytes written). Bytes moved per dispatch: 32 x count.
struct Params { count: u32, rowStride: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> inp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * P.rowStride;
  if (i >= P.count) { return; }
  out[i] = inp[i];
}
