// kNN pass 2: one workgroup per query scans its distance row (each thread keeps a private sorted
// top-k) and thread 0 merges them in (distance, stored index) order. See knn-gpu.ts.
struct Params { n: u32, k: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dist: array<u32>;
@group(0) @binding(2) var<storage, read_write> nearest: array<i32>;
const K = ${K};
var<workgroup> sd: array<u32, ${WG_K}>;
var<workgroup> si: array<u32, ${WG_K}>;

// (d, i) before (e, j) in the benchmark's order: distance, then stored index.
fn before(d: u32, i: u32, e: u32, j: u32) -> bool { return d < e || (d == e && i < j); }

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = wid.x;
  var bd: array<u32, K>;
  var bi: array<u32, K>;
  for (var t = 0u; t < K; t++) { bd[t] = ${NONE}; bi[t] = ${NONE}; }
  // Each thread sees its indices in increasing order, so strict < keeps earlier ones first.
  for (var j = lid; j < P.n; j += ${WG_U}) {
    let v = dist[q * P.n + j];
    if (v < bd[K - 1u]) {
      var p = K - 1u;
      while (p > 0u && v < bd[p - 1u]) { bd[p] = bd[p - 1u]; bi[p] = bi[p - 1u]; p--; }
      bd[p] = v; bi[p] = j;
    }
  }
  for (var t = 0u; t < K; t++) { sd[lid * K + t] = bd[t]; si[lid * K + t] = bi[t]; }
  workgroupBarrier();
  if (lid != 0u) { return; }
  for (var t = 0u; t < P.k; t++) {
    var best = 0u;
    for (var c = 1u; c < ${WG_K_U}; c++) {
      if (before(sd[c], si[c], sd[best], si[best])) { best = c; }
    }
    let idx = si[best];
    nearest[q * P.k + t] = select(i32(idx), -1, idx == ${NONE});
    sd[best] = ${NONE}; si[best] = ${NONE};
  }
}
