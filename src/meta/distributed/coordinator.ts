/**
 * The coordinator side of distributed meta-training: an Evaluator that, instead of running the
 * population on the local GPU, publishes the generation to Redis, cuts it into member ranges
 * (jobs), and collects one result per range from whichever workers take them. The trainer,
 * checkpoints, metrics and resume are the ordinary ones (runTraining with this evaluator), so a
 * distributed run and a single-process run with the same config give the same bits: a member's
 * fitness does not depend on which worker, or which GPU batch, evaluated it
 * (tests/distributed-slices.test.ts), given workers on the same kind of adapter.
 *
 * Fault tolerance, by reconciliation every `tickMs`: a slice that is neither done, nor waiting in
 * the queue, nor in the work-in-progress list of a live worker (heartbeat key present) for less
 * than `sliceTimeoutMs`, is queued (again). So a dead worker's slices are reassigned once its
 * heartbeat expires, a stalled worker's after the timeout, and a coordinator restarted from a
 * checkpoint picks up whatever is still queued, in progress or already answered for the same
 * generation. The first valid result of a slice wins; duplicate, late, stale (another generation
 * or run) and malformed results are counted and dropped.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Evaluator, GenerationEval, MemberMetrics } from '../evaluator';
import type { PopulationSpec } from '../../rng/noise';
import type { TrainConfig } from '../train-config';
import {
  type JobMessage,
  MAX_BYTES,
  ProtocolError,
  type RedisKeys,
  type ResultMessage,
  type WorkerStatus,
  decodeJob,
  decodeResult,
  decodeWorkerStatus,
  encodeGen,
  encodeJob,
  encodeRun,
  planSlices,
  redisKeys,
  runIdOf,
} from './messages';
import { connectRedis, isRedisConnectionError } from './redis';

export interface CoordinatorOptions {
  redis: string;
  prefix?: string;
  /** Members per job (default: population / 8, at least 1). */
  sliceSize?: number;
  /** A slice in progress longer than this is given to another worker too. */
  sliceTimeoutMs?: number;
  /** Reconciliation period. */
  tickMs?: number;
  /** How long to wait for another coordinator's lock on the prefix before giving up (default: its TTL + 5 s). */
  lockWaitMs?: number;
  log?: (line: string) => void;
}

export interface ClusterStatus {
  workersAlive: number;
  slicesOutstanding: number;
  slicesTotal: number;
  /** Sum of the live workers' reported learner steps/s. */
  workerStepsPerSecond: number;
  reassigned: number;
  dropped: number;
}

const now = () => performance.now();
/** The coordinator lock's lifetime; refreshed every tick. */
const LOCK_TTL_MS = 3000;

export class DistributedEvaluator implements Evaluator {
  private readonly keys: RedisKeys;
  private readonly runId: string;
  private readonly log: (line: string) => void;
  private readonly tickMs: number;
  private readonly sliceTimeoutMs: number;
  private readonly status: ClusterStatus = {
    workersAlive: 0,
    slicesOutstanding: 0,
    slicesTotal: 0,
    workerStepsPerSecond: 0,
    reassigned: 0,
    dropped: 0,
  };
  /** First time (coordinator clock) each worker/slice pair was seen in progress. */
  private readonly seenSince = new Map<string, number>();
  private readonly adapters = new Set<string>();
  private destroyed = false;
  /** This coordinator's lock value. */
  readonly nonce = randomBytes(16).toString('hex');
  /** The current generation's message (republished if Redis lost it). */
  private genText = '';

  private constructor(
    private readonly cmd: Redis,
    private readonly blocking: Redis,
    readonly config: TrainConfig,
    private readonly opts: CoordinatorOptions,
  ) {
    this.keys = redisKeys(opts.prefix ?? 'vsml');
    this.runId = runIdOf(config);
    this.log = opts.log ?? ((s) => console.error(s));
    this.tickMs = opts.tickMs ?? 250;
    this.sliceTimeoutMs = opts.sliceTimeoutMs ?? 120_000;
  }

  static async connect(config: TrainConfig, opts: CoordinatorOptions): Promise<DistributedEvaluator> {
    const cmd = await connectRedis(opts.redis, 'vsml-coordinator');
    const blocking = await connectRedis(opts.redis, 'vsml-coordinator-results');
    const ev = new DistributedEvaluator(cmd, blocking, config, opts);
    const keys = ev.keys;
    // One coordinator per prefix: a lock with a short TTL, refreshed every tick. A restarted
    // coordinator waits for the lock of the one it replaces (SIGKILLed: at most LOCK_TTL_MS).
    const t0 = now();
    let said = false;
    while ((await cmd.set(keys.lock, ev.nonce, 'PX', LOCK_TTL_MS, 'NX')) !== 'OK') {
      if (now() - t0 > (opts.lockWaitMs ?? LOCK_TTL_MS + 5000)) {
        await ev.close();
        throw new ProtocolError(
          `another coordinator is running on prefix '${opts.prefix ?? 'vsml'}' (key ${keys.lock}); stop it or choose another --prefix`,
        );
      }
      if (!said) ev.log(`coordinator: waiting for the previous coordinator's lock on ${keys.lock} to expire`);
      said = true;
      await new Promise((r) => setTimeout(r, 200));
    }
    // A run marked done under this prefix is over; this one starts (or resumes) now.
    await cmd.multi().set(keys.run, encodeRun(config)).del(keys.done).exec();
    return ev;
  }

  get run(): string {
    return this.runId;
  }

  /** Workers alive and slices outstanding, for the progress bar. */
  cluster(): ClusterStatus {
    return { ...this.status };
  }

  statusLine(): string {
    const s = this.status;
    return (
      `workers ${s.workersAlive} | slices ${s.slicesOutstanding}/${s.slicesTotal} outstanding` +
      (s.reassigned ? ` | reassigned ${s.reassigned}` : '') +
      (s.dropped ? ` | dropped ${s.dropped}` : '')
    );
  }

  /** Mark the run completed (workers started with exitWhenDone leave). */
  async markDone(): Promise<void> {
    await this.cmd.set(this.keys.done, this.runId);
  }

  async evaluate(spec: PopulationSpec, generation: number): Promise<GenerationEval> {
    const { cmd, keys } = this;
    const t0 = now();
    const P = spec.members.length;
    const size = this.opts.sliceSize ?? Math.max(1, Math.ceil(P / 8));
    const slices = planSlices(P, size);
    const { text, genId } = encodeGen(this.runId, generation, spec);
    if (Buffer.byteLength(text) > MAX_BYTES.gen)
      throw new ProtocolError(
        `generation ${generation}: the population message is over ${MAX_BYTES.gen} bytes; lower the population`,
      );
    // The run message again (cheap): a worker that found it missing or clobbered recovers.
    await cmd.multi().set(keys.run, encodeRun(this.config)).set(keys.gen, text).exec();
    this.genText = text;
    const jobs = slices.map((s, i) =>
      encodeJob({ runId: this.runId, generation, genId, slice: i, lo: s.lo, hi: s.hi }),
    );
    const done: (ResultMessage | undefined)[] = new Array(slices.length);
    let remaining = slices.length;
    const dispatched = new Set<number>();
    this.status.slicesTotal = slices.length;
    this.status.slicesOutstanding = remaining;
    this.seenSince.clear();

    const accept = (raw: Buffer | null) => {
      if (!raw) return;
      let r: ResultMessage;
      try {
        if (raw.length > MAX_BYTES.result)
          throw new ProtocolError(`result message: ${raw.length} bytes, over the ${MAX_BYTES.result}-byte limit`);
        r = decodeResult(raw.toString('utf8'));
      } catch (e) {
        this.status.dropped++;
        this.log(`coordinator: dropped a result: ${(e as Error).message}`);
        return;
      }
      if (r.genId !== genId || r.runId !== this.runId || r.generation !== generation) return; // late: another generation
      const s = slices[r.slice];
      if (!s || s.lo !== r.lo || s.hi !== r.hi) {
        this.status.dropped++;
        this.log(
          `coordinator: dropped a result from ${r.worker}: members [${r.lo}, ${r.hi}) are not slice ${r.slice} of generation ${generation}`,
        );
        return;
      }
      if (done[r.slice]) return; // duplicate (a reassigned slice answered twice)
      if (!this.adapters.has(r.adapter)) {
        this.adapters.add(r.adapter);
        if (this.adapters.size > 1)
          this.log(
            `coordinator: warning: workers on different adapters (${[...this.adapters].join('; ')}); fitness bits may then depend on which worker ran a slice`,
          );
      }
      done[r.slice] = r;
      remaining--;
      this.status.slicesOutstanding = remaining;
    };

    let lastTick = -Infinity;
    while (remaining > 0) {
      if (this.destroyed) throw new Error('coordinator: evaluator destroyed during a generation');
      try {
        if (now() - lastTick >= this.tickMs) {
          await this.reconcile(genId, jobs, done, dispatched, accept);
          lastTick = now();
          if (remaining === 0) break;
        }
        const popped = await this.blocking.blpopBuffer(keys.results, Math.max(0.05, this.tickMs / 1000));
        if (popped) accept(popped[1]);
      } catch (e) {
        if (!isRedisConnectionError(e)) throw e;
        // Redis restarted or the network dropped: the queue may be gone; the next reconcile requeues what is missing.
        this.log(`coordinator: Redis unreachable (${(e as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    await cmd.del(keys.jobs); // nothing of this generation is wanted any more

    const metrics: MemberMetrics = {
      queryAccuracy: new Float64Array(P),
      queryCrossEntropy: new Float64Array(P),
      onlineCrossEntropy: new Float64Array(P),
      onlineAccuracy: new Float64Array(P),
    };
    const fitness = new Float64Array(P);
    const timeMs = { tasks: 0, build: 0, episodes: 0 };
    let learnerSteps = 0;
    for (const r of done as ResultMessage[]) {
      learnerSteps += r.learnerSteps;
      fitness.set(r.fitness, r.lo);
      metrics.queryAccuracy.set(r.queryAccuracy, r.lo);
      metrics.queryCrossEntropy.set(r.queryCrossEntropy, r.lo);
      metrics.onlineCrossEntropy.set(r.onlineCrossEntropy, r.lo);
      metrics.onlineAccuracy.set(r.onlineAccuracy, r.lo);
    }
    // Episode time = the generation's wall time over the cluster, so steps/s is the cluster's throughput.
    timeMs.episodes = now() - t0;
    return { fitness, metrics, learnerSteps, timeMs };
  }

  /** One reconciliation pass: workers alive, slices queued / in progress / done; (re)queue the rest. */
  private async reconcile(
    genId: string,
    jobs: string[],
    done: (ResultMessage | undefined)[],
    dispatched: Set<number>,
    accept: (raw: Buffer | null) => void,
  ): Promise<void> {
    const { cmd, keys } = this;
    const covered = new Set<number>();
    const sliceOf = (raw: Buffer): JobMessage | undefined => {
      try {
        const j = decodeJob(raw.toString('utf8'));
        return j.genId === genId ? j : undefined;
      } catch {
        return undefined;
      }
    };
    // 0. Still the coordinator of this prefix (GET then PEXPIRE: no server-side script).
    const holder = await cmd.get(keys.lock);
    if (holder !== null && holder !== this.nonce) {
      throw new ProtocolError(
        `another coordinator took over prefix '${this.opts.prefix ?? 'vsml'}'; stopping this one (its checkpoint is intact)`,
      );
    }
    if (holder === null) await cmd.set(keys.lock, this.nonce, 'PX', LOCK_TTL_MS, 'NX');
    else await cmd.pexpire(keys.lock, LOCK_TTL_MS);
    // The run and generation messages are there (a restarted Redis without persistence loses them).
    if ((await cmd.exists(keys.run, keys.gen)) < 2) {
      this.log('coordinator: the run or generation message was missing from Redis; published again');
      await cmd.multi().set(keys.run, encodeRun(this.config)).set(keys.gen, this.genText).exec();
    }
    // 1. Queued (read before the work-in-progress lists: BLMOVE only moves jobs from here to there).
    const queued = await cmd.lrangeBuffer(keys.jobs, 0, -1);
    let foreign = 0;
    for (const raw of queued) {
      const j = raw.length <= MAX_BYTES.job ? sliceOf(raw) : undefined;
      if (j) covered.add(j.slice);
      else foreign++;
    }
    if (foreign) {
      // Stale jobs of an earlier generation, or junk: workers would drop them; spare them the trip.
      for (const raw of queued) if (!(raw.length <= MAX_BYTES.job && sliceOf(raw))) await cmd.lrem(keys.jobs, 1, raw);
      this.status.dropped += foreign;
      this.log(`coordinator: removed ${foreign} stale or malformed job(s) from the queue`);
    }
    // 2. In progress, per worker; dead workers' lists are taken back.
    const ids = await cmd.smembers(keys.workers);
    let alive = 0;
    let rate = 0;
    const t = now();
    const seenNow = new Set<string>();
    for (const id of ids) {
      let status: WorkerStatus | undefined;
      let raw: string | null = null;
      try {
        raw = await cmd.get(keys.worker(id));
        if (raw !== null) status = decodeWorkerStatus(raw);
      } catch (e) {
        this.status.dropped++;
        this.log(`coordinator: ignored the status of worker '${id.slice(0, 64)}': ${(e as Error).message}`);
      }
      if (raw === null || !status || status.id !== id) {
        // Dead (heartbeat expired) or not a worker at all: its slices are reassigned below.
        const lost = await cmd.lrangeBuffer(keys.wip(id), 0, -1);
        await cmd.multi().del(keys.wip(id)).srem(keys.workers, id).exec();
        const mine = lost.map(sliceOf).filter((j): j is JobMessage => !!j && !done[j.slice]);
        if (raw === null && mine.length)
          this.log(`coordinator: worker ${id} stopped responding; reassigning ${mine.length} slice(s)`);
        continue;
      }
      alive++;
      rate += status.stepsPerSecond;
      for (const rawJob of await cmd.lrangeBuffer(keys.wip(id), 0, -1)) {
        const j = sliceOf(rawJob);
        if (!j) continue;
        const k = `${id}/${j.slice}`;
        seenNow.add(k);
        const since = this.seenSince.get(k) ?? t;
        this.seenSince.set(k, since);
        if (t - since < this.sliceTimeoutMs) covered.add(j.slice);
        else if (!done[j.slice] && !covered.has(j.slice) && since !== -1) {
          this.log(
            `coordinator: slice ${j.slice} stalled on worker ${id} for ${Math.round((t - since) / 1000)} s; giving it to another worker too`,
          );
        }
      }
    }
    for (const k of this.seenSince.keys()) if (!seenNow.has(k)) this.seenSince.delete(k);
    this.status.workersAlive = alive;
    this.status.workerStepsPerSecond = rate;
    // 3. Results that arrived meanwhile (a slice finished after step 2 read its list is here).
    for (;;) {
      const raw = await cmd.lpopBuffer(keys.results);
      if (!raw) break;
      accept(raw);
    }
    // 4. Queue what nobody has.
    const push: string[] = [];
    for (let i = 0; i < jobs.length; i++) {
      if (done[i] || covered.has(i)) continue;
      if (dispatched.has(i)) this.status.reassigned++;
      dispatched.add(i);
      push.push(jobs[i]);
    }
    if (push.length) await cmd.rpush(keys.jobs, ...push);
  }

  /** Ends a generation in flight (the trainer calls this when it stops); close() drops the connections. */
  destroy(): void {
    this.destroyed = true;
  }

  async close(): Promise<void> {
    try {
      // Release the lock if it is still ours (a successor then starts at once).
      if (this.cmd.status === 'ready' && (await this.cmd.get(this.keys.lock)) === this.nonce)
        await this.cmd.del(this.keys.lock);
    } catch {
      /* it expires by itself */
    }
    this.destroyed = true;
    this.cmd.disconnect();
    this.blocking.disconnect();
  }
}
