/**
 * The one builder of OrderedMNIST-shaped streams: indices of a split grouped by class, in a
 * chosen class order, file order within a class, optionally a window of each class. The full
 * benchmark, meta-training episodes, rule fitting and the replay page all take their streams
 * from here, so "sorted by class" means the same thing everywhere.
 */
import { type ImageSplit, indicesByClass } from './dataset';

export interface OrderedStreamOptions {
  /** Classes in stream order (default: every class, 0 first). */
  classes?: readonly number[];
  /** First index taken within each class (default 0). */
  from?: number;
  /** Examples per class from `from` (default: to the end of the class). */
  perClass?: number;
  /** With `perClass`: a class with fewer examples is an error (default); false takes what there is. */
  strict?: boolean;
}

/** The class-sorted stream of `split` (see OrderedStreamOptions). */
export function orderedIndices(split: ImageSplit, opts: OrderedStreamOptions = {}): Uint32Array {
  const byClass = indicesByClass(split.labels, split.numClasses);
  const classes = opts.classes ?? byClass.map((_, c) => c);
  const from = opts.from ?? 0;
  const strict = opts.strict ?? true;
  return concat(
    classes.map((c) => {
      const pool = byClass[c];
      if (pool === undefined)
        throw new Error(`class ${c} is not a class of ${split.name} (0..${split.numClasses - 1})`);
      const end = opts.perClass === undefined ? pool.length : from + opts.perClass;
      if (strict && end > pool.length) throw new Error(`class ${c} has ${pool.length} examples, need ${end}`);
      return pool.subarray(Math.min(from, pool.length), Math.min(end, pool.length));
    }),
  );
}

/**
 * The benchmark's shape on one split, for design and meta-training without the test split: the
 * first (1 - holdFraction) of every class as one class-sorted stream, the rest of each class
 * held out as queries (class-grouped). `learnPerClass[c]` / `queriesPerClass[c]`: class c's shares.
 */
export function heldOutStream(
  split: ImageSplit,
  holdFraction: number,
): { learn: Uint32Array; queries: Uint32Array; learnPerClass: number[]; queriesPerClass: number[] } {
  if (!(holdFraction >= 0 && holdFraction < 1)) throw new Error(`holdFraction ${holdFraction} must be in [0, 1)`);
  const byClass = indicesByClass(split.labels, split.numClasses);
  const learnPerClass = byClass.map((pool) => pool.length - Math.round(pool.length * holdFraction));
  const learn = concat(byClass.map((pool, c) => pool.subarray(0, learnPerClass[c])));
  const queries = concat(byClass.map((pool, c) => pool.subarray(learnPerClass[c])));
  return { learn, queries, learnPerClass, queriesPerClass: byClass.map((pool, c) => pool.length - learnPerClass[c]) };
}

function concat(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
