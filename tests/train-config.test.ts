/** Training config schema, CLI parsing, and the task sampler (pure TypeScript, no GPU). */
import { describe, expect, it } from 'vitest';
import type { ImageSplit } from '../src/data/dataset';
import { parseTrainArgs } from '../src/cli/train';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/meta/checkpoint';
import { initStrategy } from '../src/meta/strategies';
import { TaskSampler, episodeArrays, episodeSplit, evenSplit, type TaskConfig } from '../src/meta/tasks';
import {
  DEFAULT_TRAIN_CONFIG,
  PRESETS,
  TrainConfigError,
  presetConfig,
  validateTrainConfig,
} from '../src/meta/train-config';

describe('training config', () => {
  it('every preset validates; vsml is close to the paper', () => {
    for (const name of Object.keys(PRESETS)) expect(() => presetConfig(name)).not.toThrow();
    const v = presetConfig('vsml');
    expect(v.strategy).toMatchObject({ kind: 'openai-es', pairs: 1024, sigma: 0.05, lr: 0.025 });
    expect(v.tasks.learnLength).toBe(500);
    expect(v.learner.layers).toEqual([784, 10]);
  });

  it.each([
    [{ generations: 0 }, 'generations'],
    [{ seed: -1 }, 'seed'],
    [{ fitness: 'accuracy' }, 'fitness'],
    [{ tasks: { minClasses: 3, maxClasses: 2 } }, 'tasks.minClasses'],
    [{ tasks: { maxClasses: 4 } }, 'tasks.maxClasses'],
    [{ tasks: { queryFraction: 1 } }, 'tasks.queryFraction'],
    [{ tasks: { learnLenght: 10 } }, 'tasks.learnLenght'],
    [{ strategy: { pairs: 0 } }, 'strategy.pairs'],
    [{ strategy: { kind: 'cma' } }, 'strategy.kind'],
    [{ strategy: { kind: 'ga', popSize: 4, truncation: 8 } }, 'strategy.truncation'],
    [{ strategy: { kind: 'snes', popSize: 7 } }, 'strategy.popSize'],
    [{ learner: { hidden: 6 } }, 'learner.hidden'],
    [{ dataset: '' }, 'dataset'],
    [{ colour: 'blue' }, 'colour'],
  ])('rejects %j naming the field %s', (input, field) => {
    let err: unknown;
    try {
      validateTrainConfig(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrainConfigError);
    expect((err as TrainConfigError).field).toBe(field);
  });

  it("CLI layers preset < file < flags; a strategy kind switch takes that kind's defaults", () => {
    const a = parseTrainArgs([
      '--preset',
      'tiny',
      '--generations=7',
      '--set',
      'strategy.pairs=3',
      '--set',
      'tasks.labelPermutation=false',
    ]);
    expect(a.config!.generations).toBe(7);
    expect(a.config!.strategy).toMatchObject({ kind: 'openai-es', pairs: 3 });
    expect(a.config!.tasks.labelPermutation).toBe(false);
    expect(a.config!.learner.layers).toEqual([4, 2]);
    const g = parseTrainArgs(['--strategy', 'ga', '--set', 'strategy.popSize=16']);
    expect(g.config!.strategy).toEqual({ kind: 'ga', popSize: 16, truncation: 8, elites: 1, sigma: 0.02 });
    expect(() => parseTrainArgs(['--resume', 'x.json', '--seed', '3'])).toThrow(/only --generations/);
    expect(parseTrainArgs(['--resume', 'x.json', '--generations', '9'])).toMatchObject({
      resume: 'x.json',
      generations: 9,
    });
    expect(() => parseTrainArgs(['--generations'])).toThrow(/needs a value/);
    expect(() => parseTrainArgs(['--set', 'strategy.sigma=-1'])).toThrow(/strategy.sigma/);
  });

  it('checkpoints round-trip and refuse inconsistent or truncated files', () => {
    const config = DEFAULT_TRAIN_CONFIG;
    const strategy = initStrategy(config.strategy, new Float32Array(4).fill(0.5), 1);
    const c: Checkpoint = {
      format: 'vsml-meta-checkpoint',
      version: 1,
      generation: 0,
      config,
      strategy,
      metaParams: new Float32Array(4).fill(0.5),
      learner: config.learner,
      deployLearner: config.learner,
      elapsedMs: 0,
      savedAt: 'now',
    };
    const text = encodeCheckpoint(c);
    expect(encodeCheckpoint(decodeCheckpoint(text))).toBe(text);
    expect(() => decodeCheckpoint(text.slice(0, text.length / 2), 'cut.json')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(encodeCheckpoint({ ...c, generation: 3 }))).toThrow(/generation/);
    expect(() => decodeCheckpoint('{"format":"other"}')).toThrow(/not a vsml-meta-checkpoint/);
  });
});

/** A synthetic train split: 10 classes x 60 examples, pixel 0 = class, pixel 1 = index in class. */
function synthetic(): ImageSplit {
  const n = 600;
  const images = new Uint8Array(n * 4);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = (i * 7) % 10; // interleaved, as real files are
    images[i * 4] = labels[i];
    images[i * 4 + 1] = Math.floor(i / 10);
  }
  return { name: 'synthetic/train', count: n, rows: 2, cols: 2, images, labels, numClasses: 10 };
}

const TASKS: TaskConfig = {
  tasksPerMember: 3,
  minClasses: 2,
  maxClasses: 4,
  learnLength: 40,
  queryLength: 12,
  queryFraction: 0.25,
  labelPermutation: true,
  projectionPerTask: true,
  pixelSubset: 0,
  maxLearnLength: 0,
  growGenerations: 0,
};

describe('task sampler', () => {
  const split = synthetic();

  it('learn and query pools are disjoint parts of each class; every index is in the train split', () => {
    const s = new TaskSampler(split, TASKS, 5, 3);
    for (let c = 0; c < 10; c++) {
      expect(s.learnPools[c].length + s.queryPools[c].length).toBe(60);
      expect(s.queryPools[c].length).toBe(15);
      const learn = new Set(s.learnPools[c]);
      for (const q of s.queryPools[c]) expect(learn.has(q)).toBe(false);
      for (const i of [...s.learnPools[c], ...s.queryPools[c]]) expect(split.labels[i]).toBe(c);
    }
    for (let g = 0; g < 20; g++) {
      for (const task of s.tasks(g)) {
        for (const i of task.learn) expect(s.learnPools[split.labels[i]]).toContain(i);
        for (const i of task.query) expect(s.queryPools[split.labels[i]]).toContain(i);
      }
    }
  });

  it('episodes are class blocks sorted by shown label, distinct examples, k in range, queries of shown classes', () => {
    const s = new TaskSampler(split, TASKS, 5, 11);
    const ks = new Set<number>();
    for (let g = 0; g < 30; g++) {
      for (const task of s.tasks(g)) {
        const k = task.classes.length;
        ks.add(k);
        expect(new Set(task.units).size).toBe(k);
        task.units.forEach((u) => expect(u).toBeLessThan(5));
        expect([...task.units].sort((a, b) => a - b)).toEqual(task.units); // presentation order = label order
        const shown = task.learn.map((i) => task.units[task.classes.indexOf(split.labels[i])]);
        for (let j = 1; j < shown.length; j++) expect(shown[j]).toBeGreaterThanOrEqual(shown[j - 1]);
        // Blocks of nearly equal size.
        const sizes = task.units.map((u) => shown.filter((x) => x === u).length);
        expect(sizes).toEqual(evenSplit(40, k));
        expect(new Set(task.learn).size).toBe(40);
        expect(new Set(task.query).size).toBe(12);
        for (const i of task.query) expect(task.classes).toContain(split.labels[i]);
      }
    }
    expect([...ks].sort()).toEqual([2, 3, 4]);
  });

  it('is a pure function of (seed, generation, task)', () => {
    const a = new TaskSampler(split, TASKS, 5, 3);
    const b = new TaskSampler(split, TASKS, 5, 3);
    expect(a.tasks(5)).toEqual(b.tasks(5));
    expect(a.task(5, 1)).toEqual(b.tasks(5)[1]);
    expect(a.tasks(5)).not.toEqual(a.tasks(6));
    expect(new TaskSampler(split, TASKS, 5, 4).tasks(5)).not.toEqual(a.tasks(5));
  });

  it('without permutation: true labels when the learner has an output per class, else 0..k-1 in class order', () => {
    const noPerm = { ...TASKS, labelPermutation: false };
    for (const t of new TaskSampler(split, noPerm, 10, 1).tasks(0)) expect(t.units).toEqual(t.classes);
    for (const t of new TaskSampler(split, noPerm, 4, 1).tasks(0)) expect(t.units).toEqual(t.classes.map((_, i) => i));
  });

  it('episode split: compact copy with mapped labels; arrays repeat the tasks for every member', () => {
    const s = new TaskSampler(split, TASKS, 5, 2);
    const tasks = s.tasks(0);
    const ep = episodeSplit(split, tasks, 5);
    expect(ep.split.count).toBe(3 * (40 + 12));
    tasks.forEach((task, t) => {
      [...task.learn, ...task.query].forEach((orig, j) => {
        const i = j < 40 ? ep.learn[t][j] : ep.query[t][j - 40];
        expect(ep.split.images.subarray(i * 4, i * 4 + 4)).toEqual(split.images.subarray(orig * 4, orig * 4 + 4));
        expect(ep.split.labels[i]).toBe(task.units[task.classes.indexOf(split.labels[orig])]);
      });
    });
    const arr = episodeArrays(ep, tasks, 2, null);
    expect(arr.learnIndices.length).toBe(2 * 3 * 40);
    expect(arr.learnIndices.subarray(3 * 40 + 40, 3 * 40 + 80)).toEqual(ep.learn[1]); // member 1, task 1
    expect(arr.stateSeeds[4]).toBe(tasks[1].stateSeed);
    expect(episodeArrays(ep, tasks, 1, 77).projectionSeeds).toEqual(new Uint32Array([77, 77, 77]));
  });

  it('pixel subsets: distinct pixels per task, the episode split carries exactly those pixels', () => {
    const sub = { ...TASKS, pixelSubset: 3 };
    const s = new TaskSampler(split, sub, 5, 4);
    const tasks = s.tasks(2);
    for (const t of tasks) {
      expect(t.pixels!.length).toBe(3);
      expect(new Set(t.pixels).size).toBe(3);
      for (const p of t.pixels!) expect(p).toBeLessThan(4);
    }
    // The rest of the task is what it is without the option (the subset is drawn last).
    const plain = new TaskSampler(split, TASKS, 5, 4).tasks(2);
    tasks.forEach((t, i) => expect({ ...t, pixels: undefined }).toEqual({ ...plain[i], pixels: undefined }));
    const ep = episodeSplit(split, tasks, 5);
    expect(ep.split.cols * ep.split.rows).toBe(3);
    tasks.forEach((task, t) => {
      task.learn.forEach((orig, j) => {
        const i = ep.learn[t][j];
        for (let q = 0; q < 3; q++) expect(ep.split.images[i * 3 + q]).toBe(split.images[orig * 4 + task.pixels![q]]);
      });
    });
    expect(() => new TaskSampler(split, { ...TASKS, pixelSubset: 5 }, 5, 1)).toThrow(/only 4 pixels/);
  });

  it('curriculum: lengths are whole classes, vary, never exceed the growing cap, and reach the maximum', () => {
    const cur = { ...TASKS, learnLength: 8, maxLearnLength: 80, growGenerations: 50 };
    const s = new TaskSampler(split, cur, 5, 6);
    const lengths = Array.from({ length: 120 }, (_, g) => s.learnLength(g));
    lengths.forEach((n, g) => {
      const cap = 8 * 10 ** Math.min(1, g / 50);
      expect(n % 4, `generation ${g}`).toBe(0);
      expect(n).toBeGreaterThanOrEqual(8);
      expect(n).toBeLessThanOrEqual(Math.max(8, cap + 0.5));
      expect(s.task(g, 0).learn.length).toBe(n);
    });
    expect(new Set(lengths.slice(60)).size).toBeGreaterThan(5);
    expect(Math.max(...lengths)).toBe(80);
    expect(new TaskSampler(split, TASKS, 5, 6).learnLength(99)).toBe(40);
  });

  it('refuses configs the data cannot fill', () => {
    expect(() => new TaskSampler(split, { ...TASKS, learnLength: 200 }, 5, 1)).toThrow(/class 0 .* need 100/);
    expect(() => new TaskSampler(split, { ...TASKS, maxClasses: 6 }, 5, 1)).toThrow(/output units/);
  });
});
