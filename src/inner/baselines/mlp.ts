/**
 * A one-hidden-layer ReLU network (d -> H -> C) trained by plain online SGD, one step per example.
 * Initial weights are regenerated from a 32-bit seed (Philox normals, He scaling: W1 std
 * sqrt(2/d), W2 std sqrt(1/H); biases zero), so they count 4 bytes of algorithm.
 *
 * State: W1 H x d, b1 H, W2 C x H, b2 C, all f32. Algorithm: seed, learning rate, H (4 bytes each).
 * FLOPs: step d + 4Hd + 6CH + 4H + 9C (scale d; hidden 2Hd + H; ReLU H; logits 2CH + C;
 * softmax 5C; gradient C; times lr C; backprop 2CH; ReLU mask H; W2, b2 update 2CH + C;
 * W1, b1 update 2Hd + H); predict d + 2Hd + 2H + 2CH + C.
 */
import type { ByteItem, StreamShape } from '../learner';
import { argmax, scalars } from '../learner';
import { RNG_DOMAIN, fillNormal } from '../../rng/philox';
import { type SgdModel, softmaxInPlace } from './sgd-model';

export interface MlpOptions {
  hidden: number;
  learningRate: number;
  seed: number;
}

/** Learning rate chosen on a validation split of the training set (shuffled first 20k, scored on the last 10k). */
export const MLP_DEFAULTS: MlpOptions = { hidden: 100, learningRate: 0.01, seed: 1 };

export class Mlp implements SgdModel {
  readonly kind = 'mlp';
  readonly pixels: number;
  readonly numClasses: number;
  readonly W1: Float32Array;
  readonly b1: Float32Array;
  readonly W2: Float32Array;
  readonly b2: Float32Array;
  readonly stepFlops: number;
  readonly predictFlops: number;
  private readonly x: Float64Array;
  private readonly h: Float64Array;
  private readonly gh: Float64Array;
  private readonly z: Float64Array;

  constructor(
    shape: StreamShape,
    readonly opts: MlpOptions = MLP_DEFAULTS,
  ) {
    const d = (this.pixels = shape.pixels);
    const C = (this.numClasses = shape.numClasses);
    const H = opts.hidden;
    if (!(H >= 1 && Number.isInteger(H))) throw new Error(`hidden must be a positive integer, got ${H}`);
    this.W1 = new Float32Array(H * d);
    this.b1 = new Float32Array(H);
    this.W2 = new Float32Array(C * H);
    this.b2 = new Float32Array(C);
    const key = opts.seed >>> 0;
    fillNormal(this.W1, key, RNG_DOMAIN.paramInit, 0);
    fillNormal(this.W2, key, RNG_DOMAIN.paramInit, 1);
    const s1 = Math.sqrt(2 / d);
    const s2 = Math.sqrt(1 / H);
    for (let i = 0; i < this.W1.length; i++) this.W1[i] *= s1;
    for (let i = 0; i < this.W2.length; i++) this.W2[i] *= s2;
    this.x = new Float64Array(d);
    this.h = new Float64Array(H);
    this.gh = new Float64Array(H);
    this.z = new Float64Array(C);
    this.stepFlops = d + 4 * H * d + 6 * C * H + 4 * H + 9 * C;
    this.predictFlops = d + 2 * H * d + 2 * H + 2 * C * H + C;
  }

  private forward(images: Uint8Array, offset: number): void {
    const { pixels: d, numClasses: C, W1, b1, W2, b2, x, h, z } = this;
    const H = this.opts.hidden;
    for (let i = 0; i < d; i++) x[i] = images[offset + i] * (1 / 255);
    for (let j = 0; j < H; j++) {
      let s = b1[j];
      const o = j * d;
      for (let i = 0; i < d; i++) s += W1[o + i] * x[i];
      h[j] = s > 0 ? s : 0;
    }
    for (let c = 0; c < C; c++) {
      let s = b2[c];
      const o = c * H;
      for (let j = 0; j < H; j++) s += W2[o + j] * h[j];
      z[c] = s;
    }
  }

  step(images: Uint8Array, offset: number, label: number): void {
    const { pixels: d, numClasses: C, W1, b1, W2, b2, x, h, gh, z } = this;
    const H = this.opts.hidden;
    const lr = this.opts.learningRate;
    this.forward(images, offset);
    softmaxInPlace(z, C);
    for (let c = 0; c < C; c++) z[c] = lr * (z[c] - (c === label ? 1 : 0));
    // Backprop through W2 before updating it.
    for (let j = 0; j < H; j++) {
      let s = 0;
      for (let c = 0; c < C; c++) s += W2[c * H + j] * z[c];
      gh[j] = h[j] > 0 ? s : 0;
    }
    for (let c = 0; c < C; c++) {
      const g = z[c];
      const o = c * H;
      for (let j = 0; j < H; j++) W2[o + j] -= g * h[j];
      b2[c] -= g;
    }
    for (let j = 0; j < H; j++) {
      const g = gh[j];
      if (g === 0) continue; // inactive unit: its row is unchanged (exact shortcut)
      const o = j * d;
      for (let i = 0; i < d; i++) if (x[i] !== 0) W1[o + i] -= g * x[i];
      b1[j] -= g;
    }
  }

  predictOne(images: Uint8Array, offset: number): number {
    this.forward(images, offset);
    return argmax(this.z, this.numClasses);
  }

  params(): Record<string, Float32Array> {
    return { W1: this.W1, b1: this.b1, W2: this.W2, b2: this.b2 };
  }

  algorithmBytes(): ByteItem[] {
    return scalars('seed', 'learningRate', 'hidden');
  }
}
