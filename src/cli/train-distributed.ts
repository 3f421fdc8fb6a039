/**
 * `npm run train -- --redis URL --role coordinator|worker [options]`: meta-training over
 * Redis-coordinated workers (src/meta/distributed/). docs/distributed.md explains it.
 */
import { hostname } from 'node:os';
import { CheckpointError } from '../meta/checkpoint';
import { DistributedEvaluator } from '../meta/distributed/coordinator';
import { ProtocolError } from '../meta/distributed/messages';
import { redactUrl } from '../meta/distributed/redis';
import { runWorker } from '../meta/distributed/worker';
import { loadCheckpointFile } from '../meta/node/io';
import { runTraining, summary } from './run-training';
import { TrainConfigError, type TrainConfig } from '../meta/train-config';
import { setProgressStatus } from './progress';
// Not imported from ./train (which imports this file lazily while its top-level await runs): passed in.
type ParseTrainArgs = (argv: string[]) => { config?: TrainConfig; resume?: string; generations?: number; out?: string; quiet: boolean; help: boolean };

export const DISTRIBUTED_HELP = `Usage:
  npm run train -- --redis URL --role coordinator [training options, or --resume CHECKPOINT] [options below]
  npm run train -- --redis URL --role worker [options below]

The coordinator runs the outer loop (strategy, checkpoints, metrics, progress) and publishes each
generation to Redis as seeds; workers (any number, on any machines, joining and leaving at any
time) evaluate member ranges on their own GPU and return the fitness values. The result is bit for
bit the single-process run's (workers on the same kind of adapter).

  --redis URL              redis://[user:password@]host:port[/db], or rediss://... for TLS
                           (password also from $VSML_REDIS_PASSWORD; CA file from $VSML_REDIS_CA)
  --role coordinator|worker
  --prefix NAME            Redis key prefix (default vsml): one run per prefix

Coordinator:
  --slice-size N           members per job (default: population / 8)
  --slice-timeout S        seconds a slice may run on one worker before it is given to another too (default 120)
  --no-held-out            skip the closing held-out comparison
  (plus every option of npm run train -- --help)

Worker:
  --worker-id ID           unique name (default host-pid), [A-Za-z0-9_.-]
  --allow-dataset D        also load dataset D (an IDX directory or URL) when a run names it;
                           mnist and fashion-mnist are always allowed (repeatable)
  --exit-when-done         exit when the coordinator finishes its run
  --heartbeat-ms N         heartbeat period (default 1000; a worker silent for 4 periods is dead)
  --slice-delay-ms N       sleep before each slice (simulates a slow GPU; tests)
  --quiet                  no per-slice log lines`;

interface DistArgs {
  redis?: string;
  role?: 'coordinator' | 'worker';
  prefix?: string;
  sliceSize?: number;
  sliceTimeoutMs?: number;
  heldOut: boolean;
  workerId?: string;
  allowDatasets: string[];
  exitWhenDone: boolean;
  heartbeatMs?: number;
  sliceDelayMs?: number;
  quiet: boolean;
  help: boolean;
  /** Everything else: the ordinary training options (coordinator). */
  rest: string[];
}

export function parseDistributedArgs(argv: string[]): DistArgs {
  const out: DistArgs = { heldOut: true, allowDatasets: [], exitWhenDone: false, quiet: false, help: false, rest: [] };
  const posInt = (flag: string, v: string, min = 1) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new TrainConfigError(flag, `expects an integer >= ${min}, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new TrainConfigError(flag, 'needs a value');
      i++;
      return v;
    };
    switch (flag) {
      case '--redis':
        out.redis = value();
        break;
      case '--role': {
        const r = value();
        if (r !== 'coordinator' && r !== 'worker') throw new TrainConfigError('--role', `must be coordinator or worker, got '${r}'`);
        out.role = r;
        break;
      }
      case '--prefix':
        out.prefix = value();
        break;
      case '--slice-size':
        out.sliceSize = posInt(flag, value());
        break;
      case '--slice-timeout':
        out.sliceTimeoutMs = posInt(flag, value()) * 1000;
        break;
      case '--no-held-out':
        out.heldOut = false;
        break;
      case '--worker-id':
        out.workerId = value();
        break;
      case '--allow-dataset':
        out.allowDatasets.push(value());
        break;
      case '--exit-when-done':
        out.exitWhenDone = true;
        break;
      case '--heartbeat-ms':
        out.heartbeatMs = posInt(flag, value(), 50);
        break;
      case '--slice-delay-ms':
        out.sliceDelayMs = posInt(flag, value(), 0);
        break;
      case '-h':
      case '--help':
        out.help = true;
        break;
      case '--quiet':
        out.quiet = true;
        out.rest.push(a);
        break;
      default:
        out.rest.push(a);
        if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith('--') && a.startsWith('--') && !['--print-config'].includes(a)) out.rest.push(argv[++i]);
    }
  }
  if (out.help) return out;
  if (!out.redis) throw new TrainConfigError('--redis', 'is required with --role (e.g. --redis redis://127.0.0.1:6379)');
  if (!out.role) throw new TrainConfigError('--role', 'is required with --redis: coordinator or worker');
  if (out.role === 'worker' && out.rest.some((x) => x !== '--quiet')) {
    throw new TrainConfigError(out.rest.find((x) => x !== '--quiet')!, 'a worker takes its config from the coordinator; only worker options are allowed (see --help)');
  }
  return out;
}

export async function distributedMain(argv: string[], parseTrainArgs: ParseTrainArgs): Promise<number> {
  let args: DistArgs;
  try {
    args = parseDistributedArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --role coordinator --help for the options.`);
    return 2;
  }
  if (args.help) {
    console.log(DISTRIBUTED_HELP);
    return 0;
  }
  try {
    return args.role === 'worker' ? await worker(args) : await coordinator(args, parseTrainArgs);
  } catch (e) {
    if (e instanceof CheckpointError || e instanceof TrainConfigError || e instanceof ProtocolError || /cannot reach Redis|--redis/.test((e as Error).message)) {
      console.error(`\n${(e as Error).name}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

async function worker(args: DistArgs): Promise<number> {
  let stop = false;
  const onSignal = () => {
    if (stop) process.exit(130);
    stop = true;
    console.error('worker: stopping after the current slice (again to exit now)');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runWorker({
      redis: args.redis!,
      prefix: args.prefix,
      id: args.workerId,
      heartbeatMs: args.heartbeatMs,
      allowDatasets: args.allowDatasets,
      sliceDelayMs: args.sliceDelayMs,
      exitWhenDone: args.exitWhenDone,
      shouldStop: () => stop,
      log: args.quiet ? (s) => (/dropped|stopped|joined|error/.test(s) ? console.error(s) : undefined) : undefined,
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return 0;
}

async function coordinator(args: DistArgs, parseTrainArgs: ParseTrainArgs): Promise<number> {
  const parsed = parseTrainArgs(args.rest);
  if (parsed.help) {
    console.log(DISTRIBUTED_HELP);
    return 0;
  }
  let config: TrainConfig;
  if (parsed.resume) {
    const c = loadCheckpointFile(parsed.resume);
    config = { ...c.config, generations: parsed.generations ?? c.config.generations };
  } else {
    config = parsed.config!;
  }
  const ev = await DistributedEvaluator.connect(config, {
    redis: args.redis!,
    prefix: args.prefix,
    sliceSize: args.sliceSize,
    sliceTimeoutMs: args.sliceTimeoutMs,
  });
  if (!parsed.quiet) console.error(`coordinator on ${hostname()}: run ${ev.run.slice(0, 8)} published at ${redactUrl(args.redis!)} (prefix ${args.prefix ?? 'vsml'}); waiting for workers`);
  setProgressStatus(() => ev.statusLine());
  try {
    const r = await runTraining({
      config: parsed.config,
      resume: parsed.resume,
      generations: parsed.generations,
      out: parsed.out,
      quiet: parsed.quiet,
      handleSignals: true,
      evaluator: () => ev,
      heldOut: args.heldOut,
    });
    if (r.outcome === 'completed') await ev.markDone();
    console.log(summary(r, config));
    return 0;
  } finally {
    setProgressStatus(undefined);
    await ev.close();
  }
}
