/**
 * The interface shared by the SGD baselines (logistic regression, MLP): a model that takes one
 * plain SGD step on one (image, label) pair, with cross-entropy loss on a softmax. Used as-is on
 * the stream (sgd-learner.ts) and with a reservoir replay buffer (replay.ts).
 */
import type { ByteItem } from '../learner';

export interface SgdModel {
  readonly kind: string;
  readonly pixels: number;
  readonly numClasses: number;
  /** One SGD step on the image at `offset` of `images`. */
  step(images: Uint8Array, offset: number, label: number): void;
  /** The predicted class of the image at `offset`. */
  predictOne(images: Uint8Array, offset: number): number;
  /** Analytic FLOPs of one step / one prediction (src/inner/flops.ts conventions). */
  readonly stepFlops: number;
  readonly predictFlops: number;
  /** The learned parameters (the model's whole state). */
  params(): Record<string, Float32Array>;
  /** Seed and hyperparameters. */
  algorithmBytes(): ByteItem[];
}

/** In-place softmax of z[0..n); 5n FLOPs (max, subtract, exp, sum, divide). */
export function softmaxInPlace(z: Float64Array, n: number): void {
  let m = -Infinity;
  for (let c = 0; c < n; c++) if (z[c] > m) m = z[c];
  let s = 0;
  for (let c = 0; c < n; c++) {
    z[c] = Math.exp(z[c] - m);
    s += z[c];
  }
  for (let c = 0; c < n; c++) z[c] /= s;
}
