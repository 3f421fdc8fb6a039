/** Tiny hand-made image splits for tests and demos (answers derivable by hand). */
import type { ImageSplit } from '../data/dataset';

/** A split from explicit images (arrays of pixel values) and labels. */
export function splitOf(
  name: string,
  rows: number,
  cols: number,
  numClasses: number,
  images: number[][],
  labels: number[],
): ImageSplit {
  if (images.length !== labels.length) throw new Error('images and labels differ in length');
  const d = rows * cols;
  const buf = new Uint8Array(images.length * d);
  images.forEach((im, i) => {
    if (im.length !== d) throw new Error(`image ${i} has ${im.length} pixels, expected ${d}`);
    buf.set(im, i * d);
  });
  return { name, count: images.length, rows, cols, images: buf, labels: Uint8Array.from(labels), numClasses };
}

/**
 * `numClasses` well-separated clusters in a rows x cols image: class c lights pixel block c at
 * intensity 150..250 (varying by example), everything else `background` (0: classes share no
 * pixel; > 0: they overlap, which is what makes sorted SGD forget). Labels are interleaved in file
 * order so that sorting actually moves examples.
 */
export function clusterSplit(
  name: string,
  perClass: number,
  numClasses: number,
  rows = 4,
  cols = 4,
  seed = 0,
  background = 0,
): ImageSplit {
  const d = rows * cols;
  const block = Math.floor(d / numClasses);
  const images: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < perClass; i++) {
    for (let c0 = 0; c0 < numClasses; c0++) {
      const c = (c0 + i + seed) % numClasses;
      const im = new Array(d).fill(background);
      for (let p = 0; p < block; p++) im[c * block + p] = 150 + ((i * 37 + p * 11 + c * 5 + seed) % 101);
      images.push(im);
      labels.push(c);
    }
  }
  return splitOf(name, rows, cols, numClasses, images, labels);
}
