/**
 * SGD with a reservoir replay buffer: the classic fix for forgetting, at a memory cost.
 * For each incoming example n (0-based): one SGD step on it, then `replaySteps` SGD steps on
 * examples drawn uniformly (with replacement) from the buffer (none while it is empty), then
 * reservoir sampling (Vitter's algorithm R): the first `bufferSize` examples fill the buffer;
 * later, example n replaces slot j = int(n + 1) if j < bufferSize. So the buffer is always a
 * uniform sample of the stream so far, whatever its order.
 * Random numbers: Philox words (seed, RNG_DOMAIN.replay; counter (block, n)), so the only RNG state
 * carried is n itself.
 *
 * State: the model's weights + buffer (u8 images and labels of the filled slots) + n (u32).
 * Algorithm: the model's seed and hyperparameters + bufferSize, replaySteps, replay seed (4 bytes each).
 * FLOPs: per example (1 + r) model steps + r + 1 draws (1 each), r = replaySteps once the buffer
 * is non-empty (0 for the very first example).
 */
import type { ByteItem, Frozen, InspectableLearner } from '../learner';
import { arrayBytes, scalars } from '../learner';
import { RNG_DOMAIN, philox4x32 } from '../../rng/philox';
import { assign, checkImage, checkLabel } from './common';
import { frozenModel } from './sgd-learner';
import type { SgdModel } from './sgd-model';

export interface ReplayOptions {
  /** Examples the buffer holds (the memory budget: bufferSize * (d + 1) bytes). */
  bufferSize: number;
  /** Replayed SGD steps per incoming example. */
  replaySteps: number;
  seed: number;
}

export const REPLAY_DEFAULTS: ReplayOptions = { bufferSize: 1000, replaySteps: 4, seed: 1 };

export class ReplayLearner implements InspectableLearner {
  private readonly d: number;
  private readonly bufImages: Uint8Array;
  private readonly bufLabels: Uint8Array;
  private readonly seen = new Uint32Array(1);
  private flops = 0;

  constructor(
    readonly model: SgdModel,
    readonly opts: ReplayOptions = REPLAY_DEFAULTS,
  ) {
    if (!(opts.bufferSize >= 1 && Number.isInteger(opts.bufferSize)))
      throw new Error(`bufferSize must be a positive integer, got ${opts.bufferSize}`);
    if (!(opts.replaySteps >= 0 && Number.isInteger(opts.replaySteps)))
      throw new Error(`replaySteps must be a non-negative integer`);
    this.d = model.pixels;
    this.bufImages = new Uint8Array(opts.bufferSize * this.d);
    this.bufLabels = new Uint8Array(opts.bufferSize);
  }

  /** Random word m of example n. */
  private word(n: number, m: number): number {
    return philox4x32(this.opts.seed >>> 0, RNG_DOMAIN.replay, m >>> 2, n, 0, 0)[m & 3];
  }

  /** Integer in [0, bound) from word m of example n. */
  private draw(n: number, m: number, bound: number): number {
    return Math.floor((this.word(n, m) / 2 ** 32) * bound);
  }

  private get filled(): number {
    return Math.min(this.seen[0], this.opts.bufferSize);
  }

  /** Analytic FLOPs of example n (0-based). */
  flopsOfExample(n: number): number {
    const r = n === 0 ? 0 : this.opts.replaySteps;
    return (1 + r) * this.model.stepFlops + r + 1;
  }

  learn(image: Uint8Array, label: number): void {
    const { d, bufImages, bufLabels } = this;
    const { bufferSize, replaySteps } = this.opts;
    checkImage(image, d);
    checkLabel(label, this.model.numClasses);
    const n = this.seen[0];
    this.model.step(image, 0, label);
    const filled = this.filled;
    if (filled > 0) {
      for (let r = 0; r < replaySteps; r++) {
        const j = this.draw(n, r + 1, filled);
        this.model.step(bufImages, j * d, bufLabels[j]);
      }
    }
    const slot = n < bufferSize ? n : this.draw(n, 0, n + 1);
    if (slot < bufferSize) {
      bufImages.set(image, slot * d);
      bufLabels[slot] = label;
    }
    this.flops += this.flopsOfExample(n);
    this.seen[0] = n + 1;
  }

  freeze(): Frozen {
    return frozenModel(this.model);
  }

  learnFlops(): number {
    return this.flops;
  }

  stateArrays(): Record<string, ArrayBufferView> {
    const f = this.filled;
    return {
      ...this.model.params(),
      bufferImages: this.bufImages.subarray(0, f * this.d),
      bufferLabels: this.bufLabels.subarray(0, f),
      seen: this.seen,
    };
  }

  loadState(a: Record<string, ArrayBufferView>): void {
    for (const [k, v] of Object.entries(this.model.params())) assign(v, a[k], k);
    assign(this.seen, a.seen, 'seen');
    const f = this.filled;
    assign(this.bufImages.subarray(0, f * this.d), a.bufferImages, 'bufferImages');
    assign(this.bufLabels.subarray(0, f), a.bufferLabels, 'bufferLabels');
  }

  stateBytes(): ByteItem[] {
    return arrayBytes(this.stateArrays());
  }

  algorithmBytes(): ByteItem[] {
    return [...this.model.algorithmBytes(), ...scalars('bufferSize', 'replaySteps', 'replaySeed')];
  }
}
