// LSTM learner, one example step: one thread per (learner, hidden unit j) forms the unit's four
// gate pre-activations from [x, onehot(previous label), h], updates c (learning) and writes the new
// h to hNext. See lstm-step.ts and src/spec/lstm-config.ts.
const A = ${A};
const C = ${C};
const H = ${H};
const COLS = ${COLS};
const D = ${D};
const T = ${T};
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

fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanhc(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let tid = gid.x + gid.y * P.gridX * ${WG_U};
  let l = tid / H;
  let j = tid % H;
  if (l >= P.learners) { return; }
  let step = ctrl[0];
  if (step >= P.length) { return; }
  let img = indices[l * P.length + step] * WPI;
  let base = (l / T) * D;
  // Queries feed no label (the state is frozen and no label is known).
  let label = select(C, prevLabel[l], ${LEARN_U});
  var pre: array<f32, 4>;
  for (var q = 0u; q < 4u; q++) {
    let r = q * H + j;
    let row = base + r * COLS;
    var s = params[base + OFF_B + r];
    for (var a = 0u; a < A; a++) {
      let px = (images[img + a / 4u] >> (8u * (a % 4u))) & 255u;
      s += params[row + a] * (f32(px) / 255.0);
    }
    if (label < C) { s += params[row + A + label]; }
    for (var k = 0u; k < H; k++) { s += params[row + A + C + k] * h[l * H + k]; }
    pre[q] = s;
  }
  let i = sigmoid(pre[0]);
  let f = sigmoid(pre[1] + FORGET_BIAS);
  let g = tanhc(pre[2]);
  let o = sigmoid(pre[3]);
  let cn = f * c[l * H + j] + i * g;
#if ${LEARN}
  c[l * H + j] = cn;
#endif
  hNext[l * H + j] = o * tanhc(cn);
}
