/**
 * `npm run bench:length -- --checkpoint FILE|rule:class-mean|... [options]`: length generalisation
 * on the full benchmark. For each N in --per-class, the learner sees the first N training examples
 * of every class (file order), class-sorted as OrderedMNIST shows them, then answers the test
 * split with its state frozen; `all` is the whole benchmark. Baselines given with --methods run on
 * the same streams, so the table says where the learner stands at every length.
 * Options: `npm run bench:length -- --help`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSplit } from '../data/dataset';
import { indicesByClass, subsetSplit } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import { METHODS, type MethodContext, type MethodInfo, parseMethodList } from '../bench/methods';
import { progressPrinter } from '../bench/progress';
import { runProtocol, shapeOf } from '../bench/ordered-mnist';
import { cliArgs, defineCommand, intArg, optInt } from './args';
import { lazyGpu, runMain } from './common';

/** The first `n` examples of every class (file order), as a split (the protocol sorts it by class). */
export function firstPerClass(split: ImageSplit, n: number): ImageSplit {
  const byClass = indicesByClass(split.labels, split.numClasses);
  const keep = byClass.flatMap((ix) => [...ix.subarray(0, Math.min(n, ix.length))]).sort((a, b) => a - b);
  const px = split.rows * split.cols;
  const images = new Uint8Array(keep.length * px);
  const labels = new Uint8Array(keep.length);
  keep.forEach((i, j) => {
    images.set(split.images.subarray(i * px, (i + 1) * px), j * px);
    labels[j] = split.labels[i];
  });
  return { ...split, name: `${split.name} (first ${n}/class)`, count: keep.length, images, labels };
}

const COMMAND = defineCommand({
  name: 'bench:length',
  usage: '--checkpoint FILE|rule:class-mean|... [options]',
  description: `Length generalisation on the full benchmark: for each N in --per-class, the learner sees the first
N training examples of every class, class-sorted, then answers the test split with its state
frozen; baselines from --methods run on the same streams. Writes length.json and length.md.`,
  options: {
    checkpoint: {
      type: 'string',
      value: 'X',
      description:
        'the VSML learner: a checkpoint (its best-by-validation parameters when kept), share link, init:SEED, rule:class-mean or rule:FILE',
    },
    dataset: {
      type: 'string',
      value: 'NAME',
      default: 'mnist',
      description: 'mnist, fashion-mnist, an IDX directory or URL',
    },
    'per-class': {
      type: 'string',
      value: 'LIST',
      default: '10,100,1000,all',
      description: "examples per class, positive integers or 'all'",
    },
    methods: { type: 'string', value: 'LIST', default: 'vsml,ncm', description: 'method specs as for bench:ordered' },
    'test-subset': { type: 'string', value: 'M', defaultText: 'all 10,000', description: 'first M test images' },
    out: { type: 'string', value: 'DIR', defaultText: 'results/length-<dataset>', description: 'output folder' },
  },
});

function parsePerClass(v: string): (number | 'all')[] {
  return v.split(',').map((s) => (s === 'all' ? 'all' : intArg('--per-class', s, 1)));
}

async function main(): Promise<number> {
  const args = cliArgs(COMMAND, ({ values: v }) => ({
    ...v,
    perClass: parsePerClass(v['per-class']),
    testSubset: optInt('--test-subset', v['test-subset'], 1),
  }));
  const specs = parseMethodList(args.methods);
  const extra: Record<string, MethodInfo> = {};
  if (specs.some((s) => s.name === 'vsml')) {
    if (!args.checkpoint) throw new Error('method vsml needs --checkpoint FILE|SHARE|init:SEED|rule:class-mean');
    extra.vsml = (await import('../bench/vsml-adapter')).vsmlMethod;
  }
  const table = { ...METHODS, ...extra };
  const ds = await loadDataset(args.dataset);
  const test = args.testSubset ? subsetSplit(ds.test, args.testSubset) : ds.test;
  const gpu = lazyGpu();
  const progress = progressPrinter();
  const rows: { id: string; perClass: (number | 'all')[]; accuracy: number[]; trainCount: number[] }[] = [];
  const t0 = performance.now();
  try {
    for (const spec of specs) {
      const info = table[spec.name];
      if (!info) throw new Error(`unknown method '${spec.name}'`);
      const row = { id: spec.id, perClass: args.perClass, accuracy: [] as number[], trainCount: [] as number[] };
      for (const n of args.perClass) {
        const train = n === 'all' ? ds.train : firstPerClass(ds.train, n);
        const ctx: MethodContext = {
          gpu: gpu.get,
          checkpoint: args.checkpoint,
          progress: (p) => progress(`${spec.id} ${n}/class`, p),
        };
        const learner = await info.create(shapeOf(train), spec.params, ctx);
        const r = await runProtocol(learner, train, test, {
          curvePerClass: 0,
          onProgress: (p) => progress(`${spec.id} ${n}/class`, p),
        });
        row.accuracy.push(r.accuracy);
        row.trainCount.push(train.count);
        console.error(`${spec.id}: ${n}/class (${train.count} examples) -> ${(100 * r.accuracy).toFixed(2)}%`);
      }
      rows.push(row);
    }
  } finally {
    gpu.destroy();
  }
  const head = `| method | ${args.perClass.map((n) => (n === 'all' ? 'all' : `${n}/class`)).join(' | ')} |`;
  const md = [
    `# Accuracy against examples per class: ${ds.name}`,
    '',
    `Class-sorted streams of the first N training examples of every class, then ${test.count} test images with the state frozen.`,
    `Command: \`npm run bench:length -- ${process.argv.slice(2).join(' ')}\`; ${gpu.adapter ? `GPU methods on ${gpu.adapter}, the rest on the CPU` : 'all methods on the CPU'}; wall ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
    '',
    head,
    `|---|${args.perClass.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.id} | ${r.accuracy.map((a) => `${(100 * a).toFixed(2)}%`).join(' | ')} |`),
    '',
  ].join('\n');
  const out = args.out ?? join('results', `length-${ds.name.replace(/[^a-zA-Z0-9._-]+/g, '_')}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, 'length.json'),
    `${JSON.stringify({ dataset: ds.name, test: test.count, checkpoint: args.checkpoint, adapter: gpu.adapter, rows }, null, 1)}\n`,
  );
  writeFileSync(join(out, 'length.md'), md);
  console.log(md);
  return 0;
}

// Run only as a script (firstPerClass is a library function too).
if (/src[\\/]cli[\\/]bench-length\.ts$/.test(process.argv[1] ?? '')) runMain('bench:length', main);
