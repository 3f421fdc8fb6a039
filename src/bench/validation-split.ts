/**
 * A validation split made from the TRAIN split only, for choosing hyperparameters and designing
 * rules without reading the test split: of every class, the first (1 - holdFraction) examples in
 * file order are the learn stream (the protocol sorts it by class), the rest are the queries.
 * Same split as src/meta/rule-fit.ts (hold 1/6: 50,000 stream examples, 10,000 queries on MNIST).
 */
import { type ImageSplit, indicesByClass } from '../data/dataset';

export function trainValidationSplit(
  train: ImageSplit,
  holdFraction = 1 / 6,
): { stream: ImageSplit; queries: ImageSplit } {
  if (!(holdFraction > 0 && holdFraction < 1)) throw new Error(`hold fraction must be in (0, 1), got ${holdFraction}`);
  const d = train.rows * train.cols;
  const learn: number[] = [];
  const held: number[] = [];
  for (const pool of indicesByClass(train.labels, train.numClasses)) {
    const nLearn = pool.length - Math.round(pool.length * holdFraction);
    for (let i = 0; i < pool.length; i++) (i < nLearn ? learn : held).push(pool[i]);
  }
  // Back to file order, so that the protocol's class sort sees the split as it would the real one.
  learn.sort((a, b) => a - b);
  held.sort((a, b) => a - b);
  const pick = (idx: number[], name: string): ImageSplit => {
    const images = new Uint8Array(idx.length * d);
    const labels = new Uint8Array(idx.length);
    idx.forEach((i, k) => {
      images.set(train.images.subarray(i * d, (i + 1) * d), k * d);
      labels[k] = train.labels[i];
    });
    return { ...train, name, count: idx.length, images, labels };
  };
  return { stream: pick(learn, `${train.name}:stream`), queries: pick(held, `${train.name}:held-out`) };
}
