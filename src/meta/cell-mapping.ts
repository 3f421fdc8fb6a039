/**
 * Which mapping a training run gives the VSML input layer's cell kernel on the private-weights
 * path (LayerPlan.columns), decided per run from measurements (issue 20).
 *
 * Both mappings give the same bits (tests/vsml-columns.test.ts), so the choice is about speed only
 * and may change between generations. On SwiftShader the column mapping is the planner's default.
 * On lavapipe the column kernels run `ordered` episodes 2.2-3x faster but llvmpipe builds each of
 * them at its first dispatch, for 10-19 s on an idle 2-core machine (docs/perf.md, "Columns on
 * lavapipe for long runs"); Mesa keeps the result in its shader disk cache. So lavapipe starts on rows (they
 * build in about a second) and moves to columns:
 *  - at once, when this machine has built the run's column kernels before (a CompileRecord), or
 *  - at a generation where the measured rows generation time, times the generations left, makes the
 *    expected saving at least PAYBACK times the estimated one-off build time.
 */

export const CELL_MAPPINGS = ['auto', 'rows', 'columns'] as const;
export type CellMapping = (typeof CELL_MAPPINGS)[number];

/**
 * Kernels this machine has built before, by `CompileRecord.key` (adapter, runtime and kernel
 * source). A lookup only: a wrong answer costs one build at the next dispatch, never a result.
 */
export interface CompileRecord {
  has(key: string): boolean;
  /** Remember that `keys` were built (their first generation took `seconds`, build included). */
  add(keys: readonly string[], seconds: number): void;
}

/** A record that remembers nothing across processes (browsers, tests). */
export function memoryCompileRecord(): CompileRecord {
  const seen = new Set<string>();
  return {
    has: (k) => seen.has(k),
    add: (keys) => keys.forEach((k) => seen.add(k)),
  };
}

/**
 * Fraction of a generation's episode time that the column mapping saves on lavapipe: below the
 * idle `ordered` preset's 0.53-0.66, above the tiny `default` preset's 0.25-0.37 (docs/perf.md);
 * PAYBACK covers that overestimate. Used only to decide whether a first build pays.
 */
export const COLUMN_SAVING = 0.45;
/**
 * Seconds to build one column kernel variant of an H <= 8 cell not seen before (idle: 10-19 s
 * each; 100-150 s measured under load).
 */
export const COLUMN_BUILD_SECONDS = 20;

/**
 * The build estimate per column kernel for a cell of `hidden` units: H 16 kernels (their weights
 * copied by a loop, LayerPlan.weightLoop) built in 37-40 s each on an idle machine, twice H 8's.
 */
export function columnBuildSeconds(hidden: number): number {
  return hidden >= 16 ? 2 * COLUMN_BUILD_SECONDS : COLUMN_BUILD_SECONDS;
}
/** The expected saving must exceed the build estimate this many times before a run pays for a build. */
export const PAYBACK = 2;

export interface SwitchInput {
  /** Seconds of the last generation's episodes on rows (a warm one: generation >= 1). */
  rowsGenerationSeconds: number;
  generationsLeft: number;
  /** Column kernels of the run's population that the record does not hold. */
  unbuilt: number;
  /** Estimated seconds to build one of them (columnBuildSeconds). */
  buildSeconds: number;
}

/** Whether to move to the column mapping now (see the header). */
export function columnsPay(x: SwitchInput): boolean {
  if (x.unbuilt === 0) return true;
  if (!(x.rowsGenerationSeconds > 0) || x.generationsLeft <= 0) return false;
  const saving = COLUMN_SAVING * x.rowsGenerationSeconds * x.generationsLeft;
  return saving >= PAYBACK * x.buildSeconds * x.unbuilt;
}

/** The record key of a kernel: adapter description, runtime, program key and a hash of its source. */
export function compileRecordKey(adapter: string, programKey: string, code: string): string {
  return `${adapter} | ${programKey} | ${fnv1a(code)}`;
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
