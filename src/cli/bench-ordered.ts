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
import { DEFAULT_METHODS, METHODS, type MethodInfo, parseMethodList } from '../bench/methods';
import { REPLAY_DEFAULTS } from '../inner/baselines/replay';
import { progressPrinter } from '../bench/progress';
import { runScoreboard } from '../bench/run';
import {
  type Scoreboard,
  consoleTable,
  markdownReport,
  mergeRerun,
  mergeScoreboards,
  sortRows,
} from '../bench/scoreboard';
import { accuracyVsStateSvg, forgettingSvg } from '../bench/svg-chart';
import { cliArgs, defineCommand, intArg, optInt } from './args';
import { lazyGpu, runMain } from './common';

const COMMAND = defineCommand({
  name: 'bench:ordered',
  description: `The OrderedMNIST scoreboard: every method learns the training split in class order, one pass, then
answers the test split. Writes scoreboard.json, scoreboard.md, accuracy-vs-state.svg and forgetting.svg.`,
  options: {
    dataset: { type: 'string', value: 'mnist|fashion-mnist|DIR|URL', default: 'mnist', description: 'the dataset' },
    subset: {
      type: 'string',
      value: 'N',
      description: 'first N training examples (quick runs); test = first N/6 unless --test-subset',
    },
    'test-subset': { type: 'string', value: 'M', description: 'first M test images' },
    methods: {
      type: 'string',
      value: 'LIST',
      defaultText: 'every baseline + shuffled references (--list)',
      description: 'comma-separated method specs',
    },
    order: {
      type: 'string',
      choices: ['sorted', 'shuffled'],
      default: 'sorted',
      description: 'stream order of the run; shuffled is a reference, NOT the benchmark',
    },
    out: {
      type: 'string',
      value: 'DIR',
      defaultText: 'results/ordered-<dataset>[-subsetN]',
      description: 'output folder',
    },
    'curve-per-class': {
      type: 'string',
      value: 'N',
      default: '100',
      description: 'probe images per class for the forgetting curve (0: off)',
    },
    checkpoint: {
      type: 'string',
      value: 'FILE|STRING',
      description:
        "evaluate an evolved VSML learner (adds method 'vsml'): a checkpoint, share link, init:SEED, rule:class-mean or rule:FILE",
    },
    'replay-buffer': {
      type: 'string',
      value: 'N',
      defaultText: String(REPLAY_DEFAULTS.bufferSize),
      description: 'default replay buffer size in examples',
    },
    seed: { type: 'string', value: 'S', default: '1', description: 'seed of the shuffled order' },
    merge: {
      type: 'boolean',
      description: 'keep rows of an existing scoreboard.json in --out that this run does not redo',
    },
    'merge-from': {
      type: 'string',
      value: 'DIR[,DIR]',
      description: "add the rows of other runs' scoreboard.json (same dataset) to --out, running nothing",
    },
    list: { type: 'boolean', description: 'print the known methods and exit' },
  },
});

const args = cliArgs(COMMAND, ({ values: v }) => ({
  dataset: v.dataset,
  subset: optInt('--subset', v.subset, 0),
  testSubset: optInt('--test-subset', v['test-subset'], 0),
  methods: v.methods,
  order: v.order as 'sorted' | 'shuffled',
  out: v.out,
  curvePerClass: intArg('--curve-per-class', v['curve-per-class'], 0),
  checkpoint: v.checkpoint,
  replayBuffer: optInt('--replay-buffer', v['replay-buffer'], 0),
  seed: intArg('--seed', v.seed, 0),
  merge: v.merge,
  mergeFrom: v['merge-from']?.split(',').filter(Boolean),
  list: v.list,
}));

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
  if (args.mergeFrom) {
    if (!args.out) throw new Error('--merge-from needs --out DIR (the scoreboard to add the rows to)');
    const read = (dir: string) => {
      const f = join(dir, 'scoreboard.json');
      if (!existsSync(f)) throw new Error(`--merge-from: ${f} does not exist`);
      return JSON.parse(readFileSync(f, 'utf8')) as Scoreboard;
    };
    const sb = mergeScoreboards(
      read(args.out),
      args.mergeFrom.map(read),
      `npm run bench:ordered -- ${process.argv.slice(2).join(' ')}`,
    );
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
    for (const m of Object.values({ ...METHODS, ...extra }))
      console.log(`${m.name.padEnd(14)} ${m.describe} (params: ${m.params.join(', ') || 'none'})`);
    if (!extra.vsml)
      console.log(`${'vsml'.padEnd(14)} evolved VSML learner on the GPU (needs --checkpoint FILE|SHARE|init:SEED)`);
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
  const out =
    args.out ??
    join(
      'results',
      `ordered-${dsName}${args.subset ? `-subset${args.subset}` : ''}${args.order === 'shuffled' ? '-shuffled' : ''}`,
    );
  const command = `npm run bench:ordered -- ${process.argv.slice(2).join(' ')}`.trim();
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, ${process.platform}/${process.arch}, Node ${process.version}`;
  if (args.order === 'shuffled')
    console.error('NOTE: --order shuffled is a reference run, NOT the OrderedMNIST benchmark.');
  console.error(`dataset ${ds.name}: methods ${specs.map((s) => s.id).join(', ')}; writing to ${out}`);

  const gpu = lazyGpu();
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
      gpu: gpu.get,
      extraMethods: extra,
      onProgress: progressPrinter(),
      onRow: (r) =>
        console.error(
          `done ${r.id}: accuracy ${(100 * r.accuracy).toFixed(2)}%, learn ${(r.learnMs / 1000).toFixed(1)} s, test ${(r.testMs / 1000).toFixed(1)} s`,
        ),
    });
  } finally {
    gpu.destroy();
  }
  mkdirSync(out, { recursive: true });
  const jsonPath = join(out, 'scoreboard.json');
  if (args.merge && existsSync(jsonPath)) {
    const old = JSON.parse(readFileSync(jsonPath, 'utf8')) as Scoreboard;
    if (old.trainName !== sb.trainName || old.testName !== sb.testName)
      throw new Error(
        `--merge: ${jsonPath} is for ${old.trainName}/${old.testName}, not ${sb.trainName}/${sb.testName}`,
      );
    sb = mergeRerun(old, sb);
  }
  writeScoreboard(out, sb);
  console.log(
    `\nwrote ${jsonPath}, scoreboard.md, accuracy-vs-state.svg, forgetting.svg (wall ${sb.wallSeconds.toFixed(1)} s)`,
  );
  return 0;
}

runMain('bench:ordered', main);
