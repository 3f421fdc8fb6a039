/**
 * The VSML readout kernel: one thread per learner reads the last layer's forward messages of its
 * E examples, forms logits y_b = bound * tanh(f_b[component] / bound), and accumulates metrics:
 * prediction (argmax, first on ties) before the label is used, correctness, cross-entropy
 * (Kahan-compensated f32 sums, so 60,000 steps lose no precision). When learning it also writes
 * the feedback message the last layer reads at the next step: slot 0 = softmax(y) - onehot(label),
 * slot 1 = onehot(label) with label feeding, other slots 0.
 *
 * Metrics [Lg][METRIC_WORDS] u32 words: see METRIC; f32 values are stored as bit patterns.
 * Stream position of example e at this step: (ctrl.chunkStart + ctrl.step) * E + e.
 */
import type { VsmlConfig } from '../inner/vsml-config';
import { numClasses } from '../inner/vsml-config';
import { activationsWgsl, layoutConstsWgsl, u } from './vsml-common';

export const METRIC = {
  onlineCorrect: 0,
  onlineCe: 1,
  onlineCeComp: 2,
  queryCorrect: 3,
  queryCe: 4,
  queryCeComp: 5,
} as const;
export const METRIC_WORDS = 8;

/** Control block per learner group: the step within the current submission and the chunk's first step. */
export const CTRL_WORDS = 4;

export const READOUT_WORKGROUP = 64;
export const READOUT_PARAMS = ['learners', 'length', 'gridX', 'pad'] as const;

export function readoutParams(v: Record<(typeof READOUT_PARAMS)[number], number>): Uint32Array {
  return Uint32Array.from(READOUT_PARAMS.map((k) => v[k]));
}

export function readoutKernelSource(c: VsmlConfig, mode: 'learn' | 'query', E: number, wantPredictions: boolean): string {
  const C = numClasses(c);
  const learn = mode === 'learn';
  const corr = learn ? METRIC.onlineCorrect : METRIC.queryCorrect;
  const ce = learn ? METRIC.onlineCe : METRIC.queryCe;
  const comp = learn ? METRIC.onlineCeComp : METRIC.queryCeComp;
  return /* wgsl */ `
${layoutConstsWgsl(c)}
const C = ${u(C)};
const E = ${u(E)};
const BOUND = ${c.readout.bound.toPrecision(9)};
const COMPONENT = ${u(c.readout.component)};
const MW = ${u(METRIC_WORDS)};

struct Params { ${READOUT_PARAMS.map((k) => `${k}: u32`).join(', ')} }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> ctrl: array<u32>;
@group(0) @binding(2) var<storage, read> fwdOut: array<f32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<u32>;
${learn ? '@group(0) @binding(5) var<storage, read_write> feedback: array<f32>;' : ''}
${!learn && wantPredictions ? '@group(0) @binding(5) var<storage, read_write> predictions: array<u32>;' : ''}

${activationsWgsl}

@compute @workgroup_size(${READOUT_WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let lg = gid.x + gid.y * P.gridX * ${u(READOUT_WORKGROUP)};
  if (lg >= P.learners) { return; }
  let step = ctrl[1] + ctrl[0];
  var correct = metrics[lg * MW + ${u(corr)}];
  var sum = bitcast<f32>(metrics[lg * MW + ${u(ce)}]);
  var cmp = bitcast<f32>(metrics[lg * MW + ${u(comp)}]);
  var y: array<f32, ${C}>;
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
${
  learn
    ? `    for (var b = 0u; b < C; b++) {
      let onehot = select(0.0, 1.0, b == label);
      let o = (lg * C + b) * M;
      feedback[o] = exp(y[b] - lse) - onehot;
      for (var m = 1u; m < M; m++) { feedback[o + m] = 0.0; }
      ${c.labelFeeding ? 'feedback[o + 1u] = onehot;' : ''}
    }`
    : wantPredictions
      ? '    predictions[lg * P.length + pos] = best;'
      : ''
}
  }
  metrics[lg * MW + ${u(corr)}] = correct;
  metrics[lg * MW + ${u(ce)}] = bitcast<u32>(sum);
  metrics[lg * MW + ${u(comp)}] = bitcast<u32>(cmp);
}
`;
}

/** One invocation: advance the group's step counter (separate dispatch: other kernels read it). */
export const ADVANCE_SOURCE = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> ctrl: array<u32>;
@compute @workgroup_size(1)
fn main() { ctrl[0] = ctrl[0] + 1u; }
`;
