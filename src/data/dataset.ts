/**
 * A labelled image dataset split (train or test) and the OrderedMNIST stream order.
 * Images are u8 row-major, `rows * cols` each; labels are u8 class ids in [0, numClasses).
 */
import { IdxFormatError, decodeIdx } from './idx';

export interface ImageSplit {
  /** Human-readable origin, e.g. "mnist/train". */
  name: string;
  count: number;
  rows: number;
  cols: number;
  /** count * rows * cols bytes. */
  images: Uint8Array;
  /** count bytes. */
  labels: Uint8Array;
  numClasses: number;
}

export interface Dataset {
  name: string;
  train: ImageSplit;
  test: ImageSplit;
}

export function pixelsPerImage(split: ImageSplit): number {
  return split.rows * split.cols;
}

/** Build a split from decoded IDX image and label files, checking that they agree. */
export async function splitFromIdx(
  name: string,
  imageBytes: Uint8Array,
  labelBytes: Uint8Array,
  imageSource: string,
  labelSource: string,
  numClasses = 10,
): Promise<ImageSplit> {
  const img = await decodeIdx(imageBytes, imageSource, [null, null, null]);
  const lab = await decodeIdx(labelBytes, labelSource, [null]);
  const [count, rows, cols] = img.dims;
  if (lab.dims[0] !== count) {
    throw new IdxFormatError(labelSource, `${lab.dims[0]} labels but ${imageSource} has ${count} images`);
  }
  for (let i = 0; i < count; i++) {
    if (lab.data[i] >= numClasses) {
      throw new IdxFormatError(labelSource, `label ${lab.data[i]} at index ${i} is outside 0..${numClasses - 1}`);
    }
  }
  return { name, count, rows, cols, images: img.data, labels: lab.data, numClasses };
}

/**
 * The OrderedMNIST order: indices sorted by class, stable (original file order within a class).
 * A counting sort, so it is a pure function of the labels.
 */
export function classSortedOrder(labels: Uint8Array, numClasses = 10): Uint32Array {
  const counts = new Uint32Array(numClasses + 1);
  for (const l of labels) counts[l + 1]++;
  for (let c = 0; c < numClasses; c++) counts[c + 1] += counts[c];
  const order = new Uint32Array(labels.length);
  for (let i = 0; i < labels.length; i++) order[counts[labels[i]]++] = i;
  return order;
}

/** Indices of each class, in file order. */
export function indicesByClass(labels: Uint8Array, numClasses = 10): Uint32Array[] {
  const order = classSortedOrder(labels, numClasses);
  const out: Uint32Array[] = [];
  let start = 0;
  for (let c = 0; c < numClasses; c++) {
    let end = start;
    while (end < order.length && labels[order[end]] === c) end++;
    out.push(order.subarray(start, end));
    start = end;
  }
  return out;
}

/** Pixel values scaled to [0, 1] as f32 (the learners' input convention). */
export function imageAsFloat(split: ImageSplit, index: number): Float32Array {
  const n = pixelsPerImage(split);
  const out = new Float32Array(n);
  const base = index * n;
  for (let i = 0; i < n; i++) out[i] = split.images[base + i] / 255;
  return out;
}

/** The first `n` examples of a split (for quick runs and tests). */
export function subsetSplit(split: ImageSplit, n: number): ImageSplit {
  const k = Math.min(n, split.count);
  const px = pixelsPerImage(split);
  return {
    ...split,
    name: `${split.name}[:${k}]`,
    count: k,
    images: split.images.subarray(0, k * px),
    labels: split.labels.subarray(0, k),
  };
}
