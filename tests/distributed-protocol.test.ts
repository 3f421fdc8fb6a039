/** The distributed wire format: round trips bit for bit, and refuses anything malformed with a specific reason. */
import { describe, expect, it } from 'vitest';
import { parseDistributedArgs } from '../src/cli/train-distributed';
import {
  MAX_BYTES,
  decodeGen,
  decodeJob,
  decodeResult,
  decodeRun,
  decodeWorkerStatus,
  encodeGen,
  encodeJob,
  encodeResult,
  encodeRun,
  encodeWorkerStatus,
  planSlices,
  redisKeys,
  runIdOf,
  sliceSpec,
} from '../src/meta/distributed/messages';
import { redactUrl, redisOptions } from '../src/meta/distributed/redis';
import { initGa, ga } from '../src/meta/strategies/ga';
import { presetConfig } from '../src/meta/train-config';

const config = presetConfig('tiny');
const runId = runIdOf(config);
const dim = 10;
const theta = Float32Array.from({ length: dim }, (_, i) => (i - 4.5) / 3);
theta[3] = -0; // signed zero survives
const gaState = initGa({ kind: 'ga', popSize: 6, truncation: 2, elites: 1, sigma: 0.1 }, theta, 7);
const spec = ga.ask(gaState);

describe('messages round-trip', () => {
  it('run: validated config, id = hash of the config without generations', () => {
    const m = decodeRun(encodeRun(config));
    expect(m.config).toEqual(config);
    expect(m.runId).toBe(runId);
    expect(runIdOf({ ...config, generations: 999 })).toBe(runId);
    expect(runIdOf({ ...config, seed: 2 })).not.toBe(runId);
  });

  it('gen: the population recipe, bit for bit', () => {
    const { text, genId } = encodeGen(runId, 3, spec);
    const g = decodeGen(text);
    expect(g.genId).toBe(genId);
    expect(g.generation).toBe(3);
    expect(g.spec.members).toEqual(spec.members);
    expect(new Uint32Array(g.spec.centres[0].buffer)).toEqual(new Uint32Array(spec.centres[0].buffer));
    expect(Object.is(g.spec.centres[0][3], -0)).toBe(true);
    expect(encodeGen(runId, 4, spec).genId).not.toBe(genId);
  });

  it('result: float64 bits (NaN, -0) exactly', () => {
    const f = Float64Array.from([0.1, Number.NaN, -0, -1e300]);
    const r = decodeResult(
      encodeResult({
        runId,
        generation: 1,
        genId: 'a'.repeat(32),
        slice: 2,
        lo: 4,
        hi: 8,
        worker: 'w-1',
        adapter: 'swiftshader',
        learnerSteps: 160,
        timeMs: { tasks: 1, build: 2, episodes: 3 },
        fitness: f,
        queryAccuracy: f,
        queryCrossEntropy: f,
        onlineCrossEntropy: f,
        onlineAccuracy: f,
      }),
    );
    expect(new Uint32Array(r.fitness.buffer)).toEqual(new Uint32Array(f.buffer));
    expect(r).toMatchObject({ slice: 2, lo: 4, hi: 8, worker: 'w-1', learnerSteps: 160 });
  });

  it('job and worker status', () => {
    const j = { runId, generation: 0, genId: 'b'.repeat(32), slice: 1, lo: 2, hi: 4 };
    expect(decodeJob(encodeJob(j))).toMatchObject(j);
    const s = {
      id: 'w1',
      host: 'h',
      pid: 1,
      adapter: 'a',
      startedAt: 't',
      slicesDone: 3,
      learnerSteps: 10,
      stepsPerSecond: 1.5,
      busy: '',
    };
    expect(decodeWorkerStatus(encodeWorkerStatus(s))).toMatchObject(s);
  });

  it('slices cover the population; a slice keeps every member its recipe', () => {
    expect(planSlices(9, 2)).toEqual([
      { lo: 0, hi: 2 },
      { lo: 2, hi: 4 },
      { lo: 4, hi: 6 },
      { lo: 6, hi: 8 },
      { lo: 8, hi: 9 },
    ]);
    expect(sliceSpec(spec, 1, 3).members).toEqual(spec.members.slice(1, 3));
    expect(() => sliceSpec(spec, 3, 99)).toThrow(/outside the population/);
    expect(() => planSlices(9, 0)).toThrow(/slice size/);
  });
});

describe('malformed messages are refused with a reason', () => {
  const job = encodeJob({ runId, generation: 0, genId: 'b'.repeat(32), slice: 1, lo: 2, hi: 4 });
  it.each([
    [null, /expected text, got nothing/],
    ['', /not valid JSON/],
    ['{"v":1', /not valid JSON/],
    ['null', /not a JSON object/],
    ['[]', /not a JSON object/],
    [job.replace('"v":1', '"v":99'), /protocol version 99, this build speaks version 1/],
    [job.replace('"type":"job"', '"type":"result"'), /type is "result"/],
    [job.replace('"lo":2', '"lo":-1'), /job\.lo: expected an integer/],
    [job.replace('"lo":2', '"lo":2.5'), /job\.lo: expected an integer/],
    [job.replace('"hi":4', '"hi":2'), /job\.hi: expected an integer/],
    [job.replace('"hi":4', '"hi":999999'), /job\.hi: expected an integer/],
    [job.replace(runId, '../../etc/passwd'), /job\.runId: malformed/],
    [job.replace('"slice":1', '"slice":"1"'), /job\.slice/],
    [`${job.slice(0, -1)},"pad":"${'x'.repeat(MAX_BYTES.job)}"}`, /over the 1024-byte limit/],
  ])('job %#', (text, why) => {
    expect(() => decodeJob(text)).toThrow(why);
  });

  it('gen: corrupt, forged or inconsistent populations', () => {
    const { text } = encodeGen(runId, 3, spec);
    const o = JSON.parse(text);
    const variant = (f: (x: typeof o) => void) => {
      const x = structuredClone(o);
      f(x);
      return JSON.stringify(x);
    };
    expect(() => decodeGen(variant((x) => (x.members[1][0] = 5)))).toThrow(/parent: expected an integer in \[0, 0\]/);
    expect(() => decodeGen(variant((x) => (x.members[1][1] = 2)))).toThrow(/sign/);
    expect(() => decodeGen(variant((x) => (x.members[1][2] = 2 ** 32)))).toThrow(/members\[1\]\[2\]/);
    expect(() => decodeGen(variant((x) => (x.members[1] = [0, 1])))).toThrow(/expected \[parent, sign/);
    expect(() => decodeGen(variant((x) => (x.dimScale = 'AAAA')))).toThrow(/gen\.dimScale: expected 10 values/);
    expect(() => decodeGen(variant((x) => (x.centres[0] = '!!!!')))).toThrow(/expected base64/);
    expect(() => decodeGen(variant((x) => (x.members[2][2] ^= 1)))).toThrow(/genId does not match/);
    expect(() => decodeGen(variant((x) => (x.dim = 2 ** 30)))).toThrow(/gen\.dim/);
  });

  it('run: the config goes through the trainer validator; the id must match', () => {
    const o = JSON.parse(encodeRun(config));
    expect(() => decodeRun(JSON.stringify({ ...o, config: { ...o.config, strategy: { kind: 'eval("x")' } } }))).toThrow(
      /run\.config: .*strategy\.kind/,
    );
    expect(() => decodeRun(JSON.stringify({ ...o, config: { ...o.config, extra: 1 } }))).toThrow(
      /run\.config: .*unknown field/,
    );
    expect(() => decodeRun(JSON.stringify({ ...o, config: { ...o.config, seed: 5 } }))).toThrow(/runId does not match/);
  });

  it('result: lengths, ranges, worker ids', () => {
    const f = new Float64Array(2);
    const base = {
      runId,
      generation: 1,
      genId: 'a'.repeat(32),
      slice: 0,
      lo: 0,
      hi: 2,
      worker: 'w',
      adapter: 'a',
      learnerSteps: 1,
      timeMs: { tasks: 0, build: 0, episodes: 0 },
      fitness: f,
      queryAccuracy: f,
      queryCrossEntropy: f,
      onlineCrossEntropy: f,
      onlineAccuracy: f,
    };
    expect(() => decodeResult(encodeResult({ ...base, fitness: new Float64Array(3) }))).toThrow(
      /result\.fitness: expected 2 values/,
    );
    expect(() => decodeResult(encodeResult({ ...base, worker: 'a b' }))).toThrow(/result\.worker: malformed/);
    expect(() => decodeResult(encodeResult({ ...base, timeMs: { tasks: -1, build: 0, episodes: 0 } }))).toThrow(
      /timeMs\.tasks/,
    );
    expect(() => decodeResult('x'.repeat(MAX_BYTES.result + 1))).toThrow(/over the 8388608-byte limit/);
  });
});

describe('configuration', () => {
  it('Redis URLs: password, TLS, redaction', () => {
    expect(redactUrl('redis://:secret@host:1')).toBe('redis://***@host:1');
    expect(redisOptions('rediss://u:p@h:6380/2').options.tls).toBeDefined();
    expect(redisOptions('redis://h:6379').options.tls).toBeUndefined();
    expect(() => redisOptions('http://h')).toThrow(/protocol must be redis: or rediss:/);
    expect(() => redisOptions('not a url')).toThrow(/not a URL/);
    expect(() => redisKeys('bad prefix')).toThrow(/key prefix/);
  });

  it('CLI roles', () => {
    expect(parseDistributedArgs(['--redis', 'redis://h:1', '--role', 'worker', '--worker-id', 'w1'])).toMatchObject({
      role: 'worker',
      workerId: 'w1',
      rest: [],
    });
    const c = parseDistributedArgs([
      '--redis=redis://h:1',
      '--role',
      'coordinator',
      '--preset',
      'tiny',
      '--slice-size',
      '4',
      '--quiet',
    ]);
    expect(c).toMatchObject({ role: 'coordinator', sliceSize: 4, rest: ['--preset', 'tiny', '--quiet'] });
    expect(() => parseDistributedArgs(['--role', 'worker'])).toThrow(/--redis: is required/);
    expect(() => parseDistributedArgs(['--redis', 'redis://h:1', '--role', 'boss'])).toThrow(/coordinator or worker/);
    expect(() => parseDistributedArgs(['--redis', 'redis://h:1', '--role', 'worker', '--preset', 'tiny'])).toThrow(
      /takes its config from the coordinator/,
    );
  });
});
