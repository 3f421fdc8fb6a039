/**
 * Throughput of distributed meta-training on this machine: starts a redis-server on loopback, then
 * for each worker count N runs one coordinator and N workers (separate processes) for a few
 * generations of the chosen preset, and prints the cluster's learner steps/s (generation 0, with
 * shader compilation, excluded), beside a single-process run of the same config.
 *
 *   npm run bench:distributed -- [--workers 1,2,3] [--generations 6] [--preset default] [--slice-size 4]
 *
 * Needs redis-server (Debian package). Workers on one machine share its cores and its GPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cliArgs, defineCommand, intArg, listArg } from './args';
import { runMain } from './common';
import { PRESETS } from '../meta/train-config';

const COMMAND = defineCommand({
  name: 'bench:distributed',
  description: `Throughput of distributed meta-training on this machine: starts redis-server on loopback, then for
each worker count N runs one coordinator and N worker processes for a few generations of a preset and
prints the cluster's learner steps/s beside a single-process run of the same config (generation 0,
which compiles the shaders, excluded). Needs redis-server. Workers on one machine share its cores and GPU.`,
  options: {
    workers: {
      type: 'string',
      value: 'LIST',
      default: '1,2,3',
      description: 'worker counts to measure, comma-separated',
    },
    generations: { type: 'string', value: 'N', default: '6', description: 'generations per run (>= 2)' },
    preset: { type: 'string', choices: Object.keys(PRESETS), default: 'default', description: 'training preset' },
    'slice-size': {
      type: 'string',
      value: 'N',
      default: '4',
      description: "members per worker job (the coordinator's --slice-size)",
    },
  },
});

const root = resolve(import.meta.dirname, '..', '..');

function freePort(): Promise<number> {
  return new Promise((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
}

function train(args: string[]): { proc: ChildProcess; done: Promise<string> } {
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.train;
  const [, ...pre] = script.trim().split(/\s+/);
  const proc = spawn(process.execPath, ['--import', 'tsx', ...pre, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return {
    proc,
    done: new Promise((r) => proc.on('exit', (code) => r(code === 0 ? out : `FAILED (${code})\n${out}`))),
  };
}

function stepsPerSecond(metricsPath: string): { rate: number; adapter?: string } {
  const lines = readFileSync(metricsPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const timed = lines.slice(1); // generation 0 compiles the shaders
  const steps = timed.reduce((s, m) => s + m.learnerSteps, 0);
  const ms = timed.reduce((s, m) => s + m.timeMs.total, 0);
  return { rate: (steps / ms) * 1000 };
}

async function main(): Promise<void> {
  const { values } = cliArgs(COMMAND);
  const workerCounts = listArg(values.workers).map((w) => intArg('--workers', w, 1));
  const generations = String(intArg('--generations', values.generations, 2));
  const preset = values.preset;
  const sliceSize = String(intArg('--slice-size', values['slice-size'], 1));
  const dir = mkdtempSync(join(tmpdir(), 'vsml-dist-speed-'));
  const port = await freePort();
  const redis = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  await new Promise((r) => setTimeout(r, 500));
  const url = `redis://127.0.0.1:${port}`;
  const common = ['--preset', preset, '--generations', generations, '--checkpoint-every', '0', '--quiet'];
  try {
    const single = train([...common, '--out', join(dir, 'single')]);
    const out = await single.done;
    if (out.startsWith('FAILED')) throw new Error(out);
    const base = stepsPerSecond(join(dir, 'single', 'metrics.jsonl')).rate;
    console.log(`preset ${preset}, ${generations} generations, slice size ${sliceSize}; generation 0 excluded`);
    console.log(`| setup | learner steps/s | vs one process |`);
    console.log(`|---|---|---|`);
    console.log(`| one process (npm run train) | ${base.toFixed(0)} | 1.00 |`);
    for (const n of workerCounts) {
      const prefix = `speed${n}`;
      const workers = Array.from({ length: n }, (_, i) =>
        train([
          '--redis',
          url,
          '--role',
          'worker',
          '--prefix',
          prefix,
          '--worker-id',
          `w${i}`,
          '--exit-when-done',
          '--quiet',
        ]),
      );
      const coord = train([
        '--redis',
        url,
        '--role',
        'coordinator',
        '--prefix',
        prefix,
        '--slice-size',
        sliceSize,
        '--no-held-out',
        ...common,
        '--out',
        join(dir, `dist-${n}`),
      ]);
      const c = await coord.done;
      if (c.startsWith('FAILED')) throw new Error(c);
      await Promise.all(workers.map((w) => w.done));
      const rate = stepsPerSecond(join(dir, `dist-${n}`, 'metrics.jsonl')).rate;
      console.log(
        `| coordinator + ${n} worker${n > 1 ? 's' : ''} | ${rate.toFixed(0)} | ${(rate / base).toFixed(2)} |`,
      );
    }
  } finally {
    redis.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain('bench:distributed', main);
