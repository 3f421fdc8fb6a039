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
import { type OptionSpecs, UsageError, argvOf, defineCommand, helpText, intArg, parseCommand } from './args';
import { onInterrupt } from './interrupt';
import { type ParsedArgs, TRAIN_OPTIONS, parseTrainArgs } from './train-args';

const DIST_OPTIONS = {
  redis: {
    type: 'string',
    value: 'URL',
    description:
      'redis://[user:password@]host:port[/db], or rediss://... for TLS (password also from $VSML_REDIS_PASSWORD; CA file from $VSML_REDIS_CA)',
  },
  role: {
    type: 'string',
    value: 'ROLE',
    choices: ['coordinator', 'worker'],
    description: 'this process: the outer loop, or a worker evaluating member ranges',
  },
  prefix: { type: 'string', value: 'NAME', defaultText: 'vsml', description: 'Redis key prefix: one run per prefix' },
  'slice-size': {
    type: 'string',
    value: 'N',
    defaultText: 'population / 8',
    description: 'coordinator: members per job',
  },
  'slice-timeout': {
    type: 'string',
    value: 'S',
    defaultText: '120',
    description: 'coordinator: seconds a slice may run on one worker before it is given to another too',
  },
  'no-held-out': { type: 'boolean', description: 'coordinator: skip the closing held-out comparison' },
  'worker-id': {
    type: 'string',
    value: 'ID',
    defaultText: 'host-pid',
    description: 'worker: unique name, [A-Za-z0-9_.-]',
  },
  'allow-dataset': {
    type: 'string',
    value: 'D',
    multiple: true,
    description:
      'worker: also load dataset D (an IDX directory or URL) when a run names it; mnist and fashion-mnist are always allowed',
  },
  'exit-when-done': { type: 'boolean', description: 'worker: exit when the coordinator finishes its run' },
  'heartbeat-ms': {
    type: 'string',
    value: 'N',
    defaultText: '1000',
    description: 'worker: heartbeat period (a worker silent for 4 periods is dead)',
  },
  'slice-delay-ms': {
    type: 'string',
    value: 'N',
    description: 'worker: sleep before each slice (simulates a slow GPU; tests)',
  },
} as const satisfies OptionSpecs;

export const DISTRIBUTED_COMMAND = defineCommand({
  name: 'train',
  usage: `--redis URL --role coordinator [training options, or --resume CHECKPOINT] [options]
       npm run train -- --redis URL --role worker [--quiet] [options]`,
  description: `The coordinator runs the outer loop (strategy, checkpoints, metrics, progress) and publishes each
generation to Redis as seeds; workers (any number, on any machines, joining and leaving at any
time) evaluate member ranges on their own GPU and return the fitness values. The result is bit for
bit the single-process run's (workers on the same kind of adapter). docs/distributed.md explains it.`,
  options: { ...DIST_OPTIONS, ...TRAIN_OPTIONS },
  groups: [
    { title: 'Distributed options:', names: Object.keys(DIST_OPTIONS) },
    { title: 'Training options (coordinator; a worker takes only --quiet):', names: Object.keys(TRAIN_OPTIONS) },
  ],
});

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
  /** The ordinary training options, as given (coordinator). */
  rest: string[];
}

export function parseDistributedArgs(argv: string[]): DistArgs {
  const parsed = parseCommand(DISTRIBUTED_COMMAND, argv);
  if (!parsed) return { heldOut: true, allowDatasets: [], exitWhenDone: false, quiet: false, help: true, rest: [] };
  const v = parsed.values;
  const opt = (flag: string, s: string | undefined, min: number) =>
    s === undefined ? undefined : intArg(flag, s, min);
  const out: DistArgs = {
    redis: v.redis,
    role: v.role as DistArgs['role'],
    prefix: v.prefix,
    sliceSize: opt('--slice-size', v['slice-size'], 1),
    sliceTimeoutMs:
      v['slice-timeout'] === undefined ? undefined : intArg('--slice-timeout', v['slice-timeout'], 1) * 1000,
    heldOut: !v['no-held-out'],
    workerId: v['worker-id'],
    allowDatasets: v['allow-dataset'],
    exitWhenDone: v['exit-when-done'],
    heartbeatMs: opt('--heartbeat-ms', v['heartbeat-ms'], 50),
    sliceDelayMs: opt('--slice-delay-ms', v['slice-delay-ms'], 0),
    quiet: v.quiet,
    help: false,
    rest: argvOf(parsed.tokens, Object.keys(TRAIN_OPTIONS)),
  };
  if (!out.redis) throw new UsageError('--redis', 'is required with --role (e.g. --redis redis://127.0.0.1:6379)');
  if (!out.role) throw new UsageError('--role', 'is required with --redis: coordinator or worker');
  if (out.role === 'worker' && out.rest.some((x) => x !== '--quiet')) {
    throw new UsageError(
      out.rest.find((x) => x !== '--quiet')!,
      'a worker takes its config from the coordinator; only worker options are allowed (see --help)',
    );
  }
  return out;
}

export async function distributedMain(argv: string[]): Promise<number> {
  let args: DistArgs;
  let train: ParsedArgs | undefined;
  try {
    args = parseDistributedArgs(argv);
    if (args.role === 'coordinator') train = parseTrainArgs(args.rest);
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --role coordinator --help for the options.`);
    return 2;
  }
  if (args.help) {
    console.log(helpText(DISTRIBUTED_COMMAND));
    return 0;
  }
  try {
    return args.role === 'worker' ? await worker(args) : await coordinator(args, train!);
  } catch (e) {
    if (
      e instanceof CheckpointError ||
      e instanceof TrainConfigError ||
      e instanceof ProtocolError ||
      /cannot reach Redis|--redis/.test((e as Error).message)
    ) {
      console.error(`\n${(e as Error).name}: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

async function worker(args: DistArgs): Promise<number> {
  const interrupt = onInterrupt({
    message: 'worker: stopping after the current slice (again to exit now)',
    signals: ['SIGINT', 'SIGTERM'],
  });
  try {
    await runWorker({
      redis: args.redis!,
      prefix: args.prefix,
      id: args.workerId,
      heartbeatMs: args.heartbeatMs,
      allowDatasets: args.allowDatasets,
      sliceDelayMs: args.sliceDelayMs,
      exitWhenDone: args.exitWhenDone,
      shouldStop: () => interrupt.stopRequested,
      log: args.quiet ? (s) => (/dropped|stopped|joined|error/.test(s) ? console.error(s) : undefined) : undefined,
    });
  } finally {
    interrupt.dispose();
  }
  return 0;
}

async function coordinator(args: DistArgs, parsed: ParsedArgs): Promise<number> {
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
  if (!parsed.quiet)
    console.error(
      `coordinator on ${hostname()}: run ${ev.run.slice(0, 8)} published at ${redactUrl(args.redis!)} (prefix ${args.prefix ?? 'vsml'}); waiting for workers`,
    );
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
