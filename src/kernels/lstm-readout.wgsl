// LSTM learner readout: one thread per learner; logits = Wo hNext + bo, prediction (argmax, first
// on ties), metrics (Kahan-compensated cross-entropy sums, the words of vsml-readout's METRIC) and,
// when learning, the state commit (h = hNext) and the label fed at the next step.
const C = ${C};
const H = ${H};
const D = ${D};
const T = ${T};
const OFF_HW = ${OFF_HW};
const OFF_HB = ${OFF_HB};
const MW = ${MW};

struct Params { learners: u32, length: u32, gridX: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> params: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> indices: array<u32>;
@group(0) @binding(5) var<storage, read> hNext: array<f32>;
@group(0) @binding(6) var<storage, read_write> metrics: array<u32>;
#if ${LEARN}
@group(0) @binding(7) var<storage, read_write> prevLabel: array<u32>;
@group(0) @binding(8) var<storage, read_write> h: array<f32>;
#elif ${PREDICTIONS}
@group(0) @binding(7) var<storage, read_write> predictions: array<u32>;
#endif

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let l = gid.x + gid.y * P.gridX * ${WG_U};
  if (l >= P.learners) { return; }
  let step = ctrl[0];
  if (step >= P.length) { return; }
  let label = labels[indices[l * P.length + step]];
  let base = (l / T) * D;
  var y: array<f32, ${C_N}>;
  var best = 0u;
  var ymax = -3.0e38;
  for (var b = 0u; b < C; b++) {
    var s = params[base + OFF_HB + b];
    for (var k = 0u; k < H; k++) { s += params[base + OFF_HW + b * H + k] * hNext[l * H + k]; }
    y[b] = s;
    if (s > ymax) { ymax = s; best = b; }
  }
  var z = 0.0;
  for (var b = 0u; b < C; b++) { z += exp(y[b] - ymax); }
  let lse = ymax + log(z);
  var correct = metrics[l * MW + ${M_CORRECT}];
  var sum = bitcast<f32>(metrics[l * MW + ${M_CE}]);
  var cmp = bitcast<f32>(metrics[l * MW + ${M_COMP}]);
  if (best == label) { correct += 1u; }
  let term = (lse - y[label]) - cmp;
  let next = sum + term;
  cmp = (next - sum) - term;
  sum = next;
  metrics[l * MW + ${M_CORRECT}] = correct;
  metrics[l * MW + ${M_CE}] = bitcast<u32>(sum);
  metrics[l * MW + ${M_COMP}] = bitcast<u32>(cmp);
#if ${LEARN}
  prevLabel[l] = label;
  for (var k = 0u; k < H; k++) { h[l * H + k] = hNext[l * H + k]; }
#elif ${PREDICTIONS}
  predictions[l * P.length + step] = best;
#endif
}
