/**
 * `npm run bench:ordered -- [options]`: the OrderedMNIST scoreboard.
 *
 *   --dataset mnist|fashion-mnist|DIR|URL   (default mnist)
 *   --subset N            first N training examples (quick runs); test = first N/6 unless --test-subset
 *   --test-subset M       first M test images
 *   --methods LIST        comma-separated method specs (default: every baseline + shuffled references)
 *   --order sorted|shuffled   stream order of the run; shuffled is a reference, NOT the benchmark
 *   --out DIR             output folder (default results/ordered-<dataset>[-subsetN])
 *   --curve-per-class N   probe images per class for the forgetting curve (default 100; 0 = off)
 *   --checkpoint FILE|STRING   evaluate an evolved VSML learner (adds method 'vsml')
 *   --replay-buffer N     default replay buffer size in examples (default 1000)
 *   --seed S              seed of the shuffled order (default 1)
 *   --merge               keep rows of an existing scoreboard.json in --out that this run does not redo
 *   --merge-from DIR[,DIR]  add the rows of other runs' scoreboard.json (same dataset) to --out, running nothing
 *   --list                print the known methods and exit
 *
 * Writes scoreboard.json, scoreboard.md, accuracy-vs-state.svg and forgetting.svg.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { FASHION_MNIST_DIR, loadDataset } from '../data/load-node';
import type { GpuContext } from '../gpu/context';
import { DEFAULT_METHODS, METHODS, type MethodInfo, parseMethodList } from '../bench/methods';
import { progressPrinter } from '../bench/progress';
import { runScoreboard } from '../bench/run';
import { type Scoreboard, consoleTable, markdownReport, mergeRerun, mergeScoreboards, sortRows } from '../bench/scoreboard';
import { accuracyVsStateSvg, forgettingSvg } from '../bench/svg-chart';

interface Args {
  dataset: string;
  subset?: number;
  testSubset?: number;
  methods?: string;
  order: 'sorted' | 'shuffled';
  out?: string;
  curvePerClass: number;
  checkpoint?: string;
  replayBuffer?: number;
  seed: number;
  merge: boolean;
  mergeFrom?: string[];
  list: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { dataset: 'mnist', order: 'sorted', curvePerClass: 100, seed: 1, merge: false, list: false };
  const int = (v: string, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--dataset': a.dataset = val(); break;
      case '--subset': a.subset = int(val(), 'subset'); break;
      case '--test-subset': a.testSubset = int(val(), 'test-subset'); break;
      case '--methods': a.methods = val(); break;
      case '--order': {
        const o = val();
        if (o !== 'sorted' && o !== 'shuffled') throw new Error(`--order must be sorted or shuffled, got '${o}'`);
        a.order = o;
        break;
      }
      case '--out': a.out = val(); break;
      case '--curve-per-class': a.curvePerClass = int(val(), 'curve-per-class'); break;
      case '--checkpoint': a.checkpoint = val(); break;
      case '--replay-buffer': a.replayBuffer = int(val(), 'replay-buffer'); break;
      case '--seed': a.seed = int(val(), 'seed'); break;
      case '--merge': a.merge = true; break;
      case '--merge-from': a.mergeFrom = val().split(',').filter(Boolean); break;
      case '--list': a.list = true; break;
      case '--help': case '-h':
        console.log('usage: npm run bench:ordered -- [--dataset mnist|fashion-mnist|DIR|URL] [--subset N] [--methods LIST] [--order sorted|shuffled] [--out DIR] [--checkpoint FILE] [--merge] [--list]');
        process.exit(0);
      default: throw new Error(`unknown option '${flag}' (try --help)`);
    }
  }
  return a;
}

function writeScoreboard(out: string, sb: Scoreboard): void {
  sb.rows = sortRows(sb.rows);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'scoreboard.json'), `${JSON.stringify(sb, null, 1)}\n`);
  writeFileSync(join(out, 'scoreboard.md'), markdownReport(sb));
  const title = `${sb.dataset}: accuracy vs learned state (${sb.trainCount} train, ${sb.testCount} test)`;
  writeFileSync(join(out, 'accuracy-vs-state.svg'), accuracyVsStateSvg(sb.rows, title));
  writeFileSync(join(out, 'forgetting.svg'), forgettingSvg(sb.rows, `${sb.dataset}: accuracy on classes seen so far`));
  console.log(consoleTable(sb.rows));
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (args.mergeFrom) {
    if (!args.out) throw new Error('--merge-from needs --out DIR (the scoreboard to add the rows to)');
    const read = (dir: string) => {
      const f = join(dir, 'scoreboard.json');
      if (!existsSync(f)) throw new Error(`--merge-from: ${f} does not exist`);
      return JSON.parse(readFileSync(f, 'utf8')) as Scoreboard;
    };
    const sb = mergeScoreboards(read(args.out), args.mergeFrom.map(read), `npm run bench:ordered -- ${process.argv.slice(2).join(' ')}`);
    writeScoreboard(args.out, sb);
    console.log(`\nmerged ${args.mergeFrom.join(', ')} into ${args.out}`);
    return 0;
  }
  let extra: Record<string, MethodInfo> = {};
  if (args.checkpoint) {
    const { vsmlMethod } = await import('../bench/vsml-adapter');
    extra = { vsml: vsmlMethod };
  }
  if (args.list) {
    for (const m of Object.values({ ...METHODS, ...extra })) console.log(`${m.name.padEnd(14)} ${m.describe} (params: ${m.params.join(', ') || 'none'})`);
    if (!extra.vsml) console.log(`${'vsml'.padEnd(14)} evolved VSML learner on the GPU (needs --checkpoint FILE|SHARE|init:SEED)`);
    console.log(`default: ${DEFAULT_METHODS.join(',')}${args.checkpoint ? ',vsml' : ''}`);
    return 0;
  }
  const specs = parseMethodList(args.methods ?? [...DEFAULT_METHODS, ...(args.checkpoint ? ['vsml'] : [])].join(','));
  if (args.dataset === 'fashion-mnist' && !existsSync(FASHION_MNIST_DIR)) {
    console.error(`Fashion-MNIST is not installed (expected gzipped IDX files in ${FASHION_MNIST_DIR}).`);
    console.error('Install it with: apt-get install dataset-fashion-mnist   (no scoreboard was produced)');
    return 2;
  }
  const ds = await loadDataset(args.dataset);
  const dsName = ds.name.replace(/[^a-zA-Z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'dataset';
  const out = args.out ?? join('results', `ordered-${dsName}${args.subset ? `-subset${args.subset}` : ''}${args.order === 'shuffled' ? '-shuffled' : ''}`);
  const command = `npm run bench:ordered -- ${process.argv.slice(2).join(' ')}`.trim();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${process.platform}/${process.arch}, Node ${process.version}`;
  if (args.order === 'shuffled') console.error('NOTE: --order shuffled is a reference run, NOT the OrderedMNIST benchmark.');
  console.error(`dataset ${ds.name}: methods ${specs.map((s) => s.id).join(', ')}; writing to ${out}`);

  let gpu: GpuContext | null = null;
  const getGpu = async () => {
    if (!gpu) {
      const { acquireGpu } = await import('../gpu/acquire');
      gpu = await acquireGpu();
      console.error(`GPU adapter: ${gpu.describe()}`);
    }
    return gpu;
  };
  let sb: Scoreboard;
  try {
    sb = await runScoreboard(ds, specs, {
      order: args.order,
      subset: args.subset,
      testSubset: args.testSubset,
      curvePerClass: args.curvePerClass,
      shuffleSeed: args.seed,
      checkpoint: args.checkpoint,
      replayBuffer: args.replayBuffer,
      command,
      machine,
      gpu: getGpu,
      extraMethods: extra,
      onProgress: progressPrinter(),
      onRow: (r) => console.error(`done ${r.id}: accuracy ${(100 * r.accuracy).toFixed(2)}%, learn ${(r.learnMs / 1000).toFixed(1)} s, test ${(r.testMs / 1000).toFixed(1)} s`),
    });
  } finally {
    (gpu as GpuContext | null)?.destroy();
  }
  mkdirSync(out, { recursive: true });
  const jsonPath = join(out, 'scoreboard.json');
  if (args.merge && existsSync(jsonPath)) {
    const old = JSON.parse(readFileSync(jsonPath, 'utf8')) as Scoreboard;
    if (old.trainName !== sb.trainName || old.testName !== sb.testName) throw new Error(`--merge: ${jsonPath} is for ${old.trainName}/${old.testName}, not ${sb.trainName}/${sb.testName}`);
    sb = mergeRerun(old, sb);
  }
  sb.rows = sortRows(sb.rows);
  writeFileSync(jsonPath, `${JSON.stringify(sb, null, 1)}\n`);
  writeFileSync(join(out, 'scoreboard.md'), markdownReport(sb));
  const title = `${sb.dataset}: accuracy vs learned state (${sb.trainCount} train, ${sb.testCount} test)`;
  writeFileSync(join(out, 'accuracy-vs-state.svg'), accuracyVsStateSvg(sb.rows, title));
  writeFileSync(join(out, 'forgetting.svg'), forgettingSvg(sb.rows, `${sb.dataset}: accuracy on classes seen so far`));
  console.log(consoleTable(sb.rows));
  console.log(`\nwrote ${jsonPath}, scoreboard.md, accuracy-vs-state.svg, forgetting.svg (wall ${sb.wallSeconds.toFixed(1)} s)`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
