/**
 * The Python peer of `npm run bench:speed` (src/bench/speed/vsml_peer.py, driven by
 * src/bench/speed/python-peer.ts): on fresh seeded inputs its cell states, backward messages and
 * cross-entropy sums after class-sorted learning steps and frozen-state queries equal the float64
 * reference's (src/inner/reference.ts), on the two tiny configurations of tests/tfjs-peer.test.ts
 * (full cell with projection and label feeding, 2 ticks; a 2-layer low-rank cell on pooled 7x7
 * images, 1 tick), 2 members x 2 tasks each, with its numpy backend in one group, split over
 * worker threads, and running the pure code the JAX backend traces; a rerun gives the same bits.
 *
 * Tolerance: scaled error |x - ref| / (|ref| + 1e-3 max|ref|) below PYTHON_PEER_TOLERANCE = 2e-3,
 * the bound of tests/vsml-parity.test.ts and tests/tfjs-peer.test.ts and for the same reason: f32
 * rounding (unit 6e-8) over < 40-term dot products, through a non-expansive LSTM update, over
 * (12 + 6) steps x <= 2 ticks; numpy's BLAS sums in another order, which changes the rounding, not
 * its size.
 *
 * The peer is optional: where python3 cannot import numpy (or jax) these tests are skipped with the
 * reason, under CI too (the Python peer is not a service the project needs).
 */
import { mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ImageSplit, subsetSplit } from '../src/data/dataset';
import { loadDataset } from '../src/data/load-node';
import { poolSplit } from '../src/inner/episodes';
import {
  PYTHON_PEER_SCRIPT,
  PYTHON_PEER_TOLERANCE,
  type PythonPeerInput,
  probePythonPeer,
  pythonVsReference,
  runPythonPeer,
  writePythonPeerInput,
} from '../src/bench/speed/python-peer';
import { PEER_CASES, peerEpisode } from './helpers/peer-cases';
import { testSeed } from './helpers/seed';

const seed = testSeed(0x5eed0020); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const probe = probePythonPeer();
const missing = 'missing' in probe ? probe.missing : undefined;
const python = 'missing' in probe ? 'python3' : probe.python;

let full: ImageSplit;
let pooled: ImageSplit;
beforeAll(async () => {
  if (missing) {
    console.warn(`skipping the Python peer tests: ${missing}`);
    return;
  }
  const ds = await loadDataset('mnist');
  full = subsetSplit(ds.train, 2000);
  pooled = poolSplit(full, 4);
});
beforeEach((ctx) => {
  if (missing) ctx.skip(missing);
});

const cases = PEER_CASES;

/** Seeded inputs as tests/tfjs-peer.test.ts draws them: class-sorted streams, queries of shown classes. */
function seededInput(c: (typeof cases)[number], ci: number): PythonPeerInput {
  const split = c.pooled ? pooled : full;
  const e = peerEpisode(c.config, ci, split, seed);
  return {
    config: c.config,
    members: e.P,
    tasksPerMember: e.T,
    params: e.params,
    stateSeeds: e.stateSeeds,
    images: split.images,
    labels: split.labels,
    learnIndices: e.learnIndices,
    learnSteps: e.learnLength,
    queryIndices: e.queryIndices,
    queries: e.queryLength,
    mode: 'check',
  };
}

describe(`Python peer vs the float64 reference (seed ${seed})`, () => {
  for (const [ci, c] of cases.entries()) {
    it(c.name, async () => {
      const inp = seededInput(c, ci);
      const L = inp.members * inp.tasksPerMember;
      const all = Array.from({ length: L }, (_, l) => l);
      // One group of members, and one member per worker thread: the same learner either way
      // (not the same bits: the batched and the single products may round differently); and
      // numpy running the pure code JAX traces.
      const one = await runPythonPeer(python, { ...inp, threads: 1 });
      const two = await runPythonPeer(python, { ...inp, threads: 2 });
      const runs = [one, two];
      if (one.backend === 'numpy') runs.push(await runPythonPeer(python, { ...inp, threads: 2, numpyMode: 'pure' }));
      for (const out of runs) {
        const r = pythonVsReference(inp, out, all);
        console.log(
          `${c.name} (${out.description}): worst scaled error ${r.worst.toExponential(2)} at ${r.where} (tolerance ${PYTHON_PEER_TOLERANCE})`,
        );
        expect(r.worst, `${out.description}, seed ${seed}: worst at ${r.where}`).toBeLessThan(PYTHON_PEER_TOLERANCE);
      }
      // Same inputs and options, same bits.
      const again = await runPythonPeer(python, { ...inp, threads: 2 });
      for (const [name, x] of Object.entries(two.arrays))
        expect(Buffer.from(again.arrays[name].buffer).equals(Buffer.from(x.buffer)), `${name}: rerun`).toBe(true);
    });
  }

  it('times learning steps (warm-up, calibration, repeats)', async () => {
    const inp = { ...seededInput(cases[0], 0), mode: 'time' as const, repeats: 2, targetSeconds: 0.01 };
    const out = await runPythonPeer(python, inp);
    const t = out.timing;
    expect(t.learnSeconds).toHaveLength(2);
    expect(t.steps).toBeGreaterThanOrEqual(1);
    expect(t.steps).toBeLessThanOrEqual(inp.learnSteps);
    for (const s of [t.warmupSeconds, t.calibrationSeconds, ...t.learnSeconds!]) expect(s).toBeGreaterThan(0);
  });

  it('rejects a truncated input array with a message naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vsml-peer-test-'));
    try {
      writePythonPeerInput(dir, seededInput(cases[0], 0));
      truncateSync(join(dir, 'params.bin'), 8);
      const r = spawnSync(python, [PYTHON_PEER_SCRIPT, '--dir', dir], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/params\.bin \(array params\): 8 bytes, expected \d+ for float32/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
