/**
 * Analytic cost model of a VSML learner: FLOPs per example (learning and query), learned-state
 * bytes and algorithm bytes, from the configuration alone. FLOP conventions: src/inner/flops.ts
 * (multiply-add 2, exp / log / tanh 1, sigmoid = exp + add + divide = 3).
 *
 * The count is of the algorithm as we run it, which uses two exact rewrites of the per-cell
 * equations (docs/vsml.md, "Cost model"):
 *  - gate pre-activations split as W z = W_f fwd_a + W_b bwd_b + W_h h: the message parts are
 *    computed once per input unit a and once per output unit b, not once per cell;
 *  - the heads are linear, so mean_a(Wf h_ab + bf) = Wf mean_a(h_ab) + bf: each cell only adds
 *    its h into a sum, and the head runs once per unit.
 * `naive*` fields give the literal per-cell count (full W z and both heads in every cell, every
 * tick) for comparison with the 72 MFLOP figure of the brief.
 */
import { type VsmlConfig, metaParamLayout } from './vsml-config';

const SIGMOID = 3;
const TANH = 1;

export interface LayerCost {
  inputs: number;
  outputs: number;
  cells: number;
  /** FLOPs of one cell for one tick. */
  cellTickFlops: number;
  learnFlops: number;
  queryFlops: number;
}

/** The four-axes cost every scoreboard learner reports (FLOP conventions: src/inner/flops.ts). */
export interface LearnerCost {
  flopsPerLearnExample: number;
  flopsPerQueryExample: number;
  /** Bytes carried from one example to the next. */
  stateBytes: number;
  stateBreakdown: { name: string; bytes: number }[];
  /** Bytes needed before any data. */
  algorithmBytes: number;
  algorithmBreakdown: { name: string; bytes: number }[];
}

/**
 * A VSML learner's cost: its state is the cells' (h, c) and in-flight messages, its algorithm the
 * meta-parameters, the state-init seed and the projection seed.
 */
export interface VsmlCost extends LearnerCost {
  layers: LayerCost[];
  /** FLOPs to turn one raw example into the first layer's input (scaling, projection). */
  inputFlops: number;
  readoutLearnFlops: number;
  readoutQueryFlops: number;
  /** The literal per-cell formulation (see file comment). */
  naiveFlopsPerLearnExample: number;
  /** D * 4. */
  metaParamBytes: number;
}

/** FLOPs of one cell tick (gate pre-activations given the per-unit message terms). */
export function cellTickFlops(c: VsmlConfig): number {
  const H = c.hidden;
  // Per unit: c = f*c + i*g (3), h = o * tanh(c) (1 + tanh), 3 sigmoids + 1 tanh for the gates.
  const perUnit = 3 * SIGMOID + TANH + 3 + 1 + TANH;
  if (c.cell.kind === 'lstm') {
    // 4H rows: dot with h (2H) + the a-term + the b-term (2 adds).
    return 4 * H * (2 * H + 2) + H * perUnit;
  }
  const r = c.cell.rank;
  // v = V_h h + a-term + b-term (r rows, 2H + 2); gates = U v + constant (4H rows, 2r + 1).
  return r * (2 * H + 2) + 4 * H * (2 * r + 1) + H * perUnit;
}

export function vsmlCost(c: VsmlConfig): VsmlCost {
  const H = c.hidden;
  const M = c.message;
  const K = c.layers.length - 1;
  const rows = c.cell.kind === 'lstm' ? 4 * H : c.cell.rank;
  const cellTick = cellTickFlops(c);
  const layers: LayerCost[] = [];
  for (let k = 0; k < K; k++) {
    const A = c.layers[k];
    const B = c.layers[k + 1];
    // Message terms: the input layer's forward message is [x_a, 0..], so one multiply per row.
    const fwdTerm = k === 0 ? A * rows : A * rows * 2 * M;
    // Backward term + the per-row constant (bias + gate offset) for every output unit.
    const bwdTerm = B * rows * 2 * M + B * 4 * H;
    const cells = A * B * c.ticks * cellTick;
    // Aggregation: sum h over a (A*B*H adds), scale by 1/A (H), head (2MH + M) per output unit.
    const fwdAgg = A * B * H + B * (H + 2 * M * H + M);
    const bwdAgg = k > 0 ? A * B * H + A * (H + 2 * M * H + M) : 0;
    const queryFlops = fwdTerm + bwdTerm + cells + fwdAgg;
    layers.push({
      inputs: A,
      outputs: B,
      cells: A * B,
      cellTickFlops: cellTick,
      learnFlops: queryFlops + bwdAgg,
      queryFlops,
    });
  }
  const C = c.layers[K];
  const inputFlops = c.projection ? c.inputSize + 2 * c.inputSize * c.layers[0] : c.layers[0];
  // Readout: bound * tanh(f / bound) (3 per class), softmax (5 per class), cross-entropy (log + sub).
  const readoutQueryFlops = 3 * C + 5 * C + 2;
  // Learning adds the error softmax - onehot (1 per class).
  const readoutLearnFlops = readoutQueryFlops + C;
  const flopsPerLearnExample = inputFlops + layers.reduce((s, l) => s + l.learnFlops, 0) + readoutLearnFlops;
  const flopsPerQueryExample = inputFlops + layers.reduce((s, l) => s + l.queryFlops, 0) + readoutQueryFlops;

  // Literal formulation: every cell computes W z (full z) and both heads, every tick.
  const Z = 2 * M + H;
  const gateNaive = c.cell.kind === 'lstm' ? 4 * H * (2 * Z + 1) : c.cell.rank * 2 * Z + 4 * H * (2 * c.cell.rank + 1);
  const perUnit = 3 * SIGMOID + TANH + 3 + 1 + TANH;
  const naiveCellTick = gateNaive + H * perUnit + 2 * (2 * M * H + M);
  let naive = inputFlops + readoutLearnFlops;
  for (const l of layers) naive += l.cells * c.ticks * naiveCellTick + (l.inputs + l.outputs) * M * 2;

  const stateBreakdown: { name: string; bytes: number }[] = [];
  for (let k = 0; k < K; k++)
    stateBreakdown.push({ name: `layer ${k} cells (h, c)`, bytes: layers[k].cells * 2 * H * 4 });
  for (let k = 0; k < K - 1; k++)
    stateBreakdown.push({ name: `layer ${k + 1} -> ${k} backward message`, bytes: c.layers[k + 1] * M * 4 });
  stateBreakdown.push({ name: 'feedback message (previous example)', bytes: C * M * 4 });
  const metaParamBytes = metaParamLayout(c).size * 4;
  const algorithmBreakdown = [
    { name: 'meta-parameters', bytes: metaParamBytes },
    { name: 'initial-state seed', bytes: 4 },
  ];
  if (c.projection) algorithmBreakdown.push({ name: 'projection seed', bytes: 4 });
  return {
    layers,
    inputFlops,
    readoutLearnFlops,
    readoutQueryFlops,
    flopsPerLearnExample,
    flopsPerQueryExample,
    naiveFlopsPerLearnExample: naive,
    stateBytes: stateBreakdown.reduce((s, b) => s + b.bytes, 0),
    stateBreakdown,
    metaParamBytes,
    algorithmBytes: algorithmBreakdown.reduce((s, b) => s + b.bytes, 0),
    algorithmBreakdown,
  };
}

/** FLOPs of a whole episode for one learner. */
export function episodeFlops(c: VsmlConfig, learnLength: number, queryLength: number): number {
  const cost = vsmlCost(c);
  return learnLength * cost.flopsPerLearnExample + queryLength * cost.flopsPerQueryExample;
}
