// ceiling-fma: the adapter's FMA ceiling. Each thread runs CHAINS independent vec4 chains
// acc_k <- fma(acc_k, a, b) for `iters` iterations (a, b, and the starting values read from
// buffers, `iters` from a uniform: nothing is known at compile time, so nothing folds), then
// stores the sum of its chains (so no chain is dead code). FLOPs: threads x iters x CHAINS x 4 x 2.
struct Params { threads: u32, iters: u32, rowStride: u32 }
@group(0) @binding(0) var<uniform> P: Params;
// Per thread: a, b, x0 (vec4 each, 3 consecutive entries).
@group(0) @binding(1) var<storage, read> inp: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x + gid.y * P.rowStride;
  if (i >= P.threads) { return; }
  let a = inp[3u * i];
  let b = inp[3u * i + 1u];
  let x0 = inp[3u * i + 2u];
${DECLARE}
  for (var t = 0u; t < P.iters; t++) {
${BODY}
  }
  out[i] = ${SUM};
}
