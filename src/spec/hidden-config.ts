/**
 * The hidden-layer VSML-style learner (issue 22): configuration, its zod schema, the meta-parameter
 * layout and the cost model. One source of truth: the WGSL kernels (src/kernels/hidden*.ts), the
 * float64 reference (src/inner/hidden-reference.ts) and the GPU population read their constants
 * from here.
 *
 * Learner A -> H -> C. Every cell of a layer runs the same small update; the update's constants
 * are the meta-parameters (shared by all cells of the learner), the learned state lives in the
 * cells. Pixels are x = p / 255.
 *
 * Layer 1, cell (a, h), state w (1 float):
 *   forward   f = fD (x - w)^2 + fX x^2 + fW w^2 + f1 x + f2 w          -> hidden h: MEAN over a = d_h
 *   update    w <- w + rho_h (uX x + uW w + u1)                          (rho_h: hidden h's backward input)
 * Layer 2, cell (h, b), state o (ownership, fixed by the structured initial state o = [h mod C = b])
 * and n (examples the cell has won):
 *   score     s = g0 + gD d_h
 *   forward   p = o [n > 0] s                   -> output b: AGG over h = P_b   (prediction)
 *             q = o (s + bid [n = 0])           -> output b: AGG over h = Q_b   (competition)
 *   backward  output b sends [onehot_b(label), Q_b]; win = onehot_b o [q >= Q_b]; n <- n + win;
 *             m = win rA / (n + rB)             -> hidden h: AGG over b = rho_h
 * Readout: logit_b = lambda P_b.
 *
 * AGG is the learner-family option `aggregation`: 'mean' (the VSML default: every incoming message
 * counts equally) or 'max' (competition: with max, [q >= Q_b] is true only for the best-scoring
 * cell, winner-take-all between hidden units; with mean, every above-average cell of the labelled
 * class wins). Layer 1's aggregation is always the mean (a distance is a sum over pixels).
 *
 * Timing: one learning example is a forward pass (up), then a backward pass with that example's
 * label (down); predictions are made in the test phase only, from the frozen state.
 *
 * Initial state: w ~ N(0, 1/A) from the learner's 32-bit state seed (Philox, the VSML initial
 * state's role), o = [h mod C = b], n = 0.
 */
import { z } from 'zod';
import type { LearnerCost } from './cost-model';
import { int, oneOf, parseOrThrow, strict } from './schema';

export const HIDDEN_AGGREGATIONS = ['mean', 'max'] as const;
export type HiddenAggregation = (typeof HIDDEN_AGGREGATIONS)[number];

export interface HiddenConfig {
  /** Inputs A (pixels). */
  inputs: number;
  /** Hidden units H (a multiple of `classes`: H / C units owned per class). */
  hidden: number;
  /** Classes C. */
  classes: number;
  /** Aggregation of the layer-2 messages (over h at an output unit, over b at a hidden unit). */
  aggregation: HiddenAggregation;
}

export const DEFAULT_HIDDEN_CONFIG: HiddenConfig = { inputs: 784, hidden: 100, classes: 10, aggregation: 'max' };

export const hiddenConfigSchema = strict({
  inputs: int(1, 65_536),
  hidden: int(1, 4096),
  classes: int(2, 256),
  aggregation: oneOf(HIDDEN_AGGREGATIONS),
}).refine((c) => c.hidden % c.classes === 0, {
  error: 'hidden must be a multiple of classes (each class owns hidden / classes units)',
  path: ['hidden'],
});

export function validateHiddenConfig(value: unknown): HiddenConfig {
  return parseOrThrow(
    hiddenConfigSchema as unknown as z.ZodType<HiddenConfig>,
    value,
    (field, message) => new Error(`hidden learner config: ${field}: ${message}`),
  );
}

/** The meta-parameters, in vector order (the WGSL constants P_<NAME> are their indices). */
export const HIDDEN_PARAM_NAMES = [
  'fD',
  'fX',
  'fW',
  'f1',
  'f2',
  'uX',
  'uW',
  'u1',
  'g0',
  'gD',
  'bid',
  'rA',
  'rB',
  'lambda',
] as const;
export type HiddenParamName = (typeof HIDDEN_PARAM_NAMES)[number];
export const HIDDEN_PARAM_COUNT = HIDDEN_PARAM_NAMES.length;

export const hiddenParamIndex = (name: HiddenParamName): number => HIDDEN_PARAM_NAMES.indexOf(name);

/** `const P_FD = 0u; ...` for the kernels. */
export function hiddenParamConstsWgsl(): string {
  return [
    `const D = ${HIDDEN_PARAM_COUNT}u;`,
    ...HIDDEN_PARAM_NAMES.map((n, i) => `const P_${n.toUpperCase()} = ${i}u;`),
  ].join('\n');
}

/** Named meta-parameters -> the vector (every name required). */
export function hiddenParamVector(p: Record<HiddenParamName, number>): Float32Array {
  return Float32Array.from(HIDDEN_PARAM_NAMES, (n) => {
    const v = p[n];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`hidden meta-parameter ${n}: not a finite number`);
    return v;
  });
}

export function hiddenParamRecord(v: ArrayLike<number>): Record<HiddenParamName, number> {
  if (v.length !== HIDDEN_PARAM_COUNT)
    throw new Error(`hidden meta-parameters: ${v.length} floats, expected ${HIDDEN_PARAM_COUNT}`);
  return Object.fromEntries(HIDDEN_PARAM_NAMES.map((n, i) => [n, v[i]])) as Record<HiddenParamName, number>;
}

/** Std of the initial w (per config: 1 / sqrt(A), as the VSML initial state). */
export const hiddenInitStd = (c: HiddenConfig): number => 1 / Math.sqrt(c.inputs);

/** Philox stream key of the initial w (the state seed is the other key). */
export const HIDDEN_INIT_STREAM = 0x68696464;

/** The four-axes cost of one hidden-layer learner. */
export type HiddenCost = LearnerCost;

/**
 * Analytic cost, every cell counted every step (also cells whose rho is 0):
 *  - pixel scaling: 1 per pixel;
 *  - layer-1 forward: (x - w)^2 (2) times fD (1), fX x^2 (2), fW w^2 (2), f1 x (1), f2 w (1), 4 adds,
 *    the sum over a (1): 14 per cell, and 1 per hidden unit for the mean;
 *  - layer-2 forward (learning): s (2), q (3), the aggregation (1): 6 per cell, +1 per output for a mean;
 *  - layer-2 backward: win (2), n (1), m (3), the aggregation (1): 7 per cell, +1 per hidden unit for a mean;
 *  - layer-1 update: uX x, uW w (2), 2 adds, times rho (1), add to w (1): 6 per cell;
 *  - query: pixels, layer-1 forward, s (2), p (2), aggregation (1) per layer-2 cell, lambda (1) per output.
 */
export function hiddenCost(c: HiddenConfig): HiddenCost {
  const { inputs: A, hidden: H, classes: C } = c;
  const mean = c.aggregation === 'mean';
  const layer1Fwd = A * H * 14 + H;
  const flopsPerLearnExample = A + layer1Fwd + H * C * 6 + (mean ? C : 0) + H * C * 7 + (mean ? H : 0) + A * H * 6;
  const flopsPerQueryExample = A + layer1Fwd + H * C * 5 + (mean ? C : 0) + C;
  const stateBreakdown = [
    { name: 'layer-1 cells w (f32)', bytes: 4 * A * H },
    { name: 'layer-2 cells o (f32)', bytes: 4 * H * C },
    { name: 'layer-2 cells n (f32)', bytes: 4 * H * C },
  ];
  const algorithmBreakdown = [
    { name: `meta-parameters (${HIDDEN_PARAM_COUNT} f32)`, bytes: 4 * HIDDEN_PARAM_COUNT },
    { name: 'state seed', bytes: 4 },
  ];
  const sum = (xs: { bytes: number }[]) => xs.reduce((s, x) => s + x.bytes, 0);
  return {
    flopsPerLearnExample,
    flopsPerQueryExample,
    stateBytes: sum(stateBreakdown),
    stateBreakdown,
    algorithmBytes: sum(algorithmBreakdown),
    algorithmBreakdown,
  };
}

export function describeHiddenConfig(c: HiddenConfig): string {
  return `${c.inputs}-${c.hidden}-${c.classes}, ${c.aggregation} aggregation, ${c.hidden / c.classes} hidden units per class`;
}
