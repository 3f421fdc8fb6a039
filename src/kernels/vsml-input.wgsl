// The VSML input kernel: for every learner of a group and each of its E examples at this step,
// fetch the example from one piece of the image split and write the first layer's input x and the
// shown label; one thread per (learner, example, input unit), or with the projection per
// (learner, example, group of 8 input units). See vsml-input.ts.
const A0 = ${A0};
const E = ${E};
const C = ${C};
// Threads per example: A0, or the projection's unit groups.
const T = ${T};

struct Params { learners: u32, length: u32, gridX: u32, pieceFirst: u32, pieceCount: u32, isFirstPiece: u32, nonzeroStride: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read> images: array<u32>;
@group(0) @binding(4) var<storage, read> srcLabels: array<u32>;
@group(0) @binding(5) var<storage, read> labelMap: array<u32>;
@group(0) @binding(6) var<storage, read_write> x: array<f32>;
@group(0) @binding(7) var<storage, read_write> labels: array<u32>;
#if ${PROJECTION}
@group(0) @binding(8) var<storage, read> signs: array<u32>;
#endif
#if ${SPARSE}
@group(0) @binding(9) var<storage, read> nonzero: array<u32>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * E * T) { return; }
  let t = id % T;
  let le = id / T;
  let lg = le / E;
  let e = le % E;
  let pos = (ctrl[1] + ctrl[0]) * E + e;
  if (pos >= P.length) {
    if (P.isFirstPiece != 0u) {
${CLEAR_X}
      if (t == 0u) { labels[le] = 0u; }
    }
    return;
  }
  let ex = indices[(ctrl[0] * P.learners + lg) * E + e];
  if (ex < P.pieceFirst || ex - P.pieceFirst >= P.pieceCount) { return; }
  let li = ex - P.pieceFirst;
  let img = li * ${WORDS_PER_IMAGE};
  if (t == 0u) { labels[le] = labelMap[lg * C + srcLabels[li]]; }
#if ${PROJECTION}
  // x_a = (sum_p s_ap pixel_p) / (255 sqrt(n)), s_ap = +-1 (bit set = -1), for the 8 units a = 8t + u
  // of this thread: sum = (all pixels) - 2 (pixels with s = -1). Per image word, its even and odd
  // bytes go to 16-bit lanes once (pe, po), and each unit masks them with the byte mask of its 4
  // sign bits (one sign word holds all 8 units' nibbles, vsml-projection.ts). A zero word adds
  // nothing, so the sparse form visits only the image's nonzero words. Exact integers throughout:
  // x is the same as pixel by pixel. Lanes fold into u32 totals every 256 words (255 x 256 < 2^16).
  let sb = (lg * T + t) * ${SIGN_STRIDE};
  var tot = 0u;
${DECL_NEG}
${PROJ_SUM}
${WRITE_X}
#else
  // x_a = pixel_a / 255.
  let a = t;
  let px = (images[img + a / 4u] >> (8u * (a % 4u))) & 255u;
  x[le * A0 + a] = f32(px) * ${PIXEL_SCALE};
#endif
}
