/**
 * An ImageSplit uploaded to the GPU, for kernels that gather examples by index.
 *
 * Images are packed 4 pixels per u32 (little-endian: pixel p of an image is byte p % 4 of word
 * p / 4), each image padded to `wordsPerImage` words. Labels are one u32 per example. When the
 * split exceeds the device's buffer or binding size it is cut into pieces of whole examples, each
 * within the limits; a kernel is dispatched once per piece and handles the examples it holds.
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
}

export interface GpuImageSplit {
  name: string;
  count: number;
  rows: number;
  cols: number;
  pixels: number;
  /** u32 words per image: ceil(pixels / 4). */
  wordsPerImage: number;
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
  const perPiece = Math.floor(cap / bytesPerImage);
  if (perPiece < 1) throw new GpuLimitError(`one ${pixels}-pixel image (${bytesPerImage} bytes) exceeds the binding limit ${cap}`);
  const pieces: GpuSplitPiece[] = [];
  for (let first = 0; first < split.count; first += perPiece) {
    const count = Math.min(perPiece, split.count - first);
    const words = new Uint32Array(count * wordsPerImage);
    const bytes = new Uint8Array(words.buffer);
    if (pixels === bytesPerImage) bytes.set(split.images.subarray(first * pixels, (first + count) * pixels));
    else for (let i = 0; i < count; i++) bytes.set(split.images.subarray((first + i) * pixels, (first + i + 1) * pixels), i * bytesPerImage);
    const labels = Uint32Array.from(split.labels.subarray(first, first + count));
    pieces.push({
      first,
      count,
      images: gpu.storage(`${split.name} images [${first}, ${first + count})`, words),
      labels: gpu.storage(`${split.name} labels [${first}, ${first + count})`, labels),
    });
  }
  if (pieces.length === 0) {
    // An empty split still binds valid (tiny) buffers.
    pieces.push({ first: 0, count: 0, images: gpu.storage(`${split.name} images (empty)`, 16), labels: gpu.storage(`${split.name} labels (empty)`, 16) });
  }
  return {
    name: split.name,
    count: split.count,
    rows: split.rows,
    cols: split.cols,
    pixels,
    wordsPerImage,
    numClasses: split.numClasses,
    pieces,
    labels: split.labels,
    destroy() {
      for (const p of pieces) {
        p.images.destroy();
        p.labels.destroy();
      }
    },
  };
}
