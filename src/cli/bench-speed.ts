/**
 * `npm run bench:speed [-- flags]`: speed of the VSML step on this adapter, against the adapter's
 * own ceilings, against the same step in TensorFlow.js on the same device and in Python (JAX or
 * numpy, src/bench/speed/python-peer.ts) on the CPU, and the time of one whole generation of the `ordered` and `default` presets (src/bench/speed/run.ts). Writes
 * speed.json, speed.md (tables), speed.txt (the console table) and speed.svg (chart) to --out.
 * Options: `npm run bench:speed -- --help`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { subsetSplit } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import { acquireGpu } from '../gpu/acquire';
import type { WeightsOption } from '../bench/step-measure';
import { CELL_MAPPINGS, type CellMapping } from '../meta/cell-mapping';
import { formatSpeedReport, markdownSpeedReport, speedChartSvg } from '../bench/speed/report';
import { cpuPeakFromCpuinfo } from '../bench/speed/cpu-peak';
import { type SpeedOptions, runSpeedBench } from '../bench/speed/run';
import { DEFAULT_SPEED_CONFIGS, SPEED_CONFIGS } from '../bench/speed/configs';
import { probePythonPeer, pythonPeer } from '../bench/speed/python-peer';
import { UsageError, cliArgs, commandLine, defineCommand, intArg, listArg, optInt, positiveArg } from './args';
import { runMain } from './common';

const COMMAND = defineCommand({
  name: 'bench:speed',
  description: `Speed of the VSML step on this adapter, against the adapter's own ceilings, against the same
step in TensorFlow.js on the same device and in Python (JAX or numpy, when importable) on the CPU,
and the time of one whole generation of presets.
Writes speed.json, speed.md, speed.txt and speed.svg to --out.`,
  options: {
    configs: {
      type: 'string',
      value: 'LIST',
      defaultText: DEFAULT_SPEED_CONFIGS.join(','),
      description: `configurations, of ${SPEED_CONFIGS.map((c) => c.name).join(', ')}`,
    },
    learners: {
      type: 'string',
      value: 'LIST',
      defaultText: 'per configuration and adapter',
      description: 'learner counts for every configuration',
    },
    repeats: { type: 'string', value: 'N', default: '3', description: 'timed runs per measurement (median)' },
    steps: {
      type: 'string',
      value: 'N',
      defaultText: 'from --target-gflop',
      description: 'learning steps (and queries) per timed episode',
    },
    'target-gflop': {
      type: 'string',
      value: 'X',
      defaultText: '0.3 software, 20 hardware',
      description: 'GFLOP per timed episode',
    },
    generations: {
      type: 'string',
      value: 'LIST',
      default: 'ordered,default',
      description: "presets whose generation is timed ('none' skips; 'vsml', the paper's setting, is for GPUs only)",
    },
    'generation-repeats': {
      type: 'string',
      value: 'N',
      default: '3',
      description: 'timed generations (after 1 warm-up)',
    },
    'tfjs-seconds': {
      type: 'string',
      value: 'X',
      defaultText: '1.5 software, 0.5 hardware',
      description: 'length of one timed TensorFlow.js or Python peer run (their steps adapt)',
    },
    'peak-gflops': {
      type: 'string',
      value: 'X',
      defaultText: "on a software adapter, the CPU's physical peak from /proc/cpuinfo",
      description: "the adapter's nominal fp32 peak (datasheet), for a second fraction beside the FMA ceiling",
    },
    'no-tfjs': { type: 'boolean', description: 'skip the TensorFlow.js peer (and its check)' },
    'no-check': { type: 'boolean', description: 'skip the ours / TensorFlow.js / reference check' },
    python: {
      type: 'boolean',
      description:
        'require the Python peer (src/bench/speed/vsml_peer.py; fails when python cannot import jax or numpy)',
    },
    'no-python': {
      type: 'boolean',
      description: 'skip the Python peer (default: run it when python imports jax or numpy)',
    },
    'python-bin': {
      type: 'string',
      value: 'PATH',
      defaultText: '$VSML_PYTHON or python3',
      description: "the Python peer's interpreter",
    },
    weights: {
      type: 'string',
      choices: ['auto', 'workgroup', 'private', 'storage'],
      default: 'auto',
      description: "our cell's weight path",
    },
    mapping: {
      type: 'string',
      choices: [...CELL_MAPPINGS],
      default: 'auto',
      description:
        "the private-weights input layer's mapping: the planner's (rows on lavapipe, else columns), rows or columns (lavapipe builds each column kernel for 10-19 s the first time)",
    },
    out: { type: 'string', value: 'DIR', default: join('results', 'speed'), description: 'output directory' },
  },
});

/** Only the options given are set: runSpeedBench's defaults depend on the adapter. */
type CliOptions = SpeedOptions & { out: string; pythonPeer: 'auto' | 'require' | 'off'; pythonBin?: string };

function speedOptions(v: ReturnType<typeof cliArgs<typeof COMMAND.options>>['values']): CliOptions {
  if (v.python && v['no-python']) throw new UsageError('--python', 'give --python or --no-python, not both');
  const o: CliOptions = {
    out: v.out,
    weights: v.weights as WeightsOption,
    mapping: v.mapping as CellMapping,
    pythonPeer: v.python ? 'require' : v['no-python'] ? 'off' : 'auto',
  };
  if (v['python-bin'] !== undefined) o.pythonBin = v['python-bin'];
  if (v.configs !== undefined) o.configs = listArg(v.configs);
  if (v.learners !== undefined) o.learners = listArg(v.learners).map((x) => intArg('--learners', x, 1));
  o.repeats = optInt('--repeats', v.repeats, 1);
  o.steps = optInt('--steps', v.steps, 1);
  if (v['target-gflop'] !== undefined) o.targetFlops = positiveArg('--target-gflop', v['target-gflop']) * 1e9;
  o.generations = v.generations === 'none' ? [] : listArg(v.generations);
  o.generationRepeats = optInt('--generation-repeats', v['generation-repeats'], 1);
  if (v['tfjs-seconds'] !== undefined) o.tfjsSeconds = positiveArg('--tfjs-seconds', v['tfjs-seconds']);
  if (v['peak-gflops'] !== undefined) o.peakGflops = positiveArg('--peak-gflops', v['peak-gflops']);
  if (v['no-tfjs']) o.tfjs = false;
  if (v['no-check']) o.check = false;
  const unknown = o.configs?.find((c) => !SPEED_CONFIGS.some((k) => k.name === c));
  if (unknown)
    throw new UsageError(
      '--configs',
      `unknown configuration '${unknown}' (known: ${SPEED_CONFIGS.map((c) => c.name).join(', ')})`,
    );
  return o;
}

/** The Python peer, or (without --python) why it is skipped; --python without one fails here. */
function pythonOption(a: CliOptions): Pick<SpeedOptions, 'python' | 'pythonMissing'> {
  if (a.pythonPeer === 'off') return { pythonMissing: 'off (--no-python)' };
  const probe = probePythonPeer(a.pythonBin);
  if ('missing' in probe) {
    if (a.pythonPeer === 'require') throw new Error(`--python: ${probe.missing}`);
    return { pythonMissing: probe.missing };
  }
  return { python: pythonPeer(probe) };
}

const args = cliArgs(COMMAND, ({ values }) => speedOptions(values));
runMain('bench:speed', async () => {
  const python = pythonOption(args);
  const gpu = await acquireGpu();
  try {
    if (args.peakGflops === undefined && gpu.report.isFallback) {
      // A software adapter runs on this CPU: its physical peak is the second ceiling.
      const peak = existsSync('/proc/cpuinfo') ? cpuPeakFromCpuinfo(readFileSync('/proc/cpuinfo', 'utf8')) : undefined;
      if (peak) Object.assign(args, { peakGflops: peak.gflops, peakSource: `CPU: ${peak.formula}` });
      else console.log('no CPU peak: /proc/cpuinfo is missing or names no clock (give --peak-gflops)');
    }
    const ds = await loadDataset('mnist');
    const { pythonPeer: _p, pythonBin: _b, ...speedArgs } = args;
    void _p;
    void _b;
    const loadBefore = loadavg();
    const report = await runSpeedBench(
      gpu,
      { train: subsetSplit(ds.train, 10000), test: subsetSplit(ds.test, 2000) },
      { ...speedArgs, ...python, log: (l) => console.log(l) },
    );
    report.environment = {
      command: commandLine('bench:speed'),
      'load average before (1, 5, 15 min)': loadBefore,
      'load average after (1, 5, 15 min)': loadavg(),
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
      node: process.version,
    };
    const text = formatSpeedReport(report);
    console.log(`\n${text}`);
    mkdirSync(args.out, { recursive: true });
    writeFileSync(join(args.out, 'speed.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(args.out, 'speed.txt'), `${text}\n`);
    writeFileSync(join(args.out, 'speed.md'), `${markdownSpeedReport(report)}\n`);
    writeFileSync(join(args.out, 'speed.svg'), `${speedChartSvg(report)}\n`);
    console.log(`wrote ${join(args.out, 'speed.{json,txt,md,svg}')}`);
  } finally {
    gpu.destroy();
  }
});
