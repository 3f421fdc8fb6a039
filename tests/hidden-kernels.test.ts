/**
 * The hidden-layer learner's four kernels (src/kernels/hidden*.wgsl) against their float64
 * references (src/inner/hidden-reference.ts), one kernel at a time, on fresh seeded random inputs
 * (meta-parameters, state, pixels, indices), output buffers poisoned with NaN first, for both
 * aggregations and a population of 2 members x 2 tasks (checks the member / learner indexing).
 *
 * Tolerances, with u = 2^-24 (f32 unit roundoff) and WGSL's f32 division accurate to 2.5 ulp:
 *  - forward: each term of f takes <= 4 roundings after x (x = byte / 255, <= 2.5 ulp, and f is at
 *    most quadratic in x: <= 5u more); the sum over A terms adds <= (A - 1) u sum|terms|, the mean
 *    <= 2.5u. So |d - d_ref| <= (A + 16) u mean_a sum|terms| (the reference returns that scale).
 *  - compete: s = g0 + gD d and q = o (s + bid) take <= 4 roundings of |g0| + |gD d| + |bid|; a max
 *    selects one of them exactly, a mean adds <= H u of the same scale, lambda one rounding more.
 *  - backward: counts are small integers (exact); m = rA / (n + rB) <= 1 rounding + 2.5 ulp;
 *    the mean over C adds <= C u: (C + 6) u max|m|.
 *  - update: w + rho (uX x + uW w + u1): <= 5 roundings (+ x's 2.5 ulp) of |w| + |rho| (|uX x| + |uW w| + |u1|): 10u.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSplit } from '../src/data/dataset';
import { uploadImageSplit } from '../src/data/gpu-dataset';
import {
  hiddenBackwardProgram,
  hiddenCompeteProgram,
  hiddenForwardProgram,
  hiddenUpdateProgram,
} from '../src/kernels/hidden';
import { runKernels } from '../src/kernels/runner';
import { hiddenBackwardRef, hiddenCompeteRef, hiddenForwardRef, hiddenUpdateRef } from '../src/inner/hidden-reference';
import { PhiloxStream, normalAt } from '../src/rng/philox';
import { HIDDEN_PARAM_COUNT, type HiddenAggregation, type HiddenConfig } from '../src/spec/hidden-config';
import { POISON_U32, useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x41dd0022);
const U = 2 ** -24;
const D = HIDDEN_PARAM_COUNT;

const MEMBERS = 2;
const TASKS = 2;
const L = MEMBERS * TASKS;

function randomParams(k: number): Float32Array {
  return Float32Array.from({ length: MEMBERS * D }, (_, i) => normalAt(seed, k, i));
}

function randomSplit(c: HiddenConfig, count: number, rng: PhiloxStream): ImageSplit {
  const images = Uint8Array.from({ length: count * c.inputs }, () => (rng.int(3) === 0 ? 0 : rng.int(256)));
  const labels = Uint8Array.from({ length: count }, () => rng.int(c.classes));
  return { name: 'random', count, rows: 1, cols: c.inputs, images, labels, numClasses: c.classes };
}

const poisonedF32 = (n: number) => new Float32Array(new Uint32Array(n).fill(POISON_U32).buffer);
const rowParams = (p: Float32Array, l: number) =>
  p.subarray(Math.floor(l / TASKS) * D, (Math.floor(l / TASKS) + 1) * D);
const pixelsOf = (s: ImageSplit, ex: number, A: number) =>
  Float64Array.from(s.images.subarray(ex * A, (ex + 1) * A), (v) => v / 255);

for (const aggregation of ['max', 'mean'] as HiddenAggregation[]) {
  // A = 37 (not a multiple of 4: the last image word is partial), H = 6, C = 3.
  const c: HiddenConfig = { inputs: 37, hidden: 6, classes: 3, aggregation };
  const { inputs: A, hidden: H, classes: C } = c;

  describe(`hidden kernels, ${aggregation} aggregation (seed ${seed})`, () => {
    it('forward (learning rows via the step counter, and query rows) matches the float64 reference', async () => {
      const g = gpu();
      const rng = new PhiloxStream(seed, 1);
      const params = randomParams(1);
      const split = randomSplit(c, 9, rng);
      const gs = uploadImageSplit(g, split);
      const w = Float32Array.from({ length: L * H * A }, (_, i) => normalAt(seed, 2, i) * 0.5);
      const stride = 5;
      const idx = Uint32Array.from({ length: L * stride }, () => rng.int(split.count));
      const t = 3;
      for (const mode of ['learn', 'query'] as const) {
        const rows = mode === 'learn' ? L : L * stride - 2; // query rows from firstRow 2
        const firstRow = mode === 'learn' ? 0 : 2;
        const bufs = [
          g.storage('p', params),
          g.storage('idx', idx),
          g.storage('ctrl', Uint32Array.of(t, 0, 0, 0)),
          g.storage('w', w),
          g.storage('d', poisonedF32(rows * H)),
        ];
        runKernels(g, [
          {
            program: hiddenForwardProgram(c, gs.wordsPerImage),
            threads: rows * H,
            uniforms: {
              rows,
              firstRow,
              perLearner: mode === 'learn' ? 1 : stride,
              stride,
              useCtrl: mode === 'learn' ? 1 : 0,
              tasksPerMember: TASKS,
            },
            bindings: [bufs[0], gs.pieces[0].images, bufs[1], bufs[2], bufs[3], bufs[4]],
          },
        ]);
        const got = await g.readF32(bufs[4], 0, rows * H);
        for (let r = 0; r < rows; r++) {
          const row = firstRow + r;
          const l = mode === 'learn' ? row : Math.floor(row / stride);
          const ex = idx[l * stride + (mode === 'learn' ? t : row % stride)];
          const ref = hiddenForwardRef(rowParams(params, l), pixelsOf(split, ex, A), w.subarray(l * H * A), A, H);
          for (let h = 0; h < H; h++) {
            const tol = (A + 16) * U * ref.scale[h];
            const err = Math.abs(got[r * H + h] - ref.d[h]);
            expect(err, `${mode} row ${r} h ${h}: ${got[r * H + h]} vs ${ref.d[h]} (seed ${seed})`).toBeLessThanOrEqual(
              tol,
            );
          }
        }
        for (const b of bufs) b.destroy();
      }
      gs.destroy();
    });

    it('compete (q, Q and the logits) matches the float64 reference', async () => {
      const g = gpu();
      const rng = new PhiloxStream(seed, 3);
      const params = randomParams(3);
      const rows = L;
      const d = Float32Array.from({ length: rows * H }, (_, i) => normalAt(seed, 4, i));
      const own = Float32Array.from({ length: L * H * C }, () => rng.int(2));
      const count = Float32Array.from({ length: L * H * C }, () => rng.int(3));
      const bufs = [
        g.storage('p', params),
        g.storage('d', d),
        g.storage('own', own),
        g.storage('count', count),
        g.storage('q', poisonedF32(rows * H * C)),
        g.storage('out', poisonedF32(rows * 2 * C)),
      ];
      runKernels(g, [
        {
          program: hiddenCompeteProgram(c),
          threads: rows * C,
          uniforms: { rows, firstRow: 0, perLearner: 1, tasksPerMember: TASKS, writeQ: 1 },
          bindings: bufs,
        },
      ]);
      const q = await g.readF32(bufs[4], 0, rows * H * C);
      const out = await g.readF32(bufs[5], 0, rows * 2 * C);
      for (let l = 0; l < L; l++) {
        const p = rowParams(params, l);
        const o = own.subarray(l * H * C, (l + 1) * H * C);
        const n = count.subarray(l * H * C, (l + 1) * H * C);
        const ref = hiddenCompeteRef(p, d.subarray(l * H, (l + 1) * H), o, n, H, C, aggregation);
        const maxD = Math.max(...Array.from(d.subarray(l * H, (l + 1) * H), Math.abs));
        const scale = Math.abs(p[8]) + Math.abs(p[9]) * maxD + Math.abs(p[10]);
        const tol = (H + 6) * U * scale;
        for (let i = 0; i < H * C; i++)
          expect(Math.abs(q[l * H * C + i] - ref.q[i]), `q l ${l} i ${i} (seed ${seed})`).toBeLessThanOrEqual(
            4 * U * scale,
          );
        for (let b = 0; b < C; b++) {
          expect(Math.abs(out[l * 2 * C + b] - ref.Q[b]), `Q l ${l} b ${b} (seed ${seed})`).toBeLessThanOrEqual(tol);
          const lam = p[13];
          expect(
            Math.abs(out[l * 2 * C + C + b] - lam * ref.P[b]),
            `logit l ${l} b ${b} (seed ${seed})`,
          ).toBeLessThanOrEqual(Math.abs(lam) * (tol + U * scale));
        }
      }
      for (const b of bufs) b.destroy();
    });

    it('backward (counts exact, rho) matches the float64 reference', async () => {
      const g = gpu();
      const rng = new PhiloxStream(seed, 5);
      // rA, rB positive so n + rB > 0; the rest random.
      const params = randomParams(5).map((v, i) => (i % D === 11 || i % D === 12 ? Math.abs(v) + 0.1 : v));
      const split = randomSplit(c, 7, rng);
      const gs = uploadImageSplit(g, split);
      const stride = 4;
      const idx = Uint32Array.from({ length: L * stride }, () => rng.int(split.count));
      const t = 2;
      const q = Float32Array.from({ length: L * H * C }, (_, i) => normalAt(seed, 6, i));
      // Q: the max over h (some cell wins exactly), or a mean-like value (several may win).
      const out = new Float32Array(L * 2 * C);
      for (let l = 0; l < L; l++)
        for (let b = 0; b < C; b++) {
          let m = -Infinity;
          let s = 0;
          for (let h = 0; h < H; h++) {
            m = Math.max(m, q[(l * H + h) * C + b]);
            s += q[(l * H + h) * C + b];
          }
          out[l * 2 * C + b] = aggregation === 'max' ? m : s / H;
        }
      const own = Float32Array.from({ length: L * H * C }, () => rng.int(2));
      const count = Float32Array.from({ length: L * H * C }, () => rng.int(4));
      const bufs = [
        g.storage('p', params),
        g.storage('idx', idx),
        g.storage('ctrl', Uint32Array.of(t, 0, 0, 0)),
        g.storage('q', q),
        g.storage('out', out),
        g.storage('own', own),
        g.storage('count', count),
        g.storage('rho', poisonedF32(L * H)),
      ];
      runKernels(g, [
        {
          program: hiddenBackwardProgram(c),
          threads: L * H,
          uniforms: { learners: L, stride, tasksPerMember: TASKS },
          bindings: [bufs[0], gs.pieces[0].labels, bufs[1], bufs[2], bufs[3], bufs[4], bufs[5], bufs[6], bufs[7]],
        },
      ]);
      const gotCount = await g.readF32(bufs[6], 0, L * H * C);
      const rho = await g.readF32(bufs[7], 0, L * H);
      let wins = 0;
      for (let l = 0; l < L; l++) {
        const label = split.labels[idx[l * stride + t]];
        const sl = (a: Float32Array) => a.subarray(l * H * C, (l + 1) * H * C);
        const ref = hiddenBackwardRef(
          rowParams(params, l),
          sl(q),
          out.subarray(l * 2 * C, l * 2 * C + C),
          sl(own),
          sl(count),
          label,
          H,
          C,
          aggregation,
        );
        expect(Array.from(sl(gotCount)), `counts of learner ${l} (seed ${seed})`).toEqual(Array.from(ref.count));
        const maxM = Math.max(...ref.rho.map(Math.abs), 1e-30) * (aggregation === 'mean' ? C : 1);
        for (let h = 0; h < H; h++) {
          if (ref.rho[h] !== 0) wins++;
          expect(Math.abs(rho[l * H + h] - ref.rho[h]), `rho l ${l} h ${h} (seed ${seed})`).toBeLessThanOrEqual(
            (C + 6) * U * maxM,
          );
        }
      }
      expect(wins, `some cells must win for the test to mean anything (seed ${seed})`).toBeGreaterThan(0);
      for (const b of bufs) b.destroy();
      gs.destroy();
    });

    it('update matches the float64 reference (cells with rho 0 unchanged)', async () => {
      const g = gpu();
      const rng = new PhiloxStream(seed, 7);
      const params = randomParams(7);
      const split = randomSplit(c, 6, rng);
      const gs = uploadImageSplit(g, split);
      const stride = 3;
      const idx = Uint32Array.from({ length: L * stride }, () => rng.int(split.count));
      const t = 1;
      const w = Float32Array.from({ length: L * H * A }, (_, i) => normalAt(seed, 8, i));
      const rho = Float32Array.from({ length: L * H }, (_, i) => (rng.int(2) === 0 ? 0 : normalAt(seed, 9, i)));
      const bufs = [
        g.storage('p', params),
        g.storage('idx', idx),
        g.storage('ctrl', Uint32Array.of(t, 0, 0, 0)),
        g.storage('rho', rho),
        g.storage('w', w),
      ];
      runKernels(g, [
        {
          program: hiddenUpdateProgram(c, gs.wordsPerImage),
          threads: L * A,
          uniforms: { learners: L, stride, tasksPerMember: TASKS },
          bindings: [bufs[0], gs.pieces[0].images, bufs[1], bufs[2], bufs[3], bufs[4]],
        },
      ]);
      const got = await g.readF32(bufs[4], 0, L * H * A);
      for (let l = 0; l < L; l++) {
        const p = rowParams(params, l);
        const x = pixelsOf(split, idx[l * stride + t], A);
        const ref = Float64Array.from(w.subarray(l * H * A, (l + 1) * H * A));
        const before = Float64Array.from(ref);
        hiddenUpdateRef(p, x, ref, rho.subarray(l * H, (l + 1) * H), A, H);
        for (let h = 0; h < H; h++)
          for (let a = 0; a < A; a++) {
            const i = h * A + a;
            const r = rho[l * H + h];
            const scale =
              Math.abs(before[i]) + Math.abs(r) * (Math.abs(p[5] * x[a]) + Math.abs(p[6] * before[i]) + Math.abs(p[7]));
            expect(Math.abs(got[l * H * A + i] - ref[i]), `w l ${l} h ${h} a ${a} (seed ${seed})`).toBeLessThanOrEqual(
              10 * U * scale,
            );
            if (r === 0) expect(got[l * H * A + i]).toBe(w[l * H * A + i]);
          }
      }
      for (const b of bufs) b.destroy();
      gs.destroy();
    });
  });
}
