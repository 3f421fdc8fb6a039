/**
 * Multinomial logistic regression trained by plain online SGD, one step per example, weights
 * starting at zero. On the class-sorted stream it forgets: after the last class it predicts
 * little else. That is the point of the baseline.
 *
 * State: W C x d f32 + b C f32. Algorithm: learning rate (4 bytes).
 * FLOPs: step d + 4Cd + 9C (scale d; logits 2Cd + C; softmax 5C; gradient C; times lr C;
 * W update 2Cd; b update C); predict d + 2Cd + C.
 */
import type { ByteItem, StreamShape } from '../learner';
import { argmax, scalars } from '../learner';
import { type SgdModel, softmaxInPlace } from './sgd-model';

export interface LogRegOptions {
  learningRate: number;
}

/** Chosen on a validation split of the training set (shuffled first 20k, scored on the last 10k). */
export const LOGREG_DEFAULTS: LogRegOptions = { learningRate: 0.01 };

export class LogisticRegression implements SgdModel {
  readonly kind = 'logreg';
  readonly pixels: number;
  readonly numClasses: number;
  readonly W: Float32Array;
  readonly b: Float32Array;
  readonly stepFlops: number;
  readonly predictFlops: number;
  private readonly x: Float64Array;
  private readonly z: Float64Array;

  constructor(
    shape: StreamShape,
    readonly opts: LogRegOptions = LOGREG_DEFAULTS,
  ) {
    const d = (this.pixels = shape.pixels);
    const C = (this.numClasses = shape.numClasses);
    this.W = new Float32Array(C * d);
    this.b = new Float32Array(C);
    this.x = new Float64Array(d);
    this.z = new Float64Array(C);
    this.stepFlops = d + 4 * C * d + 9 * C;
    this.predictFlops = d + 2 * C * d + C;
  }

  private logits(images: Uint8Array, offset: number): void {
    const { pixels: d, numClasses: C, W, b, x, z } = this;
    for (let i = 0; i < d; i++) x[i] = images[offset + i] * (1 / 255);
    for (let c = 0; c < C; c++) {
      let s = b[c];
      const o = c * d;
      for (let i = 0; i < d; i++) s += W[o + i] * x[i];
      z[c] = s;
    }
  }

  step(images: Uint8Array, offset: number, label: number): void {
    const { pixels: d, numClasses: C, W, b, x, z } = this;
    const lr = this.opts.learningRate;
    this.logits(images, offset);
    softmaxInPlace(z, C);
    for (let c = 0; c < C; c++) {
      const g = lr * (z[c] - (c === label ? 1 : 0));
      const o = c * d;
      // Zero pixels leave their weights unchanged; skipping them is exact.
      for (let i = 0; i < d; i++) if (x[i] !== 0) W[o + i] -= g * x[i];
      b[c] -= g;
    }
  }

  predictOne(images: Uint8Array, offset: number): number {
    this.logits(images, offset);
    return argmax(this.z, this.numClasses);
  }

  params(): Record<string, Float32Array> {
    return { W: this.W, b: this.b };
  }

  algorithmBytes(): ByteItem[] {
    return scalars('learningRate');
  }
}
