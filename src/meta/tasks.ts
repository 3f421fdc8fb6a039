/**
 * Meta-training tasks shaped like OrderedMNIST, sampled deterministically from (seed, generation).
 *
 * An episode picks k classes (k uniform in [minClasses, maxClasses]), shows `learnLength`
 * examples of them one at a time sorted by (shown) label, each class a contiguous block of about
 * learnLength / k examples, then asks `queryLength` held-out examples of the same classes with
 * the learner's state frozen.
 *
 * Never the test split: only a TRAIN split is given to the sampler, and each of its classes is
 * cut once, by file position, into a learn pool (the first 1 - queryFraction) and a query pool
 * (the rest), so a query example is never one the learner was shown.
 *
 * Every task of a generation is shared by all members (common random numbers: members are
 * compared on the same episodes, which is what ranking-based ES and GA selection need).
 */
import { PhiloxStream, RNG_DOMAIN } from '../rng/philox';
import { type ImageSplit, indicesByClass } from '../data/dataset';

export interface TaskConfig {
  /** Episodes per member per generation (T). */
  tasksPerMember: number;
  minClasses: number;
  maxClasses: number;
  /** Examples in the learning phase, split as evenly as possible over the k classes. */
  learnLength: number;
  /** Held-out query examples, split as evenly as possible over the k classes. */
  queryLength: number;
  /** Share of each class's train examples reserved for queries (by file position: the last ones). */
  queryFraction: number;
  /**
   * Map the k classes to k random distinct output units (per task). Off: true labels when the
   * learner has an output per dataset class, else classes take units 0..k-1 in class order.
   */
  labelPermutation: boolean;
  /** With a projecting learner: a fresh random input projection per task (else the config's fixed one). */
  projectionPerTask: boolean;
  /**
   * Raw-pixel subsets: each task shows the learner `pixelSubset` distinct pixels of every image,
   * chosen at random per task (0: the whole image). The inputs keep the statistics of raw pixels,
   * so a learner meta-trained on 64 pixels meets the same kind of input when deployed on all 784.
   */
  pixelSubset: number;
  /**
   * Curriculum (0: off): episode lengths grow from `learnLength` towards `maxLearnLength` over
   * `growGenerations` generations, geometrically; each generation draws its length uniformly
   * between learnLength and the current cap (rounded to whole classes), so lengths vary and grow.
   */
  maxLearnLength: number;
  growGenerations: number;
}

export interface Task {
  /** Dataset classes shown, in presentation order. */
  classes: number[];
  /** Output unit of each dataset class shown (classes[i] -> units[i]). */
  units: number[];
  /** learnLength indices into the train split, sorted by shown label. */
  learn: Uint32Array;
  /** queryLength indices into the train split, from the query pools. */
  query: Uint32Array;
  stateSeed: number;
  projectionSeed: number;
  /** With tasks.pixelSubset: the pixels shown (ascending image positions). */
  pixels?: Uint32Array;
}

/** Sizes of k nearly equal parts of n (the first n % k parts one larger). */
export function evenSplit(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** n distinct values of pool, chosen uniformly (Floyd's algorithm), returned in pool order. */
function sampleDistinct(pool: Uint32Array, n: number, rng: PhiloxStream): Uint32Array {
  const chosen = new Set<number>();
  for (let j = pool.length - n; j < pool.length; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Uint32Array.from(
    [...chosen].sort((a, b) => a - b),
    (p) => pool[p],
  );
}

/**
 * `n` distinct image positions of `total`, uniform, ascending: the pixels a task with
 * tasks.pixelSubset shows. Exported so a learner meta-trained on such subsets can be deployed on
 * one fixed draw from the same distribution (src/bench/lstm-adapter.ts).
 */
export function randomPixelSubset(total: number, n: number, rng: PhiloxStream): Uint32Array {
  if (!Number.isInteger(n) || n < 1 || n > total)
    throw new RangeError(`pixel subset: need 1 <= n <= ${total} pixels, got ${n}`);
  return sampleDistinct(
    Uint32Array.from({ length: total }, (_, i) => i),
    n,
    rng,
  );
}

export class TaskSampler {
  readonly learnPools: Uint32Array[];
  readonly queryPools: Uint32Array[];

  constructor(
    readonly split: ImageSplit,
    readonly config: TaskConfig,
    /** Output units of the learner (classes of its last layer). */
    readonly outputs: number,
    readonly seed: number,
  ) {
    const c = config;
    const byClass = indicesByClass(split.labels, split.numClasses);
    const usable = byClass.map((ix, cls) => ({ cls, n: ix.length })).filter((x) => x.n > 0);
    if (c.maxClasses > usable.length) {
      throw new Error(
        `tasks.maxClasses = ${c.maxClasses}, but ${split.name} has examples of only ${usable.length} classes`,
      );
    }
    if (c.maxClasses > outputs)
      throw new Error(`tasks.maxClasses = ${c.maxClasses} exceeds the learner's ${outputs} output units`);
    this.learnPools = [];
    this.queryPools = [];
    for (const ix of byClass) {
      const nQuery = Math.ceil(ix.length * c.queryFraction);
      this.learnPools.push(ix.subarray(0, ix.length - nQuery));
      this.queryPools.push(ix.subarray(ix.length - nQuery));
    }
    const pixels = split.rows * split.cols;
    if (c.pixelSubset > pixels)
      throw new Error(`tasks.pixelSubset = ${c.pixelSubset}, but ${split.name} images have only ${pixels} pixels`);
    // Every class must be able to fill its largest share in both phases.
    const learnNeed = Math.ceil(Math.max(c.learnLength, c.maxLearnLength) / c.minClasses);
    const queryNeed = Math.ceil(c.queryLength / c.minClasses);
    for (const { cls } of usable) {
      if (this.learnPools[cls].length < learnNeed || this.queryPools[cls].length < queryNeed) {
        throw new Error(
          `class ${cls} of ${split.name} has ${this.learnPools[cls].length} learn / ${this.queryPools[cls].length} query examples; ` +
            `episodes of ${c.minClasses} classes need ${learnNeed} / ${queryNeed} (lower learnLength/queryLength, raise minClasses or use more data)`,
        );
      }
    }
  }

  /** Learning-phase length of generation g's episodes (the curriculum; a pure function of (seed, g)). */
  learnLength(generation: number): number {
    const c = this.config;
    if (c.maxLearnLength <= c.learnLength) return c.learnLength;
    const progress = c.growGenerations > 0 ? Math.min(1, generation / c.growGenerations) : 1;
    const cap = Math.round(c.learnLength * (c.maxLearnLength / c.learnLength) ** progress);
    // Whole classes at maxClasses-way, so every class of every task gets an equal block.
    const unit = c.maxClasses;
    const lo = Math.ceil(c.learnLength / unit);
    const hi = Math.max(lo, Math.floor(cap / unit));
    const rng = new PhiloxStream(this.seed, RNG_DOMAIN.taskSampling, generation, 0xffffffff);
    return unit * (lo + rng.int(hi - lo + 1));
  }

  /** Task t of generation g: a pure function of (seed, g, t). */
  task(generation: number, t: number): Task {
    const c = this.config;
    const learnLength = this.learnLength(generation);
    const rng = new PhiloxStream(this.seed, RNG_DOMAIN.taskSampling, generation, t);
    const k = c.minClasses + rng.int(c.maxClasses - c.minClasses + 1);
    const available = this.learnPools.map((p, cls) => (p.length > 0 ? cls : -1)).filter((cls) => cls >= 0);
    const classes = Array.from(sampleDistinct(Uint32Array.from(available), k, rng));
    let units: number[];
    if (c.labelPermutation) {
      const perm = new PhiloxStream(this.seed, RNG_DOMAIN.labelPermutation, generation, t);
      const all = Array.from({ length: this.outputs }, (_, i) => i);
      perm.shuffle(all);
      units = all.slice(0, k);
    } else if (this.outputs >= this.split.numClasses) {
      units = classes;
    } else {
      units = classes.map((_, i) => i); // classes are sorted, so this keeps class order
    }
    // Present class blocks sorted by the label the learner sees, as OrderedMNIST does.
    const order = classes.map((_, i) => i).sort((a, b) => units[a] - units[b]);
    const learnSizes = evenSplit(learnLength, k);
    const querySizes = evenSplit(c.queryLength, k);
    const learn = new Uint32Array(learnLength);
    const query = new Uint32Array(c.queryLength);
    let li = 0;
    let qi = 0;
    order.forEach((i, pos) => {
      learn.set(sampleDistinct(this.learnPools[classes[i]], learnSizes[pos], rng), li);
      li += learnSizes[pos];
      query.set(sampleDistinct(this.queryPools[classes[i]], querySizes[pos], rng), qi);
      qi += querySizes[pos];
    });
    const stateSeed = rng.nextU32();
    const projectionSeed = rng.nextU32();
    // Drawn last, so tasks without pixel subsets are exactly what they were before the option.
    const pixels =
      c.pixelSubset > 0 ? randomPixelSubset(this.split.rows * this.split.cols, c.pixelSubset, rng) : undefined;
    return {
      classes: order.map((i) => classes[i]),
      units: order.map((i) => units[i]),
      learn,
      query,
      stateSeed,
      projectionSeed,
      pixels,
    };
  }

  tasks(generation: number): Task[] {
    return Array.from({ length: this.config.tasksPerMember }, (_, t) => this.task(generation, t));
  }
}

/**
 * One generation's episodes as a compact split: for each task its learn examples then its query
 * examples, labels already mapped to the task's output units. Uploading this (a few hundred KB)
 * instead of the whole train split means the learners need no label map and the GPU never holds
 * an example that is not part of the current tasks.
 */
export interface EpisodeSplit {
  split: ImageSplit;
  /** Per task: learnLength indices into `split`, in presentation order. */
  learn: Uint32Array[];
  /** Per task: queryLength indices into `split`. */
  query: Uint32Array[];
}

export function episodeSplit(train: ImageSplit, tasks: Task[], outputs: number): EpisodeSplit {
  const full = train.rows * train.cols;
  const subset = tasks[0]?.pixels;
  if (tasks.some((t) => (t.pixels?.length ?? 0) !== (subset?.length ?? 0)))
    throw new Error('episodeSplit: tasks disagree on the pixel subset size');
  const px = subset ? subset.length : full;
  const total = tasks.reduce((n, t) => n + t.learn.length + t.query.length, 0);
  const images = new Uint8Array(total * px);
  const labels = new Uint8Array(total);
  const learn: Uint32Array[] = [];
  const query: Uint32Array[] = [];
  let next = 0;
  for (const task of tasks) {
    const unitOf = new Map(task.classes.map((cls, i) => [cls, task.units[i]]));
    const pick = task.pixels;
    const copy = (src: Uint32Array) =>
      Uint32Array.from(src, (i) => {
        if (pick) for (let j = 0; j < px; j++) images[next * px + j] = train.images[i * full + pick[j]];
        else images.set(train.images.subarray(i * full, (i + 1) * full), next * px);
        labels[next] = unitOf.get(train.labels[i])!;
        return next++;
      });
    learn.push(copy(task.learn));
    query.push(copy(task.query));
  }
  return {
    split: {
      name: `${train.name} episodes`,
      count: total,
      rows: subset ? 1 : train.rows,
      cols: subset ? px : train.cols,
      images,
      labels,
      numClasses: outputs,
    },
    learn,
    query,
  };
}

/** EpisodeBatch index and seed arrays for `members` members sharing the tasks (l = member * T + task). */
export interface EpisodeArrays {
  learnIndices: Uint32Array;
  queryIndices: Uint32Array;
  stateSeeds: Uint32Array;
  projectionSeeds: Uint32Array;
}

export function episodeArrays(
  ep: EpisodeSplit,
  tasks: Task[],
  members: number,
  fixedProjectionSeed: number | null,
): EpisodeArrays {
  const T = tasks.length;
  const L = members * T;
  const learnLength = ep.learn[0].length;
  const queryLength = ep.query[0].length;
  const out: EpisodeArrays = {
    learnIndices: new Uint32Array(L * learnLength),
    queryIndices: new Uint32Array(L * queryLength),
    stateSeeds: new Uint32Array(L),
    projectionSeeds: new Uint32Array(L),
  };
  for (let m = 0; m < members; m++) {
    for (let t = 0; t < T; t++) {
      const l = m * T + t;
      out.learnIndices.set(ep.learn[t], l * learnLength);
      out.queryIndices.set(ep.query[t], l * queryLength);
      out.stateSeeds[l] = tasks[t].stateSeed;
      out.projectionSeeds[l] = fixedProjectionSeed ?? tasks[t].projectionSeed;
    }
  }
  return out;
}
