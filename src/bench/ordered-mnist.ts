/**
 * The OrderedMNIST protocol as a harness around the Learner interface (src/inner/learner.ts).
 *
 * 1. Learning phase: every training pair once, one at a time, in class-sorted order (stable:
 *    file order within a class). Each image is handed over as a fresh 1-image copy, so a learner
 *    never holds a view into the dataset (and through it the other examples or the test split).
 * 2. Test phase: `freeze()`, then `predict` on copies of test images, in chunks, without labels.
 *
 * Forgetting curve (reported beside the score, outside the learner's FLOPs): at each class
 * boundary of the sorted stream (after the last example of a class), the harness freezes the
 * learner and predicts a fixed probe set: the first `curvePerClass` test images of each class, in
 * file order. The point's accuracy is taken over the probe images of the classes seen so far;
 * per-class accuracies are kept too. Its cost (freeze + probe predictions) is counted separately as
 * `curveFlops`. For a shuffled stream the checkpoints fall after each 1/numClasses of the stream.
 *
 * `order: 'shuffled'` exists as the "if order did not matter" reference; it is NOT the benchmark.
 */
import { type ImageSplit, pixelsPerImage } from '../data/dataset';
import { orderedIndices } from '../data/ordered-stream';
import { PhiloxStream } from '../rng/philox';
import type { ByteItem, Example, Learner, StreamShape } from '../inner/learner';
import { sumBytes } from '../inner/learner';

export type StreamOrder = 'sorted' | 'shuffled';

/** Key domain for the shuffled reference order ('bnch'), apart from the framework's RNG_DOMAIN values. */
export const BENCH_SHUFFLE_DOMAIN = 0x626e6368;

export interface ProtocolOptions {
  order?: StreamOrder;
  /** Seed of the shuffled reference order. */
  shuffleSeed?: number;
  /** Probe images per class for the forgetting curve; 0 turns the curve off. */
  curvePerClass?: number;
  /** Test images per predict() call. */
  predictChunk?: number;
  onProgress?: (p: ProgressEvent) => void;
}

export interface ProgressEvent {
  /** 'replay': a learner that defers its work (the GPU VSML adapter) running its stream, in example steps. */
  phase: 'learn' | 'test' | 'curve' | 'replay';
  done: number;
  total: number;
}

export interface CurvePoint {
  /** Training examples seen when the point was taken. */
  seen: number;
  /** Classes with at least one training example so far. */
  classesSeen: number[];
  /** Accuracy on probe images of the classes seen so far. */
  accuracy: number;
  /** Accuracy per class on its probe images (NaN for classes with no probe images). */
  perClass: number[];
}

export interface ProtocolResult {
  order: StreamOrder;
  trainName: string;
  testName: string;
  trainCount: number;
  testCount: number;
  accuracy: number;
  perClassAccuracy: number[];
  /** Test images per class. */
  perClassCount: number[];
  /** Confusion counts [true][predicted]. */
  confusion: number[][];
  learnFlops: number;
  /** FLOPs of the final switch to test mode (counted as training). */
  freezeFlops: number;
  trainFlops: number;
  testFlops: number;
  stateBytes: ByteItem[];
  algorithmBytes: ByteItem[];
  stateBytesTotal: number;
  algorithmBytesTotal: number;
  learnMs: number;
  testMs: number;
  curve: CurvePoint[];
  curveFlops: number;
  curveMs: number;
  curvePerClass: number;
}

/** Stream order over the training split. */
export function streamOrder(split: ImageSplit, order: StreamOrder, seed = 1): Uint32Array {
  const sorted = orderedIndices(split);
  if (order === 'sorted') return sorted;
  return new PhiloxStream(seed >>> 0, BENCH_SHUFFLE_DOMAIN).shuffle(Uint32Array.from(sorted)) as Uint32Array;
}

/** Positions (exclusive ends) after which the forgetting curve is sampled. */
export function curveCheckpoints(
  labels: Uint8Array,
  order: Uint32Array,
  stream: StreamOrder,
  numClasses: number,
): number[] {
  const ends: number[] = [];
  if (stream === 'sorted') {
    for (let i = 0; i < order.length; i++) {
      if (i === order.length - 1 || labels[order[i + 1]] !== labels[order[i]]) ends.push(i + 1);
    }
  } else {
    for (let c = 1; c <= numClasses; c++) {
      const e = Math.round((c * order.length) / numClasses);
      if (e > 0 && (ends.length === 0 || ends[ends.length - 1] !== e)) ends.push(e);
    }
  }
  return ends;
}

/** The probe set: first `perClass` test indices of each class, in file order. */
export function probeIndices(split: ImageSplit, perClass: number): Uint32Array {
  const taken = new Array(split.numClasses).fill(0);
  const out: number[] = [];
  for (let i = 0; i < split.count; i++) {
    const c = split.labels[i];
    if (taken[c] < perClass) {
      taken[c]++;
      out.push(i);
    }
  }
  return Uint32Array.from(out);
}

export function shapeOf(split: ImageSplit): StreamShape {
  return { rows: split.rows, cols: split.cols, pixels: pixelsPerImage(split), numClasses: split.numClasses };
}

/** Copy of image `index`: the only form in which an image ever reaches a learner. */
function copyImage(split: ImageSplit, index: number): Uint8Array {
  const px = pixelsPerImage(split);
  return split.images.slice(index * px, (index + 1) * px);
}

/** Copy of the images at `indices`, concatenated (no labels). */
function copyImages(split: ImageSplit, indices: ArrayLike<number>): Uint8Array {
  const px = pixelsPerImage(split);
  const out = new Uint8Array(indices.length * px);
  for (let k = 0; k < indices.length; k++)
    out.set(split.images.subarray(indices[k] * px, (indices[k] + 1) * px), k * px);
  return out;
}

const now = (): number => performance.now();

/** Predict the images at `indices` in chunks; returns one class per index. */
async function predictIndices(
  predictor: { predict(images: Uint8Array, count: number): Uint8Array | Promise<Uint8Array> },
  split: ImageSplit,
  indices: ArrayLike<number>,
  chunk: number,
  onChunk?: (done: number) => void,
): Promise<Uint8Array> {
  const out = new Uint8Array(indices.length);
  for (let s = 0; s < indices.length; s += chunk) {
    const idx = Array.prototype.slice.call(indices, s, Math.min(indices.length, s + chunk)) as number[];
    const preds = await predictor.predict(copyImages(split, idx), idx.length);
    if (preds.length !== idx.length)
      throw new Error(`predict returned ${preds.length} answers for ${idx.length} images`);
    out.set(preds, s);
    onChunk?.(s + idx.length);
  }
  return out;
}

/** Feed examples order[from..to) to the learner, one at a time (or through learnStream). */
async function feed(
  learner: Learner,
  train: ImageSplit,
  order: Uint32Array,
  from: number,
  to: number,
  report: (done: number) => void,
): Promise<void> {
  if (learner.learnStream) {
    function* examples(): Generator<Example> {
      for (let i = from; i < to; i++) {
        const idx = order[i];
        yield { image: copyImage(train, idx), label: train.labels[idx] };
        if ((i & 1023) === 0) report(i);
      }
    }
    await learner.learnStream(examples());
  } else {
    for (let i = from; i < to; i++) {
      const idx = order[i];
      await learner.learn(copyImage(train, idx), train.labels[idx]);
      if ((i & 1023) === 0) report(i);
    }
  }
  report(to);
}

/** Run the whole protocol on one learner. */
export async function runProtocol(
  learner: Learner,
  train: ImageSplit,
  test: ImageSplit,
  opts: ProtocolOptions = {},
): Promise<ProtocolResult> {
  if (train.rows !== test.rows || train.cols !== test.cols || train.numClasses !== test.numClasses) {
    throw new Error(
      `train (${train.rows}x${train.cols}, ${train.numClasses} classes) and test (${test.rows}x${test.cols}, ${test.numClasses}) shapes differ`,
    );
  }
  const order = opts.order ?? 'sorted';
  // The learner's preference (default 1000) wins unless the caller caps it: a learner that replays its
  // stream per call (the GPU VSML adapter) asks for all test images in one call.
  const chunk = Math.min(opts.predictChunk ?? Infinity, learner.predictChunk ?? 1000);
  const curvePerClass = opts.curvePerClass ?? 100;
  const progress = opts.onProgress ?? (() => {});
  const C = train.numClasses;
  const stream = streamOrder(train, order, opts.shuffleSeed ?? 1);
  const ends = curvePerClass > 0 ? curveCheckpoints(train.labels, stream, order, C) : [stream.length];
  if (ends[ends.length - 1] !== stream.length) ends.push(stream.length);
  const probe = curvePerClass > 0 ? probeIndices(test, curvePerClass) : new Uint32Array(0);

  const curve: CurvePoint[] = [];
  let curveFlops = 0;
  let curveMs = 0;
  let learnMs = 0;
  const seenClass = new Array(C).fill(false);
  let pos = 0;
  for (let e = 0; e < ends.length; e++) {
    const end = ends[e];
    const t0 = now();
    await feed(learner, train, stream, pos, end, (done) => progress({ phase: 'learn', done, total: stream.length }));
    learnMs += now() - t0;
    for (let i = pos; i < end; i++) seenClass[train.labels[stream[i]]] = true;
    pos = end;
    if (curvePerClass > 0) {
      // The last checkpoint is the end of the stream: its point uses the same state as the final
      // test but is still a separate probe, counted as curve cost.
      const t1 = now();
      const frozen = await learner.freeze();
      const preds = await predictIndices(frozen.predictor, test, probe, chunk);
      frozen.predictor.dispose?.();
      curveFlops +=
        frozen.flops + probe.length * frozen.predictor.flopsPerImage + (frozen.predictor.deferredLearnFlops?.() ?? 0);
      const correct = new Array(C).fill(0);
      const total = new Array(C).fill(0);
      for (let k = 0; k < probe.length; k++) {
        const c = test.labels[probe[k]];
        total[c]++;
        if (preds[k] === c) correct[c]++;
      }
      let sc = 0;
      let st = 0;
      const classesSeen: number[] = [];
      for (let c = 0; c < C; c++) {
        if (!seenClass[c]) continue;
        classesSeen.push(c);
        sc += correct[c];
        st += total[c];
      }
      curve.push({
        seen: end,
        classesSeen,
        accuracy: st > 0 ? sc / st : NaN,
        perClass: correct.map((n, c) => (total[c] > 0 ? n / total[c] : NaN)),
      });
      curveMs += now() - t1;
      progress({ phase: 'curve', done: e + 1, total: ends.length });
    }
  }

  // Final switch to test mode: its cost belongs to training (the learner must do it once).
  const learnFlops = learner.learnFlops();
  const stateBytes = learner.stateBytes();
  const t2 = now();
  const frozen = await learner.freeze();
  const freezeMs = now() - t2;
  learnMs += freezeMs;
  const t3 = now();
  const all = new Uint32Array(test.count).map((_, i) => i);
  const preds = await predictIndices(frozen.predictor, test, all, chunk, (done) =>
    progress({ phase: 'test', done, total: test.count }),
  );
  const deferredMs = frozen.predictor.deferredLearnMs?.() ?? 0;
  const testMs = now() - t3 - deferredMs;
  learnMs += deferredMs;
  const relearnFlops = Math.max(0, (frozen.predictor.deferredLearnFlops?.() ?? 0) - learnFlops);
  frozen.predictor.dispose?.();

  const confusion = Array.from({ length: C }, () => new Array(C).fill(0));
  const perClassCount = new Array(C).fill(0);
  let correct = 0;
  for (let i = 0; i < test.count; i++) {
    const y = test.labels[i];
    const p = preds[i];
    if (p >= C) throw new Error(`predicted class ${p} is outside 0..${C - 1}`);
    confusion[y][p]++;
    perClassCount[y]++;
    if (p === y) correct++;
  }
  const algorithmBytes = learner.algorithmBytes();
  return {
    order,
    trainName: train.name,
    testName: test.name,
    trainCount: train.count,
    testCount: test.count,
    accuracy: correct / test.count,
    perClassAccuracy: confusion.map((row, c) => (perClassCount[c] > 0 ? row[c] / perClassCount[c] : NaN)),
    perClassCount,
    confusion,
    learnFlops,
    freezeFlops: frozen.flops,
    trainFlops: learnFlops + frozen.flops,
    testFlops: test.count * frozen.predictor.flopsPerImage + relearnFlops,
    stateBytes,
    algorithmBytes,
    stateBytesTotal: sumBytes(stateBytes),
    algorithmBytesTotal: sumBytes(algorithmBytes),
    learnMs,
    testMs,
    curve,
    curveFlops,
    curveMs,
    curvePerClass,
  };
}
