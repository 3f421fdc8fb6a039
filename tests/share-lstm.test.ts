/**
 * Share links of the black-box LSTM learner (issue 21): encode -> decode round trips (exact for f32
 * and GA genomes, within the documented quantisation otherwise), the committed LSTM checkpoints'
 * links and their sizes against MAX_LINK_CHARS, hostile LSTM payloads, and the refusal of a link
 * longer than the limit, with its size and the limit in the message.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint } from '../src/meta/checkpoint';
import { lstmOf } from '../src/meta/learner-kind';
import { validateTrainConfig } from '../src/meta/train-config';
import { PhiloxStream, RNG_DOMAIN, fillNormal } from '../src/rng/philox';
import {
  MAX_LINK_CHARS,
  SHARE_LIMITS,
  ShareError,
  type ShareErrorCode,
  type SharePayload,
  decodeShare,
  encodeShare,
  encodeBase64url,
  crc32,
  shareCheckpoint,
} from '../src/share';
import { ByteWriter } from '../src/share/bytes';
import { deflateRaw } from '../src/share/compress';
import { QMAX } from '../src/share/quantise';
import { type LstmLearnerConfig, lstmParamLayout } from '../src/spec/lstm-config';
import { testSeed } from './helpers/seed';
import { lstmReplayInput, shareSummary } from '../src/pages/share-summary';
import { deployedPixels } from '../src/bench/lstm-input';
import { metaParamLayout } from '../src/spec/vsml-config';

const seed = testSeed(0x5eed0021);
const rng = new PhiloxStream(seed, RNG_DOMAIN.test, 21);

/** A small LSTM training config (64 pixels, 10 classes, 16 hidden) and the LSTM it runs. */
const TRAIN = validateTrainConfig({
  learner: { inputSize: 64, projection: false, layers: [64, 10], hidden: 8, message: 2, ticks: 1, labelFeeding: true },
  learnerKind: 'lstm',
  lstmHidden: 16,
  tasks: { minClasses: 2, maxClasses: 10, learnLength: 20, queryLength: 20, pixelSubset: 64 },
  validation: { every: 0 },
});
const LSTM: LstmLearnerConfig = lstmOf(TRAIN);
const DIM = lstmParamLayout(LSTM).size;

function randomParams(n: number, std = 0.3): Float32Array {
  const p = new Float32Array(n);
  fillNormal(p, rng.nextU32(), RNG_DOMAIN.test);
  for (let i = 0; i < n; i++) p[i] = Math.fround(p[i] * std);
  return p;
}

const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

async function expectShareError(p: Promise<unknown>, code: ShareErrorCode): Promise<ShareError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, `expected a ShareError (seed ${seed})`).toBeInstanceOf(ShareError);
  expect((err as ShareError).code, (err as ShareError).message).toBe(code);
  return err as ShareError;
}

const payload = (
  params: Float32Array,
  bits: 8 | 16 | 32,
  config: unknown = { vsml: TRAIN.learner, lstm: LSTM, train: TRAIN },
): SharePayload => ({
  config: config as SharePayload['config'],
  stateSeed: 1,
  learner: { kind: 'params', params, bits },
});

/** A wire frame around a raw body, with a correct checksum (tests/share.test.ts builds the same). */
async function frame(body: Uint8Array): Promise<string> {
  const stored = await deflateRaw(body);
  const header = new ByteWriter()
    .bytes(Uint8Array.of(0x56, 0x53, 0x4c))
    .u8(1)
    .u8(1)
    .u32(body.length)
    .u32(stored.length)
    .finish();
  return (
    's=' +
    encodeBase64url(
      new ByteWriter()
        .bytes(header)
        .u32(crc32(stored, crc32(header)))
        .bytes(stored)
        .finish(),
    )
  );
}

describe(`LSTM share links (seed ${seed})`, () => {
  it("round-trips: f32 exactly; int8/int16 within half a quantisation step, and the sender gets the receiver's vector", async () => {
    const params = randomParams(DIM);
    const exact = await encodeShare(payload(params, 32));
    const back = await decodeShare(exact.fragment);
    expect(back.config.lstm).toEqual(LSTM);
    expect(back.learner).toEqual({ kind: 'f32', dim: DIM });
    expect(bitsOf(back.params)).toEqual(bitsOf(params));
    for (const bits of [8, 16] as const) {
      const enc = await encodeShare(payload(params, bits));
      const dec = await decodeShare(enc.fragment);
      expect(bitsOf(dec.params), `bits ${bits}`).toEqual(bitsOf(enc.params));
      // quantise.ts: value = f32(q * scale), q = round(p / scale), scale = f32(max|p| of the block / qmax):
      // |p - value| <= scale / 2 plus the f32 roundings of the scale and the product (a few ulps of max|p|).
      const block = 64;
      for (let b = 0; b * block < DIM; b++) {
        let maxAbs = 0;
        for (let i = b * block; i < Math.min(DIM, (b + 1) * block); i++) maxAbs = Math.max(maxAbs, Math.abs(params[i]));
        const bound = maxAbs / QMAX[bits] / 2 + 4 * 2 ** -24 * maxAbs;
        for (let i = b * block; i < Math.min(DIM, (b + 1) * block); i++)
          expect(Math.abs(dec.params[i] - params[i]), `bits ${bits}, parameter ${i}`).toBeLessThanOrEqual(bound);
      }
    }
  });

  it('the replay page plays an LSTM link that fits MNIST, and names the reason when it does not', async () => {
    const lstmLink = await decodeShare((await encodeShare(payload(randomParams(DIM), 8))).fragment);
    const s = shareSummary(lstmLink);
    expect(s.lstm).toEqual(LSTM);
    expect(s.describe).toMatch(/^black-box lstm 64\+10->H16->10/);
    expect(s.dim).toBe(DIM);
    expect(s.stateBytes).toBe(2 * 4 * 16);
    expect(s.outputs).toBe(10);
    expect(s.unplayable).toBeUndefined();
    expect(s.lstmInput).toBe('a fixed 64-pixel subset of each image (pixel seed 1, as on the scoreboard)');
    expect(lstmReplayInput(lstmLink.config).pixels).toEqual(deployedPixels(784, 64, 1));
    // Two classes (as the generalisation grid's LSTMs): refused with both shapes named.
    const two = validateTrainConfig({
      ...TRAIN,
      learner: { ...TRAIN.learner, layers: [64, 2] },
      tasks: { maxClasses: 2 },
    });
    const twoLstm = lstmOf(two);
    const link2 = await decodeShare(
      (
        await encodeShare(
          payload(randomParams(lstmParamLayout(twoLstm).size), 8, { vsml: two.learner, lstm: twoLstm, train: two }),
        )
      ).fragment,
    );
    expect(shareSummary(link2).unplayable).toMatch(
      /^This page cannot play this black-box LSTM learner: the lstm 64\+2->H16->2 \(meta-trained on mnist\) outputs 2 classes, the stream has 28x28 = 784-pixel images, 10 classes/,
    );
    // The generalisation grid's case: 2 classes of a dataset the page cannot size: the classes are the reason.
    const twoDir = { ...two, dataset: 'results/generalisation/data/mnist-pool4' };
    const link5 = await decodeShare(
      (
        await encodeShare(
          payload(randomParams(lstmParamLayout(twoLstm).size), 8, { vsml: two.learner, lstm: twoLstm, train: twoDir }),
        )
      ).fragment,
    );
    expect(shareSummary(link5).unplayable).toMatch(/outputs 2 classes, the stream has 28x28 = 784-pixel images/);
    // Pixel subsets of a dataset the page cannot size, and no training config at all.
    const dir = validateTrainConfig({ ...TRAIN, dataset: 'results/generalisation/data/mnist-pool4' });
    const link3 = await decodeShare(
      (await encodeShare(payload(randomParams(DIM), 8, { vsml: dir.learner, lstm: LSTM, train: dir }))).fragment,
    );
    expect(shareSummary(link3).unplayable).toMatch(
      /meta-trained on pixel subsets of results\/generalisation\/data\/mnist-pool4, whose image size this page cannot check/,
    );
    const link4 = await decodeShare(
      (await encodeShare(payload(randomParams(DIM), 8, { vsml: TRAIN.learner, lstm: LSTM }))).fragment,
    );
    expect(shareSummary(link4).unplayable).toMatch(/carries no training config/);
    // A VSML link: no LSTM fields.
    const vsml = validateTrainConfig({ ...TRAIN, learnerKind: 'vsml', lstmHidden: 0 });
    const v = await encodeShare({
      config: { vsml: vsml.learner, train: vsml },
      stateSeed: 1,
      learner: { kind: 'params', params: randomParams(metaParamLayout(vsml.learner).size), bits: 16 },
    });
    const vs = shareSummary(await decodeShare(v.fragment));
    expect(vs.unplayable).toBeUndefined();
    expect(vs.lstm).toBeUndefined();
  });

  it('rebuilds a GA LSTM genome from initLstmParams, bit for bit', async () => {
    const train = validateTrainConfig({
      ...TRAIN,
      strategy: { kind: 'ga', popSize: 4, truncation: 2, elites: 1, sigma: 0.05 },
    });
    const enc = await encodeShare({
      config: { vsml: train.learner, lstm: LSTM, train },
      stateSeed: 1,
      learner: { kind: 'ga', initSeed: 3, sigma: 0.05, chain: [11, 22, 33] },
    });
    const dec = await decodeShare(enc.fragment);
    expect(dec.params.length).toBe(DIM);
    expect(bitsOf(dec.params)).toEqual(bitsOf(enc.params));
  });

  // The committed LSTM runs: the generalisation grid's (75,522 parameters) and the scoreboard's.
  const committed = [
    'results/generalisation/cells/lstm.ga.s1/checkpoint.json',
    'results/generalisation/cells/lstm.openai-es.s1/checkpoint.json',
    'results/train-ordered-lstm/checkpoint.json',
  ].filter((f) => existsSync(f));
  it.each(committed)(
    '%s shares below MAX_LINK_CHARS and decodes to what the sender replays',
    async (file) => {
      const c = decodeCheckpoint(readFileSync(file, 'utf8'), file);
      expect(c.config.learnerKind).toBe('lstm');
      if (c.strategy.kind === 'ga') {
        // A GA elite travels as its seed chain; encoding rebuilds it (one TypeScript rebuild of a
        // 100-generation chain, the slow part) and `exact` says it equals the checkpoint's bits.
        // Decoding runs the same rebuild, covered on a short chain above.
        const enc = await shareCheckpoint(c, 16);
        expect(enc.sizes.fragmentChars).toBeLessThanOrEqual(MAX_LINK_CHARS);
        expect(enc.exact).toBe(true);
        expect(bitsOf(enc.params)).toEqual(bitsOf(c.metaParams));
        return;
      }
      for (const bits of [8, 16] as const) {
        const enc = await shareCheckpoint(c, bits);
        expect(enc.sizes.fragmentChars).toBeLessThanOrEqual(MAX_LINK_CHARS);
        const dec = await decodeShare(enc.fragment);
        expect(dec.config.lstm).toEqual(lstmOf(c.config));
        expect(bitsOf(dec.params)).toEqual(bitsOf(enc.params));
      }
    },
    60_000,
  );

  it('refuses a link longer than MAX_LINK_CHARS, naming its size and the limit', async () => {
    // 784 pixels, hidden 128: 472,458 incompressible parameters at 16 bits, ~1.26M characters.
    const train = validateTrainConfig({
      learner: {
        inputSize: 784,
        projection: false,
        layers: [784, 10],
        hidden: 8,
        message: 2,
        ticks: 1,
        labelFeeding: true,
      },
      learnerKind: 'lstm',
      lstmHidden: 128,
      tasks: { minClasses: 2, maxClasses: 10, learnLength: 20, queryLength: 20 },
      validation: { every: 0 },
    });
    const big = lstmOf(train);
    const dim = lstmParamLayout(big).size;
    expect(dim).toBeLessThanOrEqual(SHARE_LIMITS.maxDim);
    const e = await expectShareError(
      encodeShare(payload(randomParams(dim), 16, { vsml: train.learner, lstm: big, train })),
      'encode',
    );
    expect(e.message).toMatch(
      new RegExp(
        `link would be \\d+ characters \\(${dim} parameters\\), above the maximum link length of ${MAX_LINK_CHARS}`,
      ),
    );
    expect(MAX_LINK_CHARS).toBe(SHARE_LIMITS.maxFragmentChars);
  }, 60_000);

  it('refuses hostile LSTM payloads before allocating', async () => {
    const config = (lstm: unknown, train: unknown = TRAIN) => ({ vsml: TRAIN.learner, lstm, train });
    const f32 = (dim: number) => (w: ByteWriter) => {
      w.u8(3).u32(dim);
      for (let i = 0; i < Math.min(dim, 16); i++) w.f32(0.5);
    };
    const link = (cfg: unknown, learner: (w: ByteWriter) => void) => {
      const json = new TextEncoder().encode(JSON.stringify(cfg));
      const w = new ByteWriter().u32(json.length).bytes(json).u32(1);
      learner(w);
      return frame(w.finish());
    };
    // A huge hidden size: ~17 billion parameters claimed, refused on the config alone.
    const huge = { ...LSTM, hidden: 65536 };
    const hugeTrain = { ...TRAIN, lstmHidden: 65536 };
    let e = await expectShareError(decodeShare(await link(config(huge, hugeTrain), f32(16))), 'bad-config');
    expect(e.message).toMatch(/meta-parameters, above/);
    // The LSTM must read the inputs and classes of the config it is sized from.
    e = await expectShareError(decodeShare(await link(config({ ...LSTM, classes: 7 }), f32(DIM))), 'bad-config');
    expect(e.message).toMatch(/config\.lstm: reads 64 inputs and 7 classes/);
    // Hidden size against the training config's.
    e = await expectShareError(decodeShare(await link(config({ ...LSTM, hidden: 17 }), f32(DIM))), 'bad-config');
    expect(e.message).toMatch(/config\.lstm\.hidden: is 17, the training config's LSTM has 16/);
    // An LSTM link whose training config is a VSML run, and an 'lstm' run without its LSTM.
    e = await expectShareError(
      decodeShare(await link(config(LSTM, { ...TRAIN, learnerKind: 'vsml', lstmHidden: 0 }), f32(DIM))),
      'bad-config',
    );
    expect(e.message).toMatch(/config\.train\.learnerKind: is "vsml", but the link carries an LSTM learner/);
    e = await expectShareError(decodeShare(await link({ vsml: TRAIN.learner, train: TRAIN }, f32(DIM))), 'bad-config');
    expect(e.message).toMatch(/config\.lstm: is missing/);
    // Unknown fields inside the LSTM block, and a parameter count that is not the LSTM's.
    e = await expectShareError(decodeShare(await link(config({ ...LSTM, layers: 3 }), f32(DIM))), 'bad-config');
    expect(e.message).toMatch(/config\.lstm\.layers: unknown field/);
    e = await expectShareError(decodeShare(await link(config(LSTM), f32(DIM + 1))), 'bad-learner');
    expect(e.message).toMatch(new RegExp(`${DIM + 1} parameters, the config's layout needs ${DIM}`));
    // A claimed count that matches but whose values are missing: truncated, not a giant allocation.
    await expectShareError(decodeShare(await link(config(LSTM), f32(DIM))), 'truncated');
  });
});
