/**
 * Distributed meta-training over a real redis-server on loopback (password-protected), with the
 * tiny learner on SwiftShader:
 *
 * 1. one coordinator and three workers as separate processes (`npm run train -- --redis ...`);
 *    one worker is SIGKILLed while it holds a slice, the coordinator is SIGKILLed after its
 *    checkpoint and restarted with --resume; the parameters equal the single-process run's bits;
 * 2. malformed, oversized, stale and forged messages on every queue while a coordinator and a
 *    worker (in this process) run: each is reported and dropped, and the run still ends with the
 *    single-process bits.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseTrainArgs } from '../src/cli/train';
import { DistributedEvaluator } from '../src/meta/distributed/coordinator';
import { encodeJob, encodeResult, redisKeys } from '../src/meta/distributed/messages';
import { runWorker } from '../src/meta/distributed/worker';
import { loadCheckpointFile, readMetrics } from '../src/meta/node/io';
import { runTraining } from '../src/cli/run-training';
import { stringifyState } from '../src/meta/serialize';
import type { TrainConfig } from '../src/meta/train-config';
import type { GenerationMetrics } from '../src/meta/trainer';
import { useGpu } from './helpers/gpu';
import { type RedisServer, type Spawned, spawnTrain, startRedis, stopProcess } from './helpers/redis';
import { redisSkipReason } from './helpers/services';

const ROOT = resolve(__dirname, '..');
const gpu = useGpu();
const dir = mkdtempSync(join(tmpdir(), 'vsml-dist-'));
const TRAIN_ARGS = ['--preset', 'tiny', '--generations', '6', '--checkpoint-every', '2'];
const config: TrainConfig = parseTrainArgs(TRAIN_ARGS).config!;

let redis: RedisServer;
let ref: { strategy: string; params: Uint32Array; metrics: unknown[] };
const procs: Spawned[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`timed out waiting for: ${what}\n${procs.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
    await sleep(50);
  }
}

/** The deterministic part of a metrics line (timings and throughput vary). */
const stable = (m: GenerationMetrics) => ({
  generation: m.generation,
  fitness: m.fitness,
  centre: m.centre,
  strategy: m.strategy,
  acc: m.queryAccuracy,
  oce: m.onlineCrossEntropy,
});

function result(out: string) {
  const c = loadCheckpointFile(join(out, 'checkpoint.json'));
  return {
    strategy: stringifyState(c.strategy),
    params: new Uint32Array(c.metaParams.buffer, c.metaParams.byteOffset, c.metaParams.length),
    metrics: readMetrics<GenerationMetrics>(join(out, 'metrics.jsonl')).map(stable),
  };
}

const redisMissing = redisSkipReason();
if (redisMissing) console.warn(`skipping the distributed tests: ${redisMissing}`);

beforeAll(async () => {
  if (redisMissing || gpu.missing()) return;
  redis = await startRedis();
  // The single-process reference, same config, same adapter.
  const r = await runTraining({ config, out: join(dir, 'single'), gpu: gpu(), quiet: true, heldOut: false });
  expect(r.outcome).toBe('completed');
  ref = result(r.outDir);
  expect(ref.metrics).toHaveLength(6);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => stopProcess(p.proc, 'SIGKILL')));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

beforeEach((ctx) => {
  if (redisMissing) ctx.skip(redisMissing);
});

describe('coordinator and workers over Redis', () => {
  it('a worker SIGKILLed mid-generation and a coordinator restarted from its checkpoint: same bits as one process', async () => {
    const out = join(dir, 'dist');
    const prefix = 'kill';
    const keys = redisKeys(prefix);
    const probe = new Redis(redis.url, { lazyConnect: true });
    await probe.connect();
    // The password reaches workers through the environment, the coordinator through its URL.
    const plainUrl = `redis://127.0.0.1:${redis.port}`;
    const env = { VSML_REDIS_PASSWORD: redis.password };
    const common = ['--prefix', prefix];
    const coordArgs = [
      '--redis',
      redis.url,
      '--role',
      'coordinator',
      ...common,
      '--slice-size',
      '2',
      '--slice-timeout',
      '60',
      '--no-held-out',
    ];
    const worker = (id: string, extra: string[] = []) =>
      spawnTrain(
        ROOT,
        [
          '--redis',
          plainUrl,
          '--role',
          'worker',
          ...common,
          '--worker-id',
          id,
          '--heartbeat-ms',
          '300',
          '--exit-when-done',
          ...extra,
        ],
        env,
      );
    try {
      const c1 = spawnTrain(ROOT, [...coordArgs, ...TRAIN_ARGS, '--out', out]);
      // A little slowness keeps generations long enough to kill the coordinator in the middle of the run.
      const w1 = worker('w1', ['--slice-delay-ms', '150']);
      const w2 = worker('w2', ['--slice-delay-ms', '150']);
      // The victim is slow, so it is caught holding a slice.
      const w3 = worker('w3', ['--slice-delay-ms', '2500']);
      procs.push(c1, w1, w2, w3);

      await until('w3 holds a slice', async () => (await probe.llen(keys.wip('w3'))) > 0);
      const held = await probe.lrange(keys.wip('w3'), 0, -1);
      w3.proc.kill('SIGKILL');
      await w3.exited;
      expect(JSON.parse(held[0])).toMatchObject({ type: 'job', v: 1 });

      await until(
        'the first checkpoint (generation 2)',
        () =>
          existsSync(join(out, 'checkpoint.json')) && loadCheckpointFile(join(out, 'checkpoint.json')).generation >= 2,
      );
      c1.proc.kill('SIGKILL');
      await c1.exited;
      const killedAt = loadCheckpointFile(join(out, 'checkpoint.json')).generation;
      expect(killedAt).toBeLessThan(6);

      const c2 = spawnTrain(ROOT, [...coordArgs, '--resume', join(out, 'checkpoint.json')]);
      procs.push(c2);
      await until('the restarted coordinator finishes', () => c2.proc.exitCode !== null);
      expect(c2.proc.exitCode, c2.output()).toBe(0);
      expect(c2.output()).toMatch(new RegExp(`resuming at generation ${killedAt}`));
      // The dead worker's slice went to another worker (noticed by whichever coordinator was running).
      expect(c1.output() + c2.output()).toMatch(/worker w3 stopped responding; reassigning 1 slice/);
      // The progress line shows the cluster.
      expect(c1.output() + c2.output()).toMatch(/workers \d+ \| slices \d+\/5 outstanding/);

      // The surviving workers leave by themselves once the run is marked done.
      expect(await w1.exited, w1.output()).toBe(0);
      expect(await w2.exited, w2.output()).toBe(0);
      expect(w1.output()).toMatch(/learner steps\/s/);

      const got = result(out);
      expect(got.strategy).toBe(ref.strategy);
      expect(Array.from(got.params)).toEqual(Array.from(ref.params));
      expect(got.metrics).toEqual(ref.metrics);
    } finally {
      probe.disconnect();
    }
  });

  it('malformed, oversized, stale and forged messages are reported and dropped; the run gives the same bits', async () => {
    const prefix = 'mal';
    const keys = redisKeys(prefix);
    const bad = new Redis(redis.url, { lazyConnect: true });
    await bad.connect();
    const logs: string[] = [];
    const log = (s: string) => logs.push(s);
    const HEX = 'ab'.repeat(16);
    const junkJobs = [
      'not json',
      '[1,2,3]',
      JSON.stringify({ v: 2, type: 'job' }),
      encodeJob({ runId: HEX, generation: 0, genId: HEX, slice: 0, lo: 0, hi: 2 }).replace(
        '"v":1',
        '"v":1,"pad":"' + 'x'.repeat(2000) + '"',
      ),
      encodeJob({ runId: HEX, generation: 0, genId: HEX, slice: 0, lo: 5, hi: 2 }),
      encodeJob({ runId: HEX, generation: 0, genId: HEX, slice: 0, lo: 0, hi: 2 }), // another run
      '{"v":1,"type":"job","runId":"__proto__","constructor":{"prototype":{"polluted":1}}}',
    ];
    const fake = new Float64Array(2).fill(1e9);
    const junkResults = [
      'garbage',
      'x'.repeat(9 * 1024 * 1024), // over the result limit
      JSON.stringify({ v: 1, type: 'result', runId: HEX }),
      encodeResult({
        runId: HEX,
        generation: 0,
        genId: HEX,
        slice: 0,
        lo: 0,
        hi: 2,
        worker: 'evil',
        adapter: 'x',
        learnerSteps: 1,
        timeMs: { tasks: 0, build: 0, episodes: 0 },
        fitness: fake,
        queryAccuracy: fake,
        queryCrossEntropy: fake,
        onlineCrossEntropy: fake,
        onlineAccuracy: new Float64Array(3), // wrong length
      }),
      encodeResult({
        runId: HEX,
        generation: 0,
        genId: HEX,
        slice: 0,
        lo: 0,
        hi: 2,
        worker: 'evil',
        adapter: 'x',
        learnerSteps: 1,
        timeMs: { tasks: 0, build: 0, episodes: 0 },
        fitness: fake,
        queryAccuracy: fake,
        queryCrossEntropy: fake,
        onlineCrossEntropy: fake,
        onlineAccuracy: fake, // well-formed, another run
      }),
    ];
    const inject = async () => {
      await bad.rpush(keys.jobs, ...junkJobs);
      // Also straight into the worker's own work-in-progress list, which it reads first.
      await bad.rpush(keys.wip('solo'), ...junkJobs);
      await bad.rpush(keys.results, ...junkResults);
      await bad.sadd(keys.workers, 'ghost', 'x y');
      await bad.set(keys.worker('ghost'), '{"v":1,"type":"worker","id":"ghost","pid":"not a number"}');
      await bad.rpush(keys.wip('ghost'), 'junk in a ghost list');
    };
    await inject(); // before the run starts...

    const ev = await DistributedEvaluator.connect(config, { redis: redis.url, prefix, sliceSize: 3, tickMs: 100, log });
    let stop = false;
    let injectedDuring = false;
    let secondCoordinator = '';
    const workerDone = runWorker({
      redis: redis.url,
      prefix,
      id: 'solo',
      gpu: gpu(),
      heartbeatMs: 300,
      shouldStop: () => stop,
      log,
    });
    // ...and while it runs (after its first generation).
    const metricsPath = join(dir, 'mal', 'metrics.jsonl');
    const during = (async () => {
      await until(
        'generation 1',
        () => existsSync(metricsPath) && readFileSync(metricsPath, 'utf8').split('\n').length > 2,
      );
      await inject();
      // One coordinator per prefix: a second one is refused while this one runs.
      secondCoordinator = await DistributedEvaluator.connect(config, {
        redis: redis.url,
        prefix,
        lockWaitMs: 300,
        log,
      }).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
      injectedDuring = true;
    })();
    try {
      const r = await runTraining({
        config,
        out: join(dir, 'mal'),
        gpu: gpu(),
        quiet: true,
        evaluator: () => ev,
        heldOut: false,
      });
      expect(r.outcome).toBe('completed');
      await during;
      expect(injectedDuring).toBe(true);
      expect(secondCoordinator).toMatch(/another coordinator is running on prefix 'mal'/);

      const got = result(r.outDir);
      expect(got.strategy).toBe(ref.strategy);
      expect(Array.from(got.params)).toEqual(Array.from(ref.params));
      expect(got.metrics).toEqual(ref.metrics);
    } finally {
      stop = true;
      await workerDone;
      await ev.close();
      bad.disconnect();
    }
    const text = logs.join('\n');
    if (process.env.VSML_TEST_VERBOSE) console.log(text);
    expect(text).toMatch(/coordinator: dropped a result: result message: not valid JSON/);
    expect(text).toMatch(/coordinator: dropped a result: result message: 9437184 bytes, over the 8388608-byte limit/);
    expect(text).toMatch(/coordinator: dropped a result: result\.onlineAccuracy: expected 2 values/);
    expect(text).toMatch(/coordinator: ignored the status of worker 'ghost'/);
    expect(text).toMatch(/coordinator: removed \d+ stale or malformed job\(s\) from the queue/);
    expect(text).toMatch(/worker solo: dropped a job: job message: not valid JSON/);
    expect(text).toMatch(/worker solo: dropped a job: job message: not a JSON object/);
    expect(text).toMatch(/worker solo: dropped a job: job message: protocol version 2, this build speaks version 1/);
    expect(text).toMatch(/worker solo: dropped a job: job message: \d+ bytes, over the 1024-byte limit/);
    expect(text).toMatch(/worker solo: dropped a job: job\.hi: expected an integer/);
    expect(text).toMatch(
      /worker solo: dropped a job: job of run abababab, the published run is [0-9a-f]{8} \(stale job\)/,
    );
    expect(text).toMatch(/worker solo: dropped a job: job\.lo: expected an integer in \[0, \d+\], got undefined/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Well-formed results of another run are ignored without noise; nothing executed, nothing lost.
    expect(text).not.toMatch(/evil/);
  });
});
