// The VSML input kernel: for every learner of a group and each of its E examples at this step,
// fetch the example from one piece of the image split and write the first layer's input x and the
// shown label; one thread per (learner, example, input unit). See vsml-input.ts.
const A0 = ${A0};
const E = ${E};
const C = ${C};

struct Params { learners: u32, length: u32, gridX: u32, pieceFirst: u32, pieceCount: u32, isFirstPiece: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read> images: array<u32>;
@group(0) @binding(4) var<storage, read> srcLabels: array<u32>;
@group(0) @binding(5) var<storage, read> labelMap: array<u32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> labels: array<u32>;
#if ${PROJECTION}
@group(0) @binding(8) var<storage, read> projBits: array<vec4<u32>>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * E * A0) { return; }
  let a = id % A0;
  let le = id / A0;
  let lg = le / E;
  let e = le % E;
  let pos = (ctrl[1] + ctrl[0]) * E + e;
  if (pos >= P.length) {
    if (P.isFirstPiece != 0u) {
      x[le * A0 + a] = 0.0;
      if (a == 0u) { labels[le] = 0u; }
    }
    return;
  }
  let ex = indices[(ctrl[0] * P.learners + lg) * E + e];
  if (ex < P.pieceFirst || ex - P.pieceFirst >= P.pieceCount) { return; }
  let li = ex - P.pieceFirst;
  let img = li * ${WORDS_PER_IMAGE};
  if (a == 0u) { labels[le] = labelMap[lg * C + srcLabels[li]]; }
#if ${PROJECTION}
  // x_a = (sum_p s_ap pixel_p) / (255 sqrt(n)), s_ap = +-1: bit p of the learner's sign blocks for
  // unit a (vsml-projection.wgsl). The sum is an exact integer, so its order is free: 8 words of
  // pixels per 32-bit word of signs, unrolled and branch-free (-v = (v ^ -1) + 1).
  let pb = (lg * A0 + a) * ${BLOCKS};
  var sum = 0i;
  for (var i = 0u; i < ${SIGN_WORDS}; i++) {
    let sw = projBits[pb + (i >> 2u)][i & 3u];
${PROJ_WORDS}
  }
  x[(lg * E + e) * A0 + a] = f32(sum) * ${PROJECTION_SCALE};
#else
  // x_a = pixel_a / 255.
  let px = (images[img + a / 4u] >> (8u * (a % 4u))) & 255u;
  x[(lg * E + e) * A0 + a] = f32(px) * ${PIXEL_SCALE};
#endif
}
