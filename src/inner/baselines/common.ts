/** Small helpers shared by the baseline learners. */

/** Pixels u8 -> [0, 1] into `out` (1 FLOP per pixel, see src/inner/flops.ts). */
export function scaleInto(image: Uint8Array, offset: number, pixels: number, out: Float64Array): Float64Array {
  for (let i = 0; i < pixels; i++) out[i] = image[offset + i] * (1 / 255);
  return out;
}

/** Check an image handed to learn() has the expected size (catches harness / shape bugs early). */
export function checkImage(image: Uint8Array, pixels: number): void {
  if (image.length !== pixels) throw new Error(`expected a ${pixels}-pixel image, got ${image.length} bytes`);
}

export function checkLabel(label: number, numClasses: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses)
    throw new Error(`label ${label} outside 0..${numClasses - 1}`);
}

/** A typed array of the same kind and contents (used to snapshot / restore state). */
export function cloneView<T extends ArrayBufferView>(a: T): T {
  const ctor = (a as unknown as { constructor: new (x: ArrayLike<number>) => T }).constructor;
  return new ctor(a as unknown as ArrayLike<number>);
}

/** Copy `src` into `dst`, which must have the same length. */
export function assign(
  dst: Float32Array | Float64Array | Uint32Array | Uint8Array,
  src: ArrayBufferView,
  name: string,
): void {
  const s = src as unknown as ArrayLike<number>;
  if (s.length !== dst.length) throw new Error(`state '${name}': length ${s.length}, expected ${dst.length}`);
  dst.set(s);
}
