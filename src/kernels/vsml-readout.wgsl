// VSML readout: one thread per learner; logits, prediction, metrics, and (learning) the feedback
// message of the next step. See vsml-readout.ts.
${LAYOUT}
const C = ${C};
const E = ${E};
const BOUND = ${BOUND};
const COMPONENT = ${COMPONENT};
const MW = ${MW};

struct Params { learners: u32, length: u32, gridX: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> fwdOut: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<u32>;
#if ${LEARN}
@group(0) @binding(5) var<storage, read_write> feedback: array<f32>;
#elif ${PREDICTIONS}
@group(0) @binding(5) var<storage, read_write> predictions: array<u32>;
#endif

${ACTIVATIONS}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lg = gid.x + gid.y * P.gridX * ${WG_U};
  if (lg >= P.learners) { return; }
  let step = ctrl[1] + ctrl[0];
  var correct = metrics[lg * MW + ${M_CORRECT}];
  var sum = bitcast<f32>(metrics[lg * MW + ${M_CE}]);
  var cmp = bitcast<f32>(metrics[lg * MW + ${M_COMP}]);
  var y: array<f32, ${C_N}>;
  for (var e = 0u; e < E; e++) {
    let pos = step * E + e;
    if (pos >= P.length) { break; }
    let label = labels[lg * E + e];
    var best = 0u;
    var ymax = -3.0e38;
    for (var b = 0u; b < C; b++) {
      y[b] = BOUND * tanh1(fwdOut[((lg * E + e) * C + b) * M + COMPONENT] / BOUND);
      if (y[b] > ymax) { ymax = y[b]; best = b; }
    }
    var z = 0.0;
    for (var b = 0u; b < C; b++) { z += exp(y[b] - ymax); }
    let lse = ymax + log(z);
    if (best == label) { correct += 1u; }
    // Kahan summation of the cross-entropy.
    let term = (lse - y[label]) - cmp;
    let next = sum + term;
    cmp = (next - sum) - term;
    sum = next;
#if ${LEARN}
    for (var b = 0u; b < C; b++) {
      let onehot = select(0.0, 1.0, b == label);
      let o = (lg * C + b) * M;
      feedback[o] = exp(y[b] - lse) - onehot;
      for (var m = 1u; m < M; m++) { feedback[o + m] = 0.0; }
#if ${LABEL_FEEDING}
      feedback[o + 1u] = onehot;
#endif
    }
#elif ${PREDICTIONS}
    predictions[lg * P.length + pos] = best;
#endif
  }
  metrics[lg * MW + ${M_CORRECT}] = correct;
  metrics[lg * MW + ${M_CE}] = bitcast<u32>(sum);
  metrics[lg * MW + ${M_COMP}] = bitcast<u32>(cmp);
}
