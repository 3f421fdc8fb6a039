// kNN pass 1: squared distance of every (query, stored) pair, one thread per pair; the query is
// staged in workgroup memory. Images are u8 packed four per u32 word. See knn-gpu.ts.
struct Params { n: u32, words: u32, queries: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> store: array<u32>;
@group(0) @binding(2) var<storage, read> query: array<u32>;
@group(0) @binding(3) var<storage, read_write> dist: array<u32>;
var<workgroup> qw: array<u32, ${WORDS}>;

fn sq_diff4(a: u32, b: u32) -> u32 {
  var s = 0u;
  for (var sh = 0u; sh < 32u; sh += 8u) {
    let x = i32((a >> sh) & 255u) - i32((b >> sh) & 255u);
    s += u32(x * x);
  }
  return s;
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = wid.y;
  for (var w = lid; w < P.words; w += ${WG_U}) { qw[w] = query[q * P.words + w]; }
  workgroupBarrier();
  let j = wid.x * ${WG_U} + lid;
  if (j >= P.n) { return; }
  var s = 0u;
  let base = j * P.words;
  for (var w = 0u; w < P.words; w++) { s += sq_diff4(store[base + w], qw[w]); }
  dist[q * P.n + j] = s;
}
