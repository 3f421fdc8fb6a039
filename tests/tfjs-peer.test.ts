/**
 * The TensorFlow.js peer of `npm run bench:speed` (src/bench/speed/tfjs-vsml.ts): the VSML step
 * written with TensorFlow.js ops on its WebGPU backend, sharing our device, must compute what our
 * kernels (VsmlPopulation) and the float64 reference (src/inner/reference.ts) compute: cell states,
 * backward messages and cross-entropy sums after class-sorted learning steps and frozen-state
 * queries, on two tiny configurations (full cell with projection and label feeding, 2 ticks; a
 * 2-layer low-rank cell on pooled 7x7 images, 1 tick), 2 members x 2 tasks each.
 *
 * Tolerance: scaled error |x - ref| / (|ref| + 1e-3 max|ref|) below 2e-3, the bound of
 * tests/vsml-parity.test.ts for our kernels and for the same reason: f32 rounding (unit 6e-8) over
 * < 40-term dot products, through a non-expansive LSTM update, over (12 + 6) steps x <= 2 ticks;
 * TensorFlow.js evaluates the same f32 sums in another order (its matMul tiles), which changes
 * the rounding, not its size. Ours vs TensorFlow.js is held to the same bound.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { type ImageSplit, subsetSplit } from '../src/data/dataset';
import { uploadImageSplit } from '../src/data/gpu-dataset';
import { loadDataset } from '../src/data/load-node';
import { poolSplit } from '../src/inner/episodes';
import { VsmlPopulation } from '../src/inner/population';
import { referenceEpisode } from '../src/inner/reference';
import { metaParamLayout } from '../src/spec/vsml-config';
import { scaledError } from '../src/bench/speed/peer';
import { TfVsmlPopulation, releaseTfjsWebgpu, useTfjsWebgpu } from '../src/bench/speed/tfjs-vsml';
import { useGpu } from './helpers/gpu';
import { PEER_CASES, peerEpisode } from './helpers/peer-cases';
import { testSeed } from './helpers/seed';

const gpu = useGpu();
const seed = testSeed(0x5eed0021); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const TOL = 2e-3;

let full: ImageSplit;
let pooled: ImageSplit;
beforeAll(async () => {
  if (gpu.missing()) return;
  const ds = await loadDataset('mnist');
  full = subsetSplit(ds.train, 2000);
  pooled = poolSplit(full, 4);
});

const cases = PEER_CASES;

describe(`TensorFlow.js peer vs our kernels vs the float64 reference (seed ${seed})`, () => {
  for (const [ci, c] of cases.entries()) {
    it(c.name, async () => {
      const g = gpu();
      const tf = await useTfjsWebgpu(g);
      expect(tf.getBackend()).toBe('webgpu');
      const split = c.pooled ? pooled : full;
      const { P, T, L, learnLength, queryLength, learnIndices, queryIndices, stateSeeds, params } = peerEpisode(
        c.config,
        ci,
        split,
        seed,
      );
      const D = metaParamLayout(c.config).size;
      const K = c.config.layers.length - 1;

      // Ours.
      const gSplit = uploadImageSplit(g, split);
      const paramBuf = g.storage('params', params);
      const pop = VsmlPopulation.create(g, c.config, { members: P, tasksPerMember: T, learnLength, queryLength });
      const ours = await pop.runEpisodes(paramBuf, {
        learnSplit: gSplit,
        querySplit: gSplit,
        learnLength,
        queryLength,
        learnIndices,
        queryIndices,
        stateSeeds,
      });
      const oursState = [];
      const oursBwd = [];
      for (let k = 0; k < K; k++) {
        oursState.push(await pop.readState(k));
        oursBwd.push(await pop.readBackward(k));
      }
      pop.destroy();
      paramBuf.destroy();
      gSplit.destroy();

      // TensorFlow.js.
      const peer = new TfVsmlPopulation(
        c.config,
        P,
        T,
        params,
        { images: split.images, labels: split.labels, pixels: c.config.inputSize },
        stateSeeds,
      );
      const at = (idx: Uint32Array, len: number, s: number) =>
        Int32Array.from({ length: L }, (_, l) => idx[l * len + s]);
      for (let s = 0; s < learnLength; s++) peer.learn(at(learnIndices, learnLength, s));
      for (let s = 0; s < queryLength; s++) peer.query(at(queryIndices, queryLength, s));
      const tm = await peer.readMetrics();
      const tfState = [];
      const tfBwd = [];
      for (let k = 0; k < K; k++) {
        tfState.push(await peer.readState(k));
        tfBwd.push(await peer.readBackward(k));
      }
      peer.dispose();
      releaseTfjsWebgpu();

      const worst = { tfRef: 0, oursRef: 0, oursTf: 0 };
      const note = (key: keyof typeof worst, e: number) => (worst[key] = Math.max(worst[key], e));
      for (let l = 0; l < L; l++) {
        const member = Math.floor(l / T);
        const r = referenceEpisode(
          c.config,
          params.subarray(member * D, (member + 1) * D),
          {
            learnImages: split.images,
            learnLabels: split.labels,
            queryImages: split.images,
            queryLabels: split.labels,
          },
          learnIndices.subarray(l * learnLength, (l + 1) * learnLength),
          queryIndices.subarray(l * queryLength, (l + 1) * queryLength),
          { stateSeed: stateSeeds[l] },
        );
        for (let k = 0; k < K; k++) {
          const per = r.learner.h[k].length;
          const sl = (x: Float32Array) => x.subarray(l * per, (l + 1) * per);
          const nb = r.learner.bwd[k].length;
          const bl = (x: Float32Array) => x.subarray(l * nb, (l + 1) * nb);
          for (const [what, tfv, ov, ref] of [
            ['h', sl(tfState[k].h), sl(oursState[k].h), r.learner.h[k]],
            ['c', sl(tfState[k].c), sl(oursState[k].c), r.learner.c[k]],
            ['backward message', bl(tfBwd[k]), bl(oursBwd[k]), r.learner.bwd[k]],
          ] as const) {
            const e1 = scaledError(tfv, ref);
            const e2 = scaledError(ov, ref);
            const e3 = scaledError(ov, tfv);
            note('tfRef', e1);
            note('oursRef', e2);
            note('oursTf', e3);
            expect(e1, `learner ${l} layer ${k} ${what}: TensorFlow.js vs reference`).toBeLessThan(TOL);
            expect(e3, `learner ${l} layer ${k} ${what}: ours vs TensorFlow.js`).toBeLessThan(TOL);
          }
        }
        for (const [what, tfv, ov, ref] of [
          ['online CE', tm.onlineCrossEntropy[l], ours.onlineCrossEntropy[l], r.onlineCrossEntropy],
          ['query CE', tm.queryCrossEntropy[l], ours.queryCrossEntropy[l], r.queryCrossEntropy],
        ] as const) {
          expect(
            scaledError([tfv], [ref]),
            `learner ${l} ${what}: TensorFlow.js ${tfv} vs reference ${ref}`,
          ).toBeLessThan(TOL);
          expect(scaledError([ov], [tfv]), `learner ${l} ${what}: ours ${ov} vs TensorFlow.js ${tfv}`).toBeLessThan(
            TOL,
          );
        }
        // Correct counts agree up to near-ties of the logits.
        expect(Math.abs(tm.onlineCorrect[l] - r.onlineCorrect), `learner ${l} online correct`).toBeLessThanOrEqual(
          r.nearTies,
        );
      }
      console.log(
        `${c.name}: worst scaled error TF.js/ref ${worst.tfRef.toExponential(2)}, ours/ref ${worst.oursRef.toExponential(2)}, ours/TF.js ${worst.oursTf.toExponential(2)} (tolerance ${TOL})`,
      );
    });
  }
});
