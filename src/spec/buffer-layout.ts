/**
 * Sizes of per-learner GPU buffers and thread counts that the planner (./plan.ts) must know before
 * any kernel exists. The kernels that fill these buffers import them from here, so planner and
 * kernel cannot disagree.
 */

/** Quads of c holding normals (k < H/2): the init kernel's threads per cell slot. */
export const initQuads = (H: number): number => Math.ceil(H / 8);

/** The projection's sign words (kernels/vsml-projection.wgsl). */
/** Input units per group: one nibble each in a 32-bit sign word. */
export const PROJECTION_GROUP = 8;

/** Philox blocks (128 pixels each) per input unit. */
export const projectionBlocks = (pixels: number): number => Math.ceil(pixels / 128);

/** Groups of 8 input units. */
export const projectionGroups = (units: number): number => Math.ceil(units / PROJECTION_GROUP);

/** Bytes of one learner's sign words. */
export const projectionBytes = (units: number, pixels: number): number =>
  projectionGroups(units) * projectionBlocks(pixels) * 32 * 4;

/** Threads of the projection kernel per learner. */
export const projectionThreads = (units: number, pixels: number): number =>
  projectionGroups(units) * projectionBlocks(pixels);
