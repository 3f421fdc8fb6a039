/**
 * `npm run bench:speed [-- flags]`: speed of the VSML step on this adapter, against the adapter's
 * own ceilings and against the same step in TensorFlow.js on the same device, and the time of one
 * whole generation of the `ordered` and `default` presets (src/bench/speed/run.ts). Writes
 * speed.json, speed.md (tables), speed.txt (the console table) and speed.svg (chart) to --out.
 *
 *   --configs LIST      small, small-lowrank, ordered, default, default-lowrank (default: small,ordered,default,default-lowrank)
 *   --learners LIST     learner counts for every configuration (default: per configuration; on a software
 *                       adapter 1,16,128 for the small ones and 1,4 for the 784 -> 10 ones; on hardware up to 8192)
 *   --repeats N         timed runs per measurement (median; default 3)
 *   --steps N           learning steps (and queries) per timed episode (default: from --target-gflop)
 *   --target-gflop X    GFLOP per timed episode (default 0.3 on a software adapter, 20 on hardware)
 *   --generations LIST  presets whose generation is timed (default ordered,default; 'none' skips;
 *                       'vsml' is the paper's setting, 2,049 members x 500 + 100 steps: GPUs only)
 *   --generation-repeats N   timed generations (default 3, after 1 warm-up)
 *   --tfjs-seconds X    length of one timed TensorFlow.js run (default 1.5 software, 0.5 hardware; its steps adapt)
 *   --peak-gflops X     the adapter's nominal fp32 peak (datasheet), for a second fraction beside the FMA ceiling
 *   --no-tfjs           skip the TensorFlow.js peer (and its check)
 *   --no-check          skip the ours / TensorFlow.js / reference check
 *   --weights auto|workgroup|private|storage   our cell's weight path (default auto)
 *   --out DIR           default results/speed
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { subsetSplit } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import { acquireGpu } from '../gpu/acquire';
import type { WeightsOption } from '../bench/step-measure';
import { formatSpeedReport, markdownSpeedReport, speedChartSvg } from '../bench/speed/report';
import { type SpeedOptions, runSpeedBench } from '../bench/speed/run';

function parseArgs(argv: string[]): SpeedOptions & { out: string } {
  const o: SpeedOptions & { out: string } = { out: join('results', 'speed') };
  const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const int = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer, got '${v}'`);
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
      case '--configs': o.configs = list(val()); break;
      case '--learners': o.learners = list(val()).map((v) => int('--learners', v)); break;
      case '--repeats': o.repeats = int(flag, val()); break;
      case '--steps': o.steps = int(flag, val()); break;
      case '--target-gflop': {
        const x = Number(val());
        if (!(x > 0)) throw new Error('--target-gflop must be positive');
        o.targetFlops = x * 1e9;
        break;
      }
      case '--generations': { const v = val(); o.generations = v === 'none' ? [] : list(v); break; }
      case '--generation-repeats': o.generationRepeats = int(flag, val()); break;
      case '--tfjs-seconds': {
        const x = Number(val());
        if (!(x > 0)) throw new Error('--tfjs-seconds must be positive');
        o.tfjsSeconds = x;
        break;
      }
      case '--peak-gflops': {
        const x = Number(val());
        if (!(x > 0)) throw new Error('--peak-gflops must be positive (the adapter\'s nominal fp32 GFLOP/s)');
        o.peakGflops = x;
        break;
      }
      case '--no-tfjs': o.tfjs = false; break;
      case '--no-check': o.check = false; break;
      case '--weights': o.weights = val() as WeightsOption; break;
      case '--out': o.out = val(); break;
      default: throw new Error(`unknown flag ${flag} (see the comment at the top of src/cli/bench-speed.ts)`);
    }
  }
  return o;
}

const args = parseArgs(process.argv.slice(2));
const gpu = await acquireGpu();
try {
  const ds = await loadDataset('mnist');
  const loadBefore = loadavg();
  const report = await runSpeedBench(gpu, { train: subsetSplit(ds.train, 10000), test: subsetSplit(ds.test, 2000) }, { ...args, log: (l) => console.log(l) });
  report.environment = {
    command: `npm run bench:speed${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
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
