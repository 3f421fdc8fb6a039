/**
 * The LSTM learner's WGSL kernels (src/kernels/lstm-step.wgsl, lstm-readout.wgsl) against the
 * float64 reference (src/inner/lstm-reference.ts) on fresh seeded random inputs: random pixels and
 * labels, a different random parameter vector per member (weights scaled up so gates saturate and
 * cancel, not just sit near 0.5), several tasks per member, then queries with predictions. hNext
 * and the predictions start poisoned (NaN words), so an unwritten element shows up.
 *
 * Tolerance (h, c after learning; cross-entropy sums), scaled error |gpu - ref| / (|ref| + 1e-3
 * max|ref|): each f32 operation rounds with unit u = 2^-24; a pre-activation sums n = A + 1 + H + 1
 * terms (error <= n u of the magnitudes involved); exp/log/tanh add a few ulps (8 u allowed); the
 * c update is non-expansive (f < 1, sigmoid' <= 1/4, tanh' <= 1), so per-step errors add up over the
 * `steps` steps: bound = steps (n + 8) u. TOL is 8x that bound for the rare amplification through
 * h -> W -> gate near a gate's steepest point (the measured errors are printed).
 * Predictions must agree wherever the reference's top-2 logit margin exceeds TOL x max|logit|.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSplit } from '../src/data/dataset';
import { uploadImageSplit } from '../src/data/gpu-dataset';
import { LstmPopulation } from '../src/inner/lstm-population';
import { lstmEpisodeReference } from '../src/inner/lstm-reference';
import { PhiloxStream, RNG_DOMAIN } from '../src/rng/philox';
import { type LstmLearnerConfig, initLstmParams, lstmFor, lstmParamLayout } from '../src/spec/lstm-config';
import { learnerStateBytes, metaParamLayout, validateVsmlConfig } from '../src/spec/vsml-config';
import { useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';
import { scaledError } from '../src/bench/speed/peer';

const gpu = useGpu();
const seed = testSeed(0x157a0021);
const U = 2 ** -24;

describe(`LSTM learner sizing and kernels (seed ${seed})`, () => {
  it('matches a VSML learner state and has >= 10x its meta-parameters', () => {
    for (const v of [
      validateVsmlConfig({ inputSize: 16, layers: [16, 2], hidden: 4, message: 4, labelFeeding: true }),
      validateVsmlConfig({ inputSize: 64, layers: [64, 10], hidden: 8, message: 2, ticks: 1, labelFeeding: true }),
    ]) {
      const l = lstmFor(v, 0, 10);
      expect(2 * l.hidden * 4).toBe(learnerStateBytes(v));
      expect(lstmParamLayout(l).size).toBeGreaterThanOrEqual(10 * metaParamLayout(v).size);
    }
    const small = validateVsmlConfig({ inputSize: 16, layers: [16, 2], hidden: 4, message: 4 });
    expect(() => lstmFor(small, 1, 10)).toThrow(/only .*x the VSML learner's/);
    expect(() => lstmFor(validateVsmlConfig({ projection: true, layers: [8, 2] }))).toThrow(/raw pixels/);
  });

  it.each([
    { A: 6, C: 3, H: 8, members: 2, T: 3, learn: 9, query: 5 },
    { A: 13, C: 2, H: 12, members: 3, T: 2, learn: 17, query: 7 },
    // Two blocks of hidden units (72 > 64) and 20 tasks per member: staged 16 + 4 at a time.
    { A: 5, C: 4, H: 72, members: 2, T: 20, learn: 6, query: 3 },
  ])(
    'kernel == float64 reference: A$A C$C H$H, $members x $T learners',
    async ({ A, C, H, members, T, learn, query }) => {
      const g = gpu();
      const cfg: LstmLearnerConfig = { inputSize: A, classes: C, hidden: H };
      const D = lstmParamLayout(cfg).size;
      const rng = new PhiloxStream(seed, RNG_DOMAIN.test, A, H);
      const L = members * T;
      const count = L * (learn + query);
      const images = Uint8Array.from({ length: count * A }, () => rng.int(256));
      const labels = Uint8Array.from({ length: count }, () => rng.int(C));
      const split: ImageSplit = { name: 'random', count, rows: 1, cols: A, images, labels, numClasses: C };
      const params = new Float32Array(members * D);
      for (let m = 0; m < members; m++) {
        const p = initLstmParams(cfg, seed + m);
        // 3x the init scale, and nonzero biases: saturated and cancelling gates, not just ~0.5.
        for (let i = 0; i < D; i++) p[i] = Math.fround(3 * p[i] + 0.5 * (rng.next() - 0.5));
        params.set(p, m * D);
      }
      const learnIndices = Uint32Array.from(
        { length: L * learn },
        (_, i) => Math.floor(i / learn) * (learn + query) + (i % learn),
      );
      const queryIndices = Uint32Array.from(
        { length: L * query },
        (_, i) => Math.floor(i / query) * (learn + query) + learn + (i % query),
      );
      const gsplit = uploadImageSplit(g, split);
      const pbuf = g.storage('params', params);
      const pop = LstmPopulation.create(g, cfg, { members, tasksPerMember: T, learnLength: learn, queryLength: query });
      try {
        const m = await pop.runEpisodes(
          pbuf,
          {
            learnSplit: gsplit,
            querySplit: gsplit,
            learnLength: learn,
            queryLength: query,
            learnIndices,
            queryIndices,
            stateSeeds: new Uint32Array(L),
          },
          { wantPredictions: true, poison: true },
        );
        const st = await pop.readState();
        const n = A + 1 + H + 1;
        const TOL = 8 * (learn + query) * (n + 8) * U;
        for (let l = 0; l < L; l++) {
          const member = Math.floor(l / T);
          const pick = (idx: Uint32Array, len: number) => {
            const ix = idx.subarray(l * len, (l + 1) * len);
            const im = new Uint8Array(len * A);
            ix.forEach((e, k) => im.set(images.subarray(e * A, (e + 1) * A), k * A));
            return { im, lab: Array.from(ix, (e) => labels[e]) };
          };
          const le = pick(learnIndices, learn);
          const qe = pick(queryIndices, query);
          const ref = lstmEpisodeReference(cfg, params.subarray(member * D, (member + 1) * D), {
            learnImages: le.im,
            learnLabels: le.lab,
            queryImages: qe.im,
            queryLabels: qe.lab,
          });
          const eh = scaledError(st.h.subarray(l * H, (l + 1) * H), ref.h);
          const ec = scaledError(st.c.subarray(l * H, (l + 1) * H), ref.c);
          const eo = scaledError([m.onlineCrossEntropy[l]], [ref.onlineCrossEntropy]);
          const eq = scaledError([m.queryCrossEntropy[l]], [ref.queryCrossEntropy]);
          if (l < 6)
            console.log(
              `A${A} H${H} learner ${l}: h ${eh.toExponential(1)} c ${ec.toExponential(1)} online CE ${eo.toExponential(1)} query CE ${eq.toExponential(1)} (TOL ${TOL.toExponential(1)})`,
            );
          const where = `seed ${seed}, learner ${l}`;
          expect(eh, `${where}: h`).toBeLessThan(TOL);
          expect(ec, `${where}: c`).toBeLessThan(TOL);
          expect(eo, `${where}: online CE`).toBeLessThan(TOL);
          expect(eq, `${where}: query CE`).toBeLessThan(TOL);
          const preds = m.queryPredictions!.subarray(l * query, (l + 1) * query);
          const maxLogit = Math.max(1, ...ref.queryMargins.map(Math.abs));
          for (let q = 0; q < query; q++) {
            expect(preds[q], `${where}: prediction ${q} is a class`).toBeLessThan(C);
            if (ref.queryMargins[q] > TOL * maxLogit)
              expect(preds[q], `${where}: prediction ${q}`).toBe(ref.queryPredictions[q]);
          }
          // Online accuracy counts: equal unless some online margin was within tolerance (rare); the CE sums pin the dynamics.
          expect(Math.abs(m.queryCorrect[l] - ref.queryCorrect), `${where}: query correct`).toBeLessThanOrEqual(
            ref.queryMargins.filter((x) => x <= TOL * maxLogit).length,
          );
        }
      } finally {
        pop.destroy();
        pbuf.destroy();
        gsplit.destroy();
      }
    },
  );
});
