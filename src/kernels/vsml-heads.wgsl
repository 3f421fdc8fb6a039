// VSML aggregation + heads for one layer: each thread finishes one mean from the cell kernel's
// per-tile partials (fixed order, no atomics) and applies the affine head. See vsml-heads.ts.
${LAYOUT}
const A = ${A};
const B = ${B};
const PART_ROWS = ${PART_ROWS};
const BTILES = ${BTILES};
const E = ${E};

struct Params { learners: u32, gridX: u32, firstLearner: u32, tasksPerMember: u32, paramShift: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> mp: array<f32>;
@group(0) @binding(2) var<storage, read> partB: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> fwdOut: array<f32>;
#if ${BACKWARD}
@group(0) @binding(4) var<storage, read> partA: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> bwdOut: array<f32>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  let nF = P.learners * E * B;
  var s: array<vec4<f32>, H4>;
  if (id < nF) {
    // Forward output (lg, e, b): Wf (1/A sum_a h_ab) + bf.
    let lg = id / (E * B);
    let eb = id % (E * B);
    let base = (lg * E + eb / B) * PART_ROWS * B + eb % B;
    for (var q = 0u; q < H4; q++) {
      var acc = vec4<f32>(0.0);
      for (var t = 0u; t < PART_ROWS; t++) { acc += partB[(base + t * B) * H4 + q]; }
      s[q] = acc / f32(A);
    }
    let pb = ((P.firstLearner + lg) / P.tasksPerMember) * D - P.paramShift;
    for (var m = 0u; m < M; m++) {
      var y = mp[pb + P_HEAD_FWD_B + m];
      let w = pb + P_HEAD_FWD_W + m * H;
      for (var q = 0u; q < H4; q++) { y += dot(vec4<f32>(mp[w + q * 4u], mp[w + q * 4u + 1u], mp[w + q * 4u + 2u], mp[w + q * 4u + 3u]), s[q]); }
      fwdOut[id * M + m] = y;
    }
    return;
  }
#if ${BACKWARD}
  // Backward output (lg, a): Wb (1/B sum_b h_ab) + bb.
  let j = id - nF;
  if (j >= P.learners * A) { return; }
  let lg = j / A;
  let a = j % A;
  for (var q = 0u; q < H4; q++) {
    var acc = vec4<f32>(0.0);
    for (var t = 0u; t < BTILES; t++) { acc += partA[((lg * BTILES + t) * A + a) * H4 + q]; }
    s[q] = acc / f32(B);
  }
  let pb = ((P.firstLearner + lg) / P.tasksPerMember) * D - P.paramShift;
  for (var m = 0u; m < M; m++) {
    var y = mp[pb + P_HEAD_BWD_B + m];
    let w = pb + P_HEAD_BWD_W + m * H;
    for (var q = 0u; q < H4; q++) { y += dot(vec4<f32>(mp[w + q * 4u], mp[w + q * 4u + 1u], mp[w + q * 4u + 2u], mp[w + q * 4u + 3u]), s[q]); }
    bwdOut[j * M + m] = y;
  }
#endif
}
