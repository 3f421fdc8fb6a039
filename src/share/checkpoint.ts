/**
 * Share links from training checkpoints and rules (runtime-agnostic: the browser worker and the
 * Node CLIs). A GA elite is shared as its seed chain, every other strategy's parameters as
 * quantised values (or exact f32 with bits 32). The GA chain is used only if it rebuilds the
 * checkpoint's parameters bit for bit (it does when the run started from initMetaParams(learner,
 * initSeed), as Trainer.create does); otherwise the parameters are encoded like any other learner.
 *
 * Which learner and which stream: a run meta-trained for the benchmark (pixel subsets or
 * validation on long streams, e.g. `--preset ordered`) is shared as its deployed 784 -> 10 learner
 * and replays on full OrderedMNIST, the scoreboard's stream; any other run is shared as the learner
 * it trained and replays on episodes of its training shape (ways, examples per class). A black-box
 * LSTM run (learnerKind 'lstm') is shared as trained, with its LstmLearnerConfig; a link longer than
 * MAX_LINK_CHARS (codec.ts) is refused with its size and the limit.
 */
import type { Checkpoint } from '../meta/checkpoint';
import type { TrainConfig } from '../meta/train-config';
import { lstmOf } from '../meta/learner-kind';
import { CLASS_MEAN_LEARNER, classMeanRuleParams, type ClassMeanRule } from '../inner/rules/class-mean';
import { validateVsmlConfig } from '../spec/vsml-config';
import { encodeShare, type EncodedShare, type SharePayload } from './codec';
import type { StreamKind } from './schema';

/** Bits of a shared parameter vector: int8 / int16 quantised, or the exact f32 values. */
export type ShareBits = 8 | 16 | 32;

/** State seed of benchmark evaluations (src/bench/vsml-adapter.ts DEFAULT_EVAL_STATE_SEED). */
export const BENCHMARK_STATE_SEED = 1;

function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The stream a training config's learner was made for. */
export function trainedStream(t: TrainConfig): StreamKind {
  return t.tasks.pixelSubset > 0 || t.validation.every > 0 ? 'benchmark' : 'episode';
}

export interface CheckpointShareOptions {
  bits?: ShareBits;
  /** 'final': the strategy's current parameters (default); 'best': best by validation when kept. */
  which?: 'final' | 'best';
  title?: string;
  benchmarkAccuracy?: number;
}

export function checkpointSharePayload(c: Checkpoint, opts: CheckpointShareOptions = {}): SharePayload {
  const s = c.strategy;
  const stream = trainedStream(c.config);
  const best = opts.which === 'best' && c.best !== undefined;
  const params = best ? c.best!.metaParams : c.metaParams;
  const generation = best ? c.best!.generation : c.generation;
  // An LSTM cannot be widened: it is shared as trained (its `vsml` is the config it was sized from).
  const lstm = c.config.learnerKind === 'lstm' ? lstmOf(c.config) : undefined;
  const vsml = stream === 'benchmark' && !lstm ? c.deployLearner : c.learner;
  const note = {
    strategy: s.kind,
    generation,
    stream,
    ...(opts.title ? { title: opts.title } : {}),
    ...(opts.benchmarkAccuracy !== undefined ? { benchmarkAccuracy: opts.benchmarkAccuracy } : {}),
  };
  const config = lstm ? { vsml, lstm, train: c.config, note } : { vsml, train: c.config, note };
  // Benchmark rows are evaluated from state seed 1; episode replays from the run's seed.
  const stateSeed = stream === 'benchmark' ? BENCHMARK_STATE_SEED : c.config.seed;
  if (s.kind === 'ga' && !best) {
    const g = s.parents[0].genome;
    return {
      config,
      stateSeed,
      learner: { kind: 'ga', initSeed: g.initSeed, sigma: s.config.sigma, chain: [...g.chain] },
    };
  }
  return { config, stateSeed, learner: { kind: 'params', params, bits: opts.bits ?? 16 } };
}

/** Encode a checkpoint's learner; `exact` says whether the shared parameters equal the checkpoint's. */
export async function shareCheckpoint(
  c: Checkpoint,
  opts: CheckpointShareOptions | ShareBits = {},
): Promise<EncodedShare & { exact: boolean }> {
  const o = typeof opts === 'number' ? { bits: opts } : opts;
  const payload = checkpointSharePayload(c, o);
  const want = o.which === 'best' && c.best ? c.best.metaParams : c.metaParams;
  const enc = await encodeShare(payload);
  if (payload.learner.kind !== 'ga') return { ...enc, exact: sameBits(enc.params, want) };
  if (sameBits(enc.params, want)) return { ...enc, exact: true };
  const fallback = await encodeShare({ ...payload, learner: { kind: 'params', params: want, bits: o.bits ?? 16 } });
  return { ...fallback, exact: sameBits(fallback.params, want) };
}

/**
 * A class-mean rule (hand-designed when `rule` is undefined, or a rule file's evolved ink terms):
 * the 784 -> 10 rule learner, its exact f32 parameters, the benchmark's state seed.
 */
export function ruleSharePayload(
  rule: ClassMeanRule | undefined,
  source: string,
  opts: { title?: string; benchmarkAccuracy?: number } = {},
): SharePayload {
  const vsml = validateVsmlConfig(CLASS_MEAN_LEARNER);
  const params = rule ? classMeanRuleParams(vsml, rule) : classMeanRuleParams(vsml);
  const note = {
    source: source.slice(0, 200),
    strategy: rule?.ink?.length
      ? `class-mean rule, ${rule.ink.length} evolved ink terms`
      : 'hand-designed class-mean rule',
    stream: 'benchmark' as const,
    ...(opts.title ? { title: opts.title } : {}),
    ...(opts.benchmarkAccuracy !== undefined ? { benchmarkAccuracy: opts.benchmarkAccuracy } : {}),
  };
  return { config: { vsml, note }, stateSeed: BENCHMARK_STATE_SEED, learner: { kind: 'params', params, bits: 32 } };
}
