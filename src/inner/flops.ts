/**
 * FLOP conventions for the compute axis. Counts are analytic: derived from a learner's
 * configuration and the number of examples it has seen, never measured.
 *
 * - add, subtract, multiply, divide, compare (max, ReLU, top-k insertion test): 1 each;
 *   a multiply-add is 2.
 * - exp, log, sqrt, tanh: 1 each (cheap to state, easy to check; real hardware costs more).
 * - Integer arithmetic on raw pixels (kNN distances) counts like floating point.
 * - Converting a u8 pixel to [0, 1] is 1 per pixel (a multiply by 1/255).
 * - argmax over the final class scores, loop bookkeeping and memory traffic are not counted.
 * - Dense counts: a kNN distance costs 3d (subtract, multiply, add) even where the implementation
 *   skips zero pixels; the count describes the algorithm, not one implementation's shortcuts.
 */

/** Pixel scaling to [0, 1]. */
export const scaleFlops = (pixels: number): number => pixels;

/** y = W x + b with W rows x cols. */
export const affineFlops = (rows: number, cols: number): number => 2 * rows * cols + rows;

/** Softmax over n logits: max (n), subtract (n), exp (n), sum (n), divide (n). */
export const softmaxFlops = (n: number): number => 5 * n;

/**
 * In-place Cholesky of a dense symmetric d x d matrix, as implemented in slda.ts: for column j,
 * the diagonal needs j multiply-subtracts and a sqrt; each of the d-1-j entries below it needs j
 * multiply-subtracts and a divide. Total sum_j (d - j)(2j + 1), about d^3/3 multiply-adds.
 */
export function choleskyFlops(d: number): number {
  let f = 0;
  for (let j = 0; j < d; j++) f += (d - j) * (2 * j + 1);
  return f;
}

/** Forward + back substitution with a d x d triangular factor: row i needs i multiply-subtracts and a divide; twice. */
export function choleskySolveFlops(d: number): number {
  return 2 * d * d;
}
