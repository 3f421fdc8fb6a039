/**
 * Adam (Kingma & Ba 2015) as a pure function on float64 moments, as OpenAI ES uses it: the
 * parameters descend `grad` (pass minus the fitness gradient to ascend).
 */

export interface AdamState {
  m: Float64Array;
  v: Float64Array;
  /** Steps taken so far. */
  t: number;
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
}

export const ADAM_DEFAULTS: Omit<AdamHyper, 'lr'> = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

export function adamInit(dim: number): AdamState {
  return { m: new Float64Array(dim), v: new Float64Array(dim), t: 0 };
}

/**
 * One step. Returns the new state and the step to ADD to the parameters:
 * step = -lr_t * m / (sqrt(v) + eps), with the bias correction folded into
 * lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t) (the form OpenAI ES and the Adam paper's
 * "efficient" variant use).
 */
export function adamStep(
  state: AdamState,
  grad: ArrayLike<number>,
  h: AdamHyper,
): { state: AdamState; step: Float64Array } {
  const n = state.m.length;
  if (grad.length !== n) throw new Error(`adamStep: gradient has ${grad.length} entries, state has ${n}`);
  const t = state.t + 1;
  const m = new Float64Array(n);
  const v = new Float64Array(n);
  const step = new Float64Array(n);
  const lrT = (h.lr * Math.sqrt(1 - h.beta2 ** t)) / (1 - h.beta1 ** t);
  for (let i = 0; i < n; i++) {
    const g = grad[i];
    m[i] = h.beta1 * state.m[i] + (1 - h.beta1) * g;
    v[i] = h.beta2 * state.v[i] + (1 - h.beta2) * g * g;
    step[i] = (-lrT * m[i]) / (Math.sqrt(v[i]) + h.eps);
  }
  return { state: { m, v, t }, step };
}
