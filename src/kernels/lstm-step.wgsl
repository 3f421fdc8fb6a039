// LSTM learner, one example step. One workgroup per (member, block of WG hidden units); thread j
// of the block owns unit j for every task of its member, so each weight is read once per member
// and applied to TT learners at a time (their inputs [x, onehot(previous label), h] staged in
// workgroup memory): the learners of a member share its weights, and weight traffic, not
// arithmetic, bounds this kernel. Learning updates c and writes the new h to hNext; queries leave
// (h, c) as they are. See lstm-step.ts and src/spec/lstm-config.ts.
const A = ${A};
const C = ${C};
const H = ${H};
const COLS = ${COLS};
const D = ${D};
const T = ${T};
const TT = ${TT};
const TG = ${TG};
const Z = ${Z};
const UB = ${UB};
const WPI = ${WPI};
const OFF_B = ${OFF_B};
const FORGET_BIAS = ${FORGET_BIAS};

struct Params { learners: u32, length: u32, gridX: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> images: array<u32>;
@group(0) @binding(4) var<storage, read> indices: array<u32>;
@group(0) @binding(5) var<storage, read> prevLabel: array<u32>;
@group(0) @binding(6) var<storage, read> h: array<f32>;
#if ${LEARN}
@group(0) @binding(7) var<storage, read_write> c: array<f32>;
#else
@group(0) @binding(7) var<storage, read> c: array<f32>;
#endif
@group(0) @binding(8) var<storage, read_write> hNext: array<f32>;

// Staged inputs, column-major in groups of 4 tasks: zs[k * TG + g] = column k (x then h) of
// tasks 4g .. 4g + 3, so one weight multiplies a vec4 of 4 learners. labs: their fed labels.
var<workgroup> zs: array<vec4<f32>, ${ZS_N}>;
var<workgroup> labs: array<u32, ${TT_N}>;

fn sig4(x: vec4<f32>) -> vec4<f32> { return 1.0 / (1.0 + exp(-x)); }
fn tanh4(x: vec4<f32>) -> vec4<f32> { return tanh(clamp(x, vec4(-20.0), vec4(20.0))); }

/** The label columns of gate row `row` for the 4 tasks of group g (0 where no label is fed). */
fn labelTerms(row: u32, g: u32) -> vec4<f32> {
  var v = vec4(0.0);
  if (labs[4u * g] < C) { v.x = params[row + A + labs[4u * g]]; }
  if (labs[4u * g + 1u] < C) { v.y = params[row + A + labs[4u * g + 1u]]; }
  if (labs[4u * g + 2u] < C) { v.z = params[row + A + labs[4u * g + 2u]]; }
  if (labs[4u * g + 3u] < C) { v.w = params[row + A + labs[4u * g + 3u]]; }
  return v;
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let flat = wid.x + wid.y * P.gridX;
  let m = flat / UB;
  let j = (flat % UB) * ${WG_U} + li;
  // Whole workgroups leave together (barriers below): a workgroup past the members exits as one.
  if (m * T >= P.learners) { return; }
  // The host dispatches exactly `length` steps; the clamp only keeps reads in bounds (and the
  // barriers in uniform control flow, which a storage-dependent return would break).
  let step = min(ctrl[0], P.length - 1u);
  let base = m * D;
  for (var t0 = 0u; t0 < T; t0 += TT) {
    // Stage the inputs of tasks t0 .. t0 + TT - 1 (tasks past T read as zeros, never written).
    for (var e = li; e < TT * Z; e += ${WG_U}) {
      let t = e % TT;
      let k = e / TT;
      let l = m * T + t0 + t;
      var v = 0.0;
      if (t0 + t < T) {
        if (k < A) {
          let img = indices[l * P.length + step] * WPI;
          let px = (images[img + k / 4u] >> (8u * (k % 4u))) & 255u;
          v = f32(px) / 255.0;
        } else {
          v = h[l * H + (k - A)];
        }
      }
      zs[k * TG + t / 4u][t % 4u] = v;
    }
    for (var t = li; t < TT; t += ${WG_U}) {
      // Queries feed no label (the state is frozen and no label is known).
      labs[t] = select(C, select(C, prevLabel[m * T + t0 + t], t0 + t < T), ${LEARN_U});
    }
    workgroupBarrier();
    if (j < H) {
      let r0 = base + j * COLS;
      let r1 = base + (H + j) * COLS;
      let r2 = base + (2u * H + j) * COLS;
      let r3 = base + (3u * H + j) * COLS;
      for (var g = 0u; g < TG; g++) {
        var p0 = vec4(params[base + OFF_B + j]) + labelTerms(r0, g);
        var p1 = vec4(params[base + OFF_B + H + j]) + labelTerms(r1, g);
        var p2 = vec4(params[base + OFF_B + 2u * H + j]) + labelTerms(r2, g);
        var p3 = vec4(params[base + OFF_B + 3u * H + j]) + labelTerms(r3, g);
        for (var k = 0u; k < Z; k++) {
          // Column k of W: x columns first, then (after the C label columns) h columns.
          let col = select(k + C, k, k < A);
          let z = zs[k * TG + g];
          p0 += params[r0 + col] * z;
          p1 += params[r1 + col] * z;
          p2 += params[r2 + col] * z;
          p3 += params[r3 + col] * z;
        }
        let ig = sig4(p0);
        let fg = sig4(p1 + vec4(FORGET_BIAS));
        let gg = tanh4(p2);
        let og = sig4(p3);
        for (var u = 0u; u < 4u; u++) {
          let t = 4u * g + u;
          if (t0 + t >= T) { break; }
          let l = m * T + t0 + t;
          let cn = fg[u] * c[l * H + j] + ig[u] * gg[u];
#if ${LEARN}
          c[l * H + j] = cn;
#endif
          hNext[l * H + j] = og[u] * tanh(clamp(cn, -20.0, 20.0));
        }
      }
    }
    workgroupBarrier();
  }
}
