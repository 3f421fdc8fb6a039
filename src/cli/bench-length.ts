/**
 * `npm run bench:length -- --checkpoint FILE|rule:class-mean|... [options]`: length generalisation
 * on the full benchmark. For each N in --per-class, the learner sees the first N training examples
 * of every class (file order), class-sorted as OrderedMNIST shows them, then answers the test
 * split with its state frozen; `all` is the whole benchmark. Baselines given with --methods run on
 * the same streams, so the table says where the learner stands at every length.
 *
 *   --checkpoint X        the VSML learner (a checkpoint uses its best-by-validation parameters when it kept them)
 *   --dataset NAME        mnist (default), fashion-mnist, an IDX directory or URL
 *   --per-class LIST      default 10,100,1000,all
 *   --methods LIST        default vsml,ncm (method specs as for bench:ordered)
 *   --test-subset M       first M test images (default: all 10,000)
 *   --out DIR             writes length.json and length.md (default results/length-<dataset>)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageSplit } from '../data/dataset';
import { indicesByClass, subsetSplit } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import type { GpuContext } from '../gpu/context';
import { METHODS, type MethodContext, type MethodInfo, parseMethodList } from '../bench/methods';
import { progressPrinter } from '../bench/progress';
import { runProtocol, shapeOf } from '../bench/ordered-mnist';

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

interface Args {
  checkpoint?: string;
  dataset: string;
  perClass: (number | 'all')[];
  methods: string;
  testSubset?: number;
  out?: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { dataset: 'mnist', perClass: [10, 100, 1000, 'all'], methods: 'vsml,ncm' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--checkpoint': a.checkpoint = val(); break;
      case '--dataset': a.dataset = val(); break;
      case '--methods': a.methods = val(); break;
      case '--out': a.out = val(); break;
      case '--test-subset': {
        const n = Number(val());
        if (!Number.isInteger(n) || n < 1) throw new Error('--test-subset needs a positive integer');
        a.testSubset = n;
        break;
      }
      case '--per-class':
        a.perClass = val().split(',').map((s) => {
          if (s === 'all') return 'all';
          const n = Number(s);
          if (!Number.isInteger(n) || n < 1) throw new Error(`--per-class: '${s}' is not a positive integer or 'all'`);
          return n;
        });
        break;
      case '--help': case '-h':
        console.log('usage: npm run bench:length -- --checkpoint FILE|rule:class-mean [--dataset NAME] [--per-class 10,100,1000,all] [--methods vsml,ncm] [--test-subset M] [--out DIR]');
        process.exit(0);
      default: throw new Error(`unknown option '${flag}' (try --help)`);
    }
  }
  return a;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const specs = parseMethodList(args.methods);
  const extra: Record<string, MethodInfo> = {};
  if (specs.some((s) => s.name === 'vsml')) {
    if (!args.checkpoint) throw new Error('method vsml needs --checkpoint FILE|SHARE|init:SEED|rule:class-mean');
    extra.vsml = (await import('../bench/vsml-adapter')).vsmlMethod;
  }
  const table = { ...METHODS, ...extra };
  const ds = await loadDataset(args.dataset);
  const test = args.testSubset ? subsetSplit(ds.test, args.testSubset) : ds.test;
  let gpu: GpuContext | null = null;
  let adapter: string | null = null;
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
          gpu: async () => {
            if (!gpu) {
              gpu = await (await import('../gpu/acquire')).acquireGpu();
              adapter = gpu.describe();
              console.error(`GPU adapter: ${adapter}`);
            }
            return gpu;
          },
          checkpoint: args.checkpoint,
          progress: (p) => progress(`${spec.id} ${n}/class`, p),
        };
        const learner = await info.create(shapeOf(train), spec.params, ctx);
        const r = await runProtocol(learner, train, test, { curvePerClass: 0, onProgress: (p) => progress(`${spec.id} ${n}/class`, p) });
        row.accuracy.push(r.accuracy);
        row.trainCount.push(train.count);
        console.error(`${spec.id}: ${n}/class (${train.count} examples) -> ${(100 * r.accuracy).toFixed(2)}%`);
      }
      rows.push(row);
    }
  } finally {
    (gpu as GpuContext | null)?.destroy();
  }
  const head = `| method | ${args.perClass.map((n) => (n === 'all' ? 'all' : `${n}/class`)).join(' | ')} |`;
  const md = [
    `# Accuracy against examples per class: ${ds.name}`,
    '',
    `Class-sorted streams of the first N training examples of every class, then ${test.count} test images with the state frozen.`,
    `Command: \`npm run bench:length -- ${process.argv.slice(2).join(' ')}\`; ${adapter ? `GPU methods on ${adapter}, the rest on the CPU` : 'all methods on the CPU'}; wall ${((performance.now() - t0) / 1000).toFixed(0)} s.`,
    '',
    head,
    `|---|${args.perClass.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.id} | ${r.accuracy.map((a) => `${(100 * a).toFixed(2)}%`).join(' | ')} |`),
    '',
  ].join('\n');
  const out = args.out ?? join('results', `length-${ds.name.replace(/[^a-zA-Z0-9._-]+/g, '_')}`);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'length.json'), `${JSON.stringify({ dataset: ds.name, test: test.count, checkpoint: args.checkpoint, adapter, rows }, null, 1)}\n`);
  writeFileSync(join(out, 'length.md'), md);
  console.log(md);
  return 0;
}

if (process.argv[1]?.endsWith('length-cli.ts')) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
