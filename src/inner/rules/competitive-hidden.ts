/**
 * A hand-designed learning rule for a VSML-style learner WITH A HIDDEN LAYER (A -> H -> C), in
 * float64 on the CPU: research groundwork for issue 22 (docs/hidden-layer.md). Every cell of a
 * layer runs the same small update on its own state; cells talk only through messages aggregated
 * per unit, as in the VSML learner (src/inner/reference.ts). The one new capability is a second
 * aggregation, **max** over incoming messages (the VSML default is the mean), which lets hidden
 * units compete: the output unit of class b sees the best-matching hidden unit, and tells every
 * hidden unit whether it was the one.
 *
 * Layer 1, cell (a, h), state w (one float: the h-th prototype's pixel a):
 *   forward  f = (phi(x_a) - w)^2                           -> hidden unit h: MEAN over a = d_h
 *   update   w <- w + rho_h (phi(x_a) - w)                   (rho_h: hidden unit h's backward input)
 * Layer 2, cell (h, b), state o (1 if hidden unit h belongs to class b; the initial state sets
 * o = [h mod C = b]) and n (examples unit h has taken):
 *   forward  p = o [n > 0] (1 - d_h)                          -> output b: MAX over h = P_b (prediction)
 *            q = o ((1 - d_h) + 2 [n = 0])                    -> output b: MAX over h = Q_b (competition)
 *   backward (the output unit sends [onehot_b(label), Q_b]):  win = onehot_b o [q = Q_b];
 *            n <- n + win;  message rho = win / n             -> hidden unit h: MAX over b = rho_h
 * Readout: logit_b = lambda P_b ('max'); or, with the VSML mean aggregation instead of the max for
 * the prediction, logit_b = log mean_h o [n > 0] exp(beta (1 - d_h)) ('lse', soft nearest prototype).
 *
 * What the rule computes: per-class online k-means with K = H / C prototypes per class (the
 * `kmeans` baseline), the hidden layer being the prototypes. A free unit (n = 0) of the labelled
 * class outbids every taken one (q > 1 >= any taken q), so a class's first K examples seed its K
 * units, the free unit nearest to the example (through the random initial w) first; later
 * examples move the nearest taken unit of their class by 1/n. Since only the labelled class's
 * units can win, old classes' prototypes are never touched by later classes: no forgetting.
 *
 * Timing: each example is one forward pass (messages up) and one backward pass with its label
 * (messages down, state written). The VSML kernels deliver the label one step late (label feeding);
 * there a layer-1 cell also keeps phi(x_a) of the previous step and a layer-2 cell its previous q
 * (one float each more), and the last label of the stream is never delivered.
 */
import { fillNormal } from '../../rng/philox';

export interface CompetitiveHiddenRule {
  /** Inputs A (784). */
  inputs: number;
  /** Hidden units H (a multiple of `classes`: K = H / C prototypes per class). */
  hidden: number;
  /** Classes C (10). */
  classes: number;
  /** Input feature gain k: phi(x) = tanh(k x) / tanh(k); 0 means phi(x) = x. */
  k: number;
  /** 'max': logit = lambda P_b; 'lse': logit = log mean_h o [n>0] exp(beta (1 - d_h)). */
  readout: 'max' | 'lse';
  /** Softness of the 'lse' readout. */
  beta: number;
  /** Seed of the initial state (random w, std 1 / sqrt(A)). */
  seed: number;
}

export const COMPETITIVE_HIDDEN_DEFAULTS: CompetitiveHiddenRule = {
  inputs: 784,
  hidden: 200,
  classes: 10,
  k: 0,
  readout: 'max',
  beta: 0,
  seed: 1,
};

/** Bytes of learned state the rule needs, f32 per float, with or without the label-delay memories. */
export function competitiveStateBytes(
  r: CompetitiveHiddenRule,
  delayedLabels: boolean,
): { layer1: number; layer2: number; total: number } {
  const layer1 = 4 * r.inputs * r.hidden * (delayedLabels ? 2 : 1);
  const layer2 = 4 * r.hidden * r.classes * (delayedLabels ? 3 : 2);
  return { layer1, layer2, total: layer1 + layer2 };
}

/**
 * Algorithm bytes: the rule's constants (k, lambda or beta, the free-unit bid 2, the init std, the
 * state seed) at 4 bytes each. The cell code itself is code, not counted.
 */
export const COMPETITIVE_ALGORITHM_BYTES = 5 * 4;

/**
 * FLOPs per learning example (forward + backward, every cell counted, even where rho = 0):
 * layer 1: phi (2 per pixel if k > 0, else 1 for the scaling), forward 3 per cell, mean 1 per
 * cell + 1 per unit; update 3 per cell; layer 2: forward 2 + 3 per cell, max 2 per cell; backward
 * 4 per cell, max 1 per cell.
 */
export function competitiveLearnFlops(r: CompetitiveHiddenRule): number {
  const A = r.inputs;
  const { hidden: H, classes: C } = r;
  return A * (r.k > 0 ? 3 : 1) + A * H * (3 + 1 + 3) + H + H * C * (5 + 2 + 4 + 1);
}

/** FLOPs per query: phi, layer-1 forward and mean, layer-2 prediction message and its aggregation. */
export function competitiveQueryFlops(r: CompetitiveHiddenRule): number {
  const A = r.inputs;
  const { hidden: H, classes: C } = r;
  return (
    A * (r.k > 0 ? 3 : 1) + A * H * 4 + H + H * C * (r.readout === 'lse' ? 6 : 3) + (r.readout === 'lse' ? 2 * C : C)
  );
}

/** The learner: layer-1 and layer-2 cell states, stepped cell by cell. */
export class CompetitiveHiddenLearner {
  /** Layer-1 cell states w, hidden-major: w[h * A + a]. */
  readonly w: Float64Array;
  /** Layer-2 cell states o and n, unit-major: [h * C + b]. */
  readonly o: Float64Array;
  readonly n: Float64Array;
  private readonly phiTable: Float64Array;
  private readonly d: Float64Array;
  private readonly x: Float64Array;
  seen = 0;

  constructor(readonly rule: CompetitiveHiddenRule) {
    const { inputs: A, hidden: H, classes: C } = rule;
    if (H % C !== 0) throw new Error(`hidden (${H}) must be a multiple of classes (${C})`);
    this.w = new Float64Array(A * H);
    // Random initial prototypes from the state seed (Philox normals, as the VSML initial state).
    fillNormal(this.w, rule.seed >>> 0, 0x68696464);
    for (let i = 0; i < this.w.length; i++) this.w[i] /= Math.sqrt(A);
    this.o = new Float64Array(H * C);
    this.n = new Float64Array(H * C);
    for (let h = 0; h < H; h++) this.o[h * C + (h % C)] = 1;
    const k = rule.k;
    this.phiTable = Float64Array.from({ length: 256 }, (_, v) =>
      k > 0 ? Math.tanh((k * v) / 255) / Math.tanh(k) : v / 255,
    );
    this.d = new Float64Array(H);
    this.x = new Float64Array(A);
  }

  /** Layer 1 forward: every cell's (phi(x_a) - w)^2, MEAN over a per hidden unit -> d_h. */
  private forward1(image: Uint8Array): void {
    const { inputs: A, hidden: H } = this.rule;
    const { x, w, d } = this;
    for (let a = 0; a < A; a++) x[a] = this.phiTable[image[a]];
    for (let h = 0; h < H; h++) {
      let s = 0;
      const base = h * A;
      for (let a = 0; a < A; a++) {
        const t = x[a] - w[base + a];
        s += t * t;
      }
      d[h] = s / A;
    }
  }

  /** One learning example: forward pass, then the backward pass with its label. */
  learn(image: Uint8Array, label: number): void {
    const { inputs: A, hidden: H, classes: C } = this.rule;
    const { o, n, d, x, w } = this;
    this.forward1(image);
    // Layer 2 forward, competition message q, MAX over h at every output unit b.
    const Q = new Float64Array(C).fill(-Infinity);
    for (let h = 0; h < H; h++) {
      for (let b = 0; b < C; b++) {
        const i = h * C + b;
        const q = o[i] * (1 - d[h] + (n[i] === 0 ? 2 : 0));
        if (q > Q[b]) Q[b] = q;
      }
    }
    // Layer 2 backward: output b sends [onehot_b(label), Q_b]; the winning cell counts the example
    // and sends rho = 1/n; MAX over b at every hidden unit h. Then layer 1 moves w by rho_h.
    for (let h = 0; h < H; h++) {
      let rho = 0;
      for (let b = 0; b < C; b++) {
        const i = h * C + b;
        const q = o[i] * (1 - d[h] + (n[i] === 0 ? 2 : 0));
        const win = (b === label ? 1 : 0) * o[i] * (q === Q[b] ? 1 : 0);
        n[i] += win;
        const msg = win > 0 ? win / n[i] : 0;
        if (msg > rho) rho = msg;
      }
      if (rho > 0) {
        const base = h * A;
        for (let a = 0; a < A; a++) w[base + a] += rho * (x[a] - w[base + a]);
      }
    }
    this.seen++;
  }

  /** Logits of a query (state frozen). */
  logits(image: Uint8Array): Float64Array {
    const { hidden: H, classes: C, readout, beta } = this.rule;
    const { o, n, d } = this;
    this.forward1(image);
    const out = new Float64Array(C);
    if (readout === 'max') {
      out.fill(-Infinity);
      for (let h = 0; h < H; h++) {
        for (let b = 0; b < C; b++) {
          const i = h * C + b;
          if (o[i] > 0 && n[i] > 0 && 1 - d[h] > out[b]) out[b] = 1 - d[h];
        }
      }
      return out;
    }
    // 'lse': mean over h of o [n > 0] exp(beta (1 - d_h)), shifted by the best score for range.
    let top = -Infinity;
    for (let h = 0; h < H; h++) top = Math.max(top, 1 - d[h]);
    for (let h = 0; h < H; h++) {
      for (let b = 0; b < C; b++) {
        const i = h * C + b;
        if (o[i] > 0 && n[i] > 0) out[b] += Math.exp(beta * (1 - d[h] - top));
      }
    }
    for (let b = 0; b < C; b++) out[b] = Math.log(out[b] / H);
    return out;
  }

  predict(image: Uint8Array): number {
    const l = this.logits(image);
    let best = 0;
    for (let b = 1; b < l.length; b++) if (l[b] > l[best]) best = b;
    return best;
  }
}
