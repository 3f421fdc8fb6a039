/**
 * Share links from training checkpoints (runtime-agnostic: the browser worker and the Node CLIs).
 * A GA elite is shared as its seed chain, every other strategy's current parameters as quantised
 * values. The GA chain is used only if it rebuilds the checkpoint's parameters bit for bit (it
 * does when the run started from initMetaParams(learner, initSeed), as Trainer.create does);
 * otherwise the parameters are quantised like any other learner.
 */
import type { Checkpoint } from '../meta/checkpoint';
import { encodeShare, type EncodedShare, type SharePayload } from './codec';
import type { QuantBits } from './quantise';

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

export function checkpointSharePayload(c: Checkpoint, bits: QuantBits = 16): SharePayload {
  const s = c.strategy;
  // A learner meta-trained on pixel subsets reads every pixel when deployed: share that learner.
  const vsml = c.config.tasks.pixelSubset > 0 ? c.deployLearner : c.learner;
  const config = { vsml, train: c.config, note: { strategy: s.kind, generation: c.generation } };
  if (s.kind === 'ga') {
    const g = s.parents[0].genome;
    return { config, stateSeed: c.config.seed, learner: { kind: 'ga', initSeed: g.initSeed, sigma: s.config.sigma, chain: [...g.chain] } };
  }
  return { config, stateSeed: c.config.seed, learner: { kind: 'params', params: c.metaParams, bits } };
}

/** Encode a checkpoint's learner; `exact` says whether the shared parameters equal the checkpoint's. */
export async function shareCheckpoint(c: Checkpoint, bits: QuantBits = 16): Promise<EncodedShare & { exact: boolean }> {
  const payload = checkpointSharePayload(c, bits);
  const enc = await encodeShare(payload);
  if (payload.learner.kind !== 'ga') return { ...enc, exact: sameBits(enc.params, c.metaParams) };
  if (sameBits(enc.params, c.metaParams)) return { ...enc, exact: true };
  const fallback = await encodeShare({ ...payload, learner: { kind: 'params', params: c.metaParams, bits } });
  return { ...fallback, exact: sameBits(fallback.params, c.metaParams) };
}
