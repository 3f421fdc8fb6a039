/**
 * An ImageSplit uploaded to the GPU, for kernels that gather examples by index.
 *
 * Images are packed 4 pixels per u32 (little-endian: pixel p of an image is byte p % 4 of word
 * p / 4), each image padded to `wordsPerImage` words. Labels are one u32 per example. When the
 * split exceeds the device's buffer or binding size it is cut into pieces of whole examples, each
 * within the limits; a kernel is dispatched once per piece and handles the examples it holds.
 *
 * Beside the images, each piece holds the list of every image's nonzero words (the projection sums
 * only those: a zero word adds nothing, and MNIST images are 28% nonzero words): image i's list
 * starts at word i * nonzeroStride, [count, w0 | w1 << 16, w2 | w3 << 16, ...], unused slots 0;
 * the stride leaves one spare slot so a kernel may read the pair after an odd count's last one.
 * Images of more than 65,536 words get no lists (nonzeroStride 0; the projection sums every word).
 */
import type { GpuContext } from '../gpu/context';
import { GpuLimitError } from '../gpu/errors';
import { type ImageSplit, pixelsPerImage } from './dataset';

export interface GpuSplitPiece {
  /** Index of the piece's first example in the split. */
  first: number;
  count: number;
  /** count * wordsPerImage u32. */
  images: GPUBuffer;
  /** count u32. */
  labels: GPUBuffer;
  /** count * nonzeroStride u32: per image its nonzero word indices (file comment). */
  nonzero: GPUBuffer;
}

export interface GpuImageSplit {
  name: string;
  count: number;
  rows: number;
  cols: number;
  pixels: number;
  /** u32 words per image: ceil(pixels / 4). */
  wordsPerImage: number;
  /** u32 per image in the nonzero lists: 2 + floor(most nonzero words of an image / 2); 0: no lists (images over 65,536 words). */
  nonzeroStride: number;
  /** Nonzero words / all words, over the split (0 for an empty split). */
  nonzeroFraction: number;
  numClasses: number;
  pieces: GpuSplitPiece[];
  /** CPU copy of the labels (metrics and references need them). */
  labels: Uint8Array;
  destroy(): void;
}

export interface UploadOptions {
  /** Largest piece in bytes (default: the device's binding and buffer size limits). */
  maxPieceBytes?: number;
}

/** Most bytes one storage binding may hold on this context (effective, possibly lowered, limits). */
export function maxBindingBytes(gpu: GpuContext): number {
  return Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
}

export function uploadImageSplit(gpu: GpuContext, split: ImageSplit, opts: UploadOptions = {}): GpuImageSplit {
  const pixels = pixelsPerImage(split);
  const wordsPerImage = Math.ceil(pixels / 4);
  const bytesPerImage = wordsPerImage * 4;
  const cap = Math.min(opts.maxPieceBytes ?? Infinity, maxBindingBytes(gpu));
  // The lists hold 16-bit word indices: images of more than 65,536 words (262,144 pixels) get none.
  const lists = wordsPerImage <= 0x10000;
  // A piece's nonzero lists take at most 2 + wordsPerImage / 2 u32 per image.
  const perPiece = Math.floor(cap / Math.max(bytesPerImage, lists ? 4 * (2 + (wordsPerImage >> 1)) : 0));
  if (perPiece < 1)
    throw new GpuLimitError(`one ${pixels}-pixel image (${bytesPerImage} bytes) exceeds the binding limit ${cap}`);
  const packed: { first: number; count: number; words: Uint32Array }[] = [];
  let most = 0;
  let nonzeroWords = 0;
  for (let first = 0; first < split.count; first += perPiece) {
    const count = Math.min(perPiece, split.count - first);
    const words = new Uint32Array(count * wordsPerImage);
    const bytes = new Uint8Array(words.buffer);
    if (pixels === bytesPerImage) bytes.set(split.images.subarray(first * pixels, (first + count) * pixels));
    else
      for (let i = 0; i < count; i++)
        bytes.set(split.images.subarray((first + i) * pixels, (first + i + 1) * pixels), i * bytesPerImage);
    for (let i = 0; i < count; i++) {
      let n = 0;
      for (let w = i * wordsPerImage; w < (i + 1) * wordsPerImage; w++) if (words[w] !== 0) n++;
      most = Math.max(most, n);
      nonzeroWords += n;
    }
    packed.push({ first, count, words });
  }
  const nonzeroStride = lists ? 2 + (most >> 1) : 0;
  const pieces: GpuSplitPiece[] = [];
  for (const { first, count, words } of packed) {
    const nz = new Uint32Array(Math.max(4, count * nonzeroStride));
    for (let i = 0; i < count && lists; i++) {
      let n = 0;
      for (let w = 0; w < wordsPerImage; w++) {
        if (words[i * wordsPerImage + w] === 0) continue;
        nz[i * nonzeroStride + 1 + (n >> 1)] |= w << (16 * (n & 1));
        n++;
      }
      nz[i * nonzeroStride] = n;
    }
    const labels = Uint32Array.from(split.labels.subarray(first, first + count));
    pieces.push({
      first,
      count,
      images: gpu.storage(`${split.name} images [${first}, ${first + count})`, words),
      labels: gpu.storage(`${split.name} labels [${first}, ${first + count})`, labels),
      nonzero: gpu.storage(`${split.name} nonzero words [${first}, ${first + count})`, nz),
    });
  }
  if (pieces.length === 0) {
    // An empty split still binds valid (tiny) buffers.
    pieces.push({
      first: 0,
      count: 0,
      images: gpu.storage(`${split.name} images (empty)`, 16),
      labels: gpu.storage(`${split.name} labels (empty)`, 16),
      nonzero: gpu.storage(`${split.name} nonzero words (empty)`, 16),
    });
  }
  return {
    name: split.name,
    count: split.count,
    rows: split.rows,
    cols: split.cols,
    pixels,
    wordsPerImage,
    nonzeroStride,
    nonzeroFraction: split.count ? nonzeroWords / (split.count * wordsPerImage) : 0,
    numClasses: split.numClasses,
    pieces,
    labels: split.labels,
    destroy() {
      for (const p of pieces) {
        p.images.destroy();
        p.labels.destroy();
        p.nonzero.destroy();
      }
    },
  };
}
