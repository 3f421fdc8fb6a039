/**
 * The replay worker: decodes a share link (validation and any GA chain rebuild happen here, off the
 * page's thread), then plays the decoded learner on OrderedMNIST on the GPU.
 */
import * as Comlink from 'comlink';
import type { Dataset } from '../../src/data/dataset';
import { loadIdxUrl } from '../../src/data/load-url';
import { ensureGpu, initGpu } from './worker-gpu';
import type { VsmlConfig } from '../../src/spec/vsml-config';
import { ShareError, decodeShare, type DecodedShare } from '../../src/share';
import { lstmReplayInput, shareSummary } from '../../src/pages/share-summary';
import type { LstmLearnerConfig } from '../../src/spec/lstm-config';
import { LstmOrderedRunner, OrderedRunner, orderedStream, playableClasses } from './ordered-replay';
import type {
  DecodeOutcome,
  PlayOptions,
  ReplayEvent,
  ReplayResult,
  ReplayWorkerApi,
} from '../../src/pages/replay-messages';

let decoded: DecodedShare | null = null;
let dataset: Promise<Dataset> | null = null;

function loadData(base: string): Promise<Dataset> {
  dataset ??= loadIdxUrl(base, 'mnist');
  dataset.catch(() => (dataset = null));
  return dataset;
}

async function play(
  vsml: VsmlConfig,
  params: Float32Array,
  stateSeed: number,
  opts: PlayOptions,
  emit: (e: ReplayEvent) => void,
  /** A black-box LSTM learner instead of VSML, and the pixels it reads (null: every pixel). */
  lstm?: { config: LstmLearnerConfig; pixels: Uint32Array | null },
): Promise<ReplayResult> {
  const t0 = performance.now();
  const g = await ensureGpu();
  const send = emit;
  // Tag events with the play's id (the stream event carries it already: re-spreading it would drop its transfer list).
  emit = (e) => send(e.playId === undefined ? { ...e, playId: opts.playId } : e);
  emit({ type: 'status', message: 'loading MNIST…' });
  const ds = await loadData(opts.dataBase);
  const classes = playableClasses(vsml, ds);
  const stream = orderedStream(ds, classes, opts.learnPerClass, opts.testPerClass);
  if (opts.sendImages) {
    const images = stream.split.images.slice();
    const labels = stream.labels.slice();
    emit(
      Comlink.transfer(
        {
          playId: opts.playId,
          type: 'stream',
          classes,
          learnCount: stream.learnCount,
          testCount: stream.testCount,
          images,
          labels,
          rows: ds.train.rows,
          cols: ds.train.cols,
        },
        [images.buffer, labels.buffer],
      ),
    );
  }
  emit({
    type: 'status',
    message: `compiling kernels, then ${stream.learnCount} class-sorted training examples and ${stream.testCount} test images…`,
  });
  const runner = lstm
    ? new LstmOrderedRunner(g, lstm.config, lstm.pixels, stream)
    : new OrderedRunner(g, vsml, stream, { stepsPerSubmit: opts.stepsPerSubmit });
  try {
    const r = await runner.run(params, stateSeed, (done, total) => {
      emit({ type: 'progress', done, total, learnCount: stream.learnCount });
    });
    return {
      classes,
      learnCount: stream.learnCount,
      testCount: stream.testCount,
      testPredictions: Array.from(r.testPredictions),
      perClass: r.perClass,
      accuracy: r.accuracy,
      onlineAccuracy: stream.learnCount ? r.onlineCorrect / stream.learnCount : NaN,
      ms: performance.now() - t0,
      adapter: g.describe(),
    };
  } finally {
    runner.destroy();
  }
}

const api: ReplayWorkerApi = {
  async decode(fragment: string): Promise<DecodeOutcome> {
    decoded = null;
    try {
      const d = await decodeShare(fragment);
      decoded = d;
      return { ok: true, summary: shareSummary(d) };
    } catch (e) {
      if (e instanceof ShareError) return { ok: false, code: e.code, message: e.message };
      return { ok: false, code: 'internal', message: `unexpected ${(e as Error).name}: ${(e as Error).message}` };
    }
  },

  init: initGpu,

  async preload(dataBase: string): Promise<void> {
    // Errors surface at Play, with the status that names them.
    await loadData(dataBase).then(
      () => undefined,
      () => undefined,
    );
  },

  async play(opts: PlayOptions, onEvent: (e: ReplayEvent) => void): Promise<ReplayResult> {
    if (!decoded) throw new Error('no decoded share link');
    const lstm = decoded.config.lstm
      ? { config: decoded.config.lstm, pixels: lstmReplayInput(decoded.config).pixels }
      : undefined;
    return play(decoded.config.vsml, decoded.params, decoded.stateSeed, opts, onEvent, lstm);
  },

  async playParams(
    vsml: VsmlConfig,
    params: Float32Array,
    stateSeed: number,
    opts: PlayOptions,
  ): Promise<ReplayResult> {
    return play(vsml, params, stateSeed, opts, () => undefined);
  },

  decodedParams(): Float32Array | null {
    return decoded ? decoded.params.slice() : null;
  },
};

Comlink.expose(api);
