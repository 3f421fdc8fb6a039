/**
 * bench:speed with the Python peer (src/bench/speed/run.ts given src/bench/speed/python-peer.ts's
 * ExternalPeer): its rate and ours / python land in the same row as ours, its parity check in the
 * report; and a peer whose outputs disagree with the float64 reference fails the run with a
 * message naming the configuration and the error. Smallest options (one configuration, one
 * learner, 4 steps, no TensorFlow.js, no generations). The real peer's case is skipped with the
 * reason where python3 cannot import numpy or jax (an optional peer, not a service).
 */
import { describe, expect, it } from 'vitest';
import type { ExternalPeer } from '../src/bench/speed/peer';
import { probePythonPeer, pythonPeer } from '../src/bench/speed/python-peer';
import { formatSpeedReport } from '../src/bench/speed/report';
import { type SpeedOptions, runSpeedBench } from '../src/bench/speed/run';
import { useGpu, useMnistSubset } from './helpers/gpu';

const gpu = useGpu();
const data = useMnistSubset(gpu, 2000, 500);
const probe = probePythonPeer();

const tiny: SpeedOptions = {
  configs: ['small'],
  learners: [1],
  repeats: 1,
  steps: 4,
  tfjs: false,
  generations: [],
  ceilingSeconds: 0.02,
  tfjsSeconds: 0.05,
};

describe('bench:speed with the Python peer', () => {
  it('puts its steps/s and ours / python in the row, and its check in the report', async (ctx) => {
    if ('missing' in probe) ctx.skip(probe.missing);
    else {
      const r = await runSpeedBench(
        gpu(),
        { train: data.train, test: data.test },
        { ...tiny, python: pythonPeer(probe) },
      );
      const text = formatSpeedReport(r);
      expect(r.python).toEqual({ description: probe.description });
      expect(r.rows[0].python!.learnStepsPerSecond, text).toBeGreaterThan(0);
      expect(r.rows[0].oursOverPython).toBeCloseTo(
        r.rows[0].learnStepsPerSecond / r.rows[0].python!.learnStepsPerSecond,
      );
      expect(r.pythonChecks![0].vsReference, text).toBeLessThan(r.pythonChecks![0].tolerance);
      expect(text).toMatch(/ours\/python/);
      expect(text).toContain(`python peer: ${probe.description}`);
    }
  });

  it('fails the run when the peer disagrees with the reference', async () => {
    const wrong: ExternalPeer = {
      name: 'python',
      description: 'a deliberately wrong peer',
      measure: () => Promise.reject(new Error('not reached: the check comes first')),
      check: () =>
        Promise.resolve({
          learners: 2,
          learnSteps: 4,
          queries: 2,
          vsReference: 0.01,
          where: 'learner 0 layer 0 h',
          referenceLearners: 2,
        }),
    };
    await expect(
      runSpeedBench(gpu(), { train: data.train, test: data.test }, { ...tiny, python: wrong }),
    ).rejects.toThrow(
      /a deliberately wrong peer\) disagrees with the float64 reference on small: worst scaled error 1\.00e-2 at learner 0 layer 0 h, above 0\.002/,
    );
  });

  it('says why there is no peer', async () => {
    const r = await runSpeedBench(
      gpu(),
      { train: data.train, test: data.test },
      { ...tiny, learners: [], pythonMissing: 'python3 is not runnable (ENOENT)' },
    );
    expect(r.python).toEqual({ skipped: 'python3 is not runnable (ENOENT)' });
    expect(formatSpeedReport(r)).toContain('python peer skipped: python3 is not runnable (ENOENT)');
  });
});
