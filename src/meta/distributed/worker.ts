/**
 * A distributed-training worker: takes jobs (member ranges of a generation) from Redis, evaluates
 * them on its own GPU with the ordinary VsmlEvaluator, and returns one fitness value (plus the four
 * episode metrics) per member. Any number of workers may join or leave at any time.
 *
 * Reliable-queue pattern: BLMOVE moves a job atomically from the shared queue to this worker's
 * own work-in-progress list; the result is pushed and the job removed from that list in one
 * MULTI. A worker that dies leaves its job in its list and stops refreshing its heartbeat key;
 * the coordinator then requeues the job (see coordinator.ts).
 */
import { hostname } from 'node:os';
import { subsetSplit } from '../../data/dataset';
import { loadDataset } from '../../data/load-node';
import { acquireGpu } from '../../gpu/acquire';
import type { GpuContext } from '../../gpu/context';
import { VsmlEvaluator } from '../evaluator';
import {
  type GenMessage,
  type JobMessage,
  MAX_BYTES,
  ProtocolError,
  type RedisKeys,
  type RunMessage,
  WORKER_ID,
  decodeGen,
  decodeJob,
  decodeRun,
  encodeResult,
  encodeWorkerStatus,
  redisKeys,
  sliceSpec,
} from './messages';
import { connectRedis, isRedisConnectionError } from './redis';

/** Datasets a worker loads without being told so on its own command line. */
export const BUILTIN_DATASETS = ['mnist', 'fashion-mnist'];

export interface WorkerOptions {
  redis: string;
  prefix?: string;
  /** Unique per worker (default host-pid). */
  id?: string;
  /** Heartbeat period; the heartbeat key lives 4 periods. */
  heartbeatMs?: number;
  /** Extra datasets (directories or URLs) this worker may load when a run's config names them. */
  allowDatasets?: string[];
  /** Sleep this long before evaluating each slice (simulates a slow GPU; tests and demos). */
  sliceDelayMs?: number;
  /** Exit once the coordinator marks the current run completed. */
  exitWhenDone?: boolean;
  /** Use this GPU instead of acquiring one (it is not destroyed). */
  gpu?: GpuContext;
  log?: (line: string) => void;
  /** Polled between jobs: true stops the worker. */
  shouldStop?: () => boolean;
}

export interface WorkerSummary {
  id: string;
  slicesDone: number;
  learnerSteps: number;
  dropped: number;
}

interface Loaded {
  run: RunMessage;
  evaluator: VsmlEvaluator;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runWorker(opts: WorkerOptions): Promise<WorkerSummary> {
  const id =
    opts.id ??
    `${hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '_')
      .slice(0, 40)}-${process.pid}`;
  if (!WORKER_ID.test(id)) throw new Error(`worker id '${id}' must be 1-64 characters of [A-Za-z0-9_.-]`);
  const keys: RedisKeys = redisKeys(opts.prefix ?? 'vsml');
  const log = opts.log ?? ((s: string) => console.error(s));
  const hbMs = opts.heartbeatMs ?? 1000;
  const allowed = new Set([...BUILTIN_DATASETS, ...(opts.allowDatasets ?? [])]);

  const cmd = await connectRedis(opts.redis, `vsml-worker-${id}`);
  const blocking = await connectRedis(opts.redis, `vsml-worker-${id}-queue`);
  const gpu = opts.gpu ?? (await acquireGpu());
  const adapter = gpu
    .describe()
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 200);
  const startedAt = new Date().toISOString();
  const stats = { slicesDone: 0, learnerSteps: 0, evalMs: 0, dropped: 0 };
  let busy = '';
  let loaded: Loaded | undefined;
  let gen: GenMessage | undefined;

  const heartbeat = async () => {
    const status = encodeWorkerStatus({
      id,
      host: hostname()
        .replace(/[^\x20-\x7e]/g, '?')
        .slice(0, 200),
      pid: process.pid,
      adapter,
      startedAt,
      slicesDone: stats.slicesDone,
      learnerSteps: stats.learnerSteps,
      stepsPerSecond: stats.evalMs > 0 ? (stats.learnerSteps / stats.evalMs) * 1000 : 0,
      busy,
    });
    await cmd
      .multi()
      .set(keys.worker(id), status, 'PX', 4 * hbMs)
      .sadd(keys.workers, id)
      .exec();
  };
  const beat = () => {
    heartbeat().catch((e) => log(`worker ${id}: heartbeat failed: ${(e as Error).message}`));
  };

  /** A length-checked GET: oversized values are refused before they are decoded. */
  const getBounded = async (key: string, max: number): Promise<string | null> => {
    const len = await cmd.strlen(key);
    if (len > max) throw new ProtocolError(`${key}: ${len} bytes, over the ${max}-byte limit`);
    return cmd.get(key);
  };

  const drop = async (raw: Buffer, why: string) => {
    stats.dropped++;
    log(`worker ${id}: dropped a job: ${why}`);
    await cmd.lrem(keys.wip(id), 1, raw);
  };

  async function ensureRun(job: JobMessage): Promise<Loaded | string> {
    if (loaded?.run.runId === job.runId) return loaded;
    let run: RunMessage;
    try {
      run = decodeRun(await getBounded(keys.run, MAX_BYTES.run));
    } catch (e) {
      return `the run message is unusable: ${(e as Error).message}`;
    }
    if (run.runId !== job.runId)
      return `job of run ${job.runId.slice(0, 8)}, the published run is ${run.runId.slice(0, 8)} (stale job)`;
    const c = run.config;
    if (!allowed.has(c.dataset))
      return `run ${run.runId.slice(0, 8)} wants dataset '${c.dataset}', which this worker was not allowed to load (start it with --allow-dataset ${c.dataset})`;
    loaded?.evaluator.destroy();
    loaded = undefined;
    const ds = await loadDataset(c.dataset);
    const train = c.trainSubset > 0 ? subsetSplit(ds.train, c.trainSubset) : ds.train;
    loaded = { run, evaluator: new VsmlEvaluator(gpu, c, train) };
    gen = undefined;
    log(`worker ${id}: joined run ${run.runId.slice(0, 8)} (${c.strategy.kind}, dataset ${c.dataset}) on ${adapter}`);
    return loaded;
  }

  async function ensureGen(job: JobMessage): Promise<GenMessage | string> {
    if (gen?.genId === job.genId) return gen;
    let g: GenMessage;
    try {
      g = decodeGen(await getBounded(keys.gen, MAX_BYTES.gen));
    } catch (e) {
      return `the generation message is unusable: ${(e as Error).message}`;
    }
    if (g.genId !== job.genId || g.runId !== job.runId || g.generation !== job.generation)
      return `job of generation ${job.generation}, the published one is ${g.generation} (stale job)`;
    if (job.hi > g.spec.members.length)
      return `members [${job.lo}, ${job.hi}) outside the population of ${g.spec.members.length}`;
    gen = g;
    return g;
  }

  beat();
  const hbTimer = setInterval(beat, hbMs);
  log(`worker ${id}: waiting for jobs at ${keys.jobs} (${adapter})`);
  /** One job: take, check, evaluate, answer. 'stop' when the run is done and the worker should leave. */
  const once = async (): Promise<'stop' | void> => {
    // A job left in our own list (this id restarted after a crash) is taken first.
    let raw = await cmd.lindexBuffer(keys.wip(id), 0);
    if (!raw) raw = await blocking.blmoveBuffer(keys.jobs, keys.wip(id), 'LEFT', 'RIGHT', 1);
    if (!raw) {
      if (opts.exitWhenDone && loaded && (await cmd.get(keys.done)) === loaded.run.runId) return 'stop';
      return;
    }
    let job: JobMessage;
    try {
      if (raw.length > MAX_BYTES.job)
        throw new ProtocolError(`job message: ${raw.length} bytes, over the ${MAX_BYTES.job}-byte limit`);
      job = decodeJob(raw.toString('utf8'));
    } catch (e) {
      await drop(raw, (e as Error).message);
      return;
    }
    const run = await ensureRun(job);
    if (typeof run === 'string') {
      await drop(raw, run);
      return;
    }
    const g = await ensureGen(job);
    if (typeof g === 'string') {
      await drop(raw, g);
      return;
    }
    busy = `${job.genId.slice(0, 16)}/${job.slice}`;
    beat();
    if (opts.sliceDelayMs) await sleep(opts.sliceDelayMs);
    const t0 = performance.now();
    let ev;
    try {
      ev = await run.evaluator.evaluate(sliceSpec(g.spec, job.lo, job.hi), job.generation);
    } catch (e) {
      // Hand the job back before giving up (a lost device): another worker takes it at once.
      await cmd.multi().lrem(keys.wip(id), 1, raw).lpush(keys.jobs, raw).exec();
      throw e;
    }
    const ms = performance.now() - t0;
    const result = encodeResult({
      runId: job.runId,
      generation: job.generation,
      genId: job.genId,
      slice: job.slice,
      lo: job.lo,
      hi: job.hi,
      worker: id,
      adapter,
      learnerSteps: ev.learnerSteps,
      timeMs: ev.timeMs,
      fitness: ev.fitness,
      queryAccuracy: ev.metrics.queryAccuracy,
      queryCrossEntropy: ev.metrics.queryCrossEntropy,
      onlineCrossEntropy: ev.metrics.onlineCrossEntropy,
      onlineAccuracy: ev.metrics.onlineAccuracy,
    });
    await cmd.multi().rpush(keys.results, result).lrem(keys.wip(id), 1, raw).exec();
    busy = '';
    stats.slicesDone++;
    stats.learnerSteps += ev.learnerSteps;
    stats.evalMs += ms;
    log(
      `worker ${id}: gen ${job.generation} members [${job.lo}, ${job.hi}) in ${(ms / 1000).toFixed(2)} s, ` +
        `${Math.round((ev.learnerSteps / ms) * 1000)} learner steps/s; ${stats.slicesDone} slices, ` +
        `${Math.round((stats.learnerSteps / stats.evalMs) * 1000)} steps/s overall`,
    );
  };

  try {
    while (!opts.shouldStop?.()) {
      try {
        if ((await once()) === 'stop') break;
      } catch (e) {
        if (!isRedisConnectionError(e)) throw e;
        // Redis restarted or the network dropped: a job we held stays in our list and is redone.
        busy = '';
        log(`worker ${id}: Redis unreachable (${(e as Error).message}); retrying`);
        await sleep(1000);
      }
    }
  } finally {
    clearInterval(hbTimer);
    try {
      await cmd.multi().del(keys.worker(id)).srem(keys.workers, id).exec();
    } catch {
      /* the coordinator notices the missing heartbeat */
    }
    loaded?.evaluator.destroy();
    if (!opts.gpu) gpu.destroy();
    cmd.disconnect();
    blocking.disconnect();
  }
  log(`worker ${id}: stopped after ${stats.slicesDone} slices (${stats.dropped} malformed or stale jobs dropped)`);
  return { id, slicesDone: stats.slicesDone, learnerSteps: stats.learnerSteps, dropped: stats.dropped };
}
