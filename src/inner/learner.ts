/**
 * The OrderedMNIST learner interface: the only surface the benchmark harness talks to.
 *
 * Learning phase: the harness calls `learn(image, label)` once per training pair, in stream order,
 * handing over a fresh copy of one image (the learner may keep it). A learner may instead
 * implement `learnStream(examples)`, which must behave exactly like calling `learn` on each
 * example in order; it exists so that GPU learners can pull several examples and upload them in
 * one go. The harness may call it several times (once per segment between forgetting-curve
 * checkpoints); state carries over.
 *
 * Test phase: `freeze()` switches the learner to test mode and returns a Predictor over the state
 * as it is now. `predict(images, count)` receives a copy of `count` test images and nothing else:
 * no labels, no split object, no indices. A prediction must depend only on its own image and the
 * frozen state (tests check batch predictions against one-image predictions).
 *
 * Accounting (see src/inner/flops.ts for the FLOP conventions): every learner reports its four
 * axes itself, analytically from its configuration and the number of examples seen, and the
 * protocol tests check each report against its definition.
 */

/** A named number of bytes, so that every report shows where its bytes go. */
export interface ByteItem {
  name: string;
  bytes: number;
}

export interface StreamShape {
  rows: number;
  cols: number;
  /** rows * cols. */
  pixels: number;
  numClasses: number;
}

/** One training pair as handed to `learnStream`. `image` is a fresh copy the learner owns. */
export interface Example {
  readonly image: Uint8Array;
  readonly label: number;
}

export interface Predictor {
  /** Analytic FLOPs to predict one image with this frozen state. */
  readonly flopsPerImage: number;
  /** `images` holds `count` images of `pixels` bytes each; returns one class per image. */
  predict(images: Uint8Array, count: number): Uint8Array | Promise<Uint8Array>;
  /** Release resources (GPU buffers); the harness calls it when done with this predictor. */
  dispose?(): void;
  /**
   * Learners that defer their (sequential, in-order) learning to the GPU until a predict call
   * (see src/bench/vsml-adapter.ts) report it: `deferredLearnMs` = learning time inside the last
   * predict call, `deferredLearnFlops` = FLOPs of all learning runs inside predict calls so far.
   * The harness counts a forgetting-curve probe's runs as curve cost (an eager learner would not
   * re-learn), moves the final test's learning time to learning time, and adds any final-test
   * runs beyond the one that is the learning itself to the test FLOPs.
   */
  deferredLearnMs?(): number;
  deferredLearnFlops?(): number;
}

export interface Frozen {
  predictor: Predictor;
  /** Analytic FLOPs spent switching to test mode (e.g. SLDA's Cholesky solve); 0 for most. */
  flops: number;
}

export interface Learner {
  /** Test images per predict() call this learner wants (default 1000; Infinity = all at once). */
  readonly predictChunk?: number;
  learn(image: Uint8Array, label: number): void | Promise<void>;
  learnStream?(examples: Iterable<Example>): Promise<void>;
  freeze(): Frozen | Promise<Frozen>;
  /** Analytic FLOPs of all `learn` calls so far. */
  learnFlops(): number;
  /** What the learner carries from one example to the next, now. */
  stateBytes(): ByteItem[];
  /** What it needs before seeing any data (meta-parameters, pretrained weights, seeds, hyperparameters). */
  algorithmBytes(): ByteItem[];
  dispose?(): void;
  /** A description of the configuration for the report, when the method spec alone does not say it. */
  describeConfig?(): string;
}

/**
 * Learners whose whole learned state is a set of typed arrays. Tests use this to check that the
 * reported state bytes are exactly the arrays carried between examples: a learner restored from
 * `stateArrays()` alone must continue identically.
 */
export interface InspectableLearner extends Learner {
  stateArrays(): Record<string, ArrayBufferView>;
  loadState(arrays: Record<string, ArrayBufferView>): void;
}

export function sumBytes(items: ByteItem[]): number {
  return items.reduce((s, it) => s + it.bytes, 0);
}

/** Bytes of a typed-array state, named by key; the definition `stateBytes()` must agree with. */
export function arrayBytes(arrays: Record<string, ArrayBufferView>): ByteItem[] {
  return Object.entries(arrays).map(([name, a]) => ({ name, bytes: a.byteLength }));
}

/** Each scalar hyperparameter (learning rate, k, shrinkage, seed...) counts as 4 bytes. */
export const SCALAR_BYTES = 4;

export function scalars(...names: string[]): ByteItem[] {
  return names.map((name) => ({ name, bytes: SCALAR_BYTES }));
}

/** Index of the largest value; the first one on ties (deterministic). */
export function argmax(v: ArrayLike<number>, n = v.length): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (v[i] > v[best]) best = i;
  return best;
}
