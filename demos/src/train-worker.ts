/**
 * The training worker: owns the GPU, the dataset and the Trainer, so the page never blocks.
 * Exposed with Comlink (see TrainWorkerApi). Pause takes effect between generations (the loop
 * waits inside its onGeneration hook); Stop ends the loop after the current generation and writes
 * a final checkpoint, exactly like Ctrl-C in the Node CLI.
 */
import * as Comlink from 'comlink';
import { subsetSplit, type Dataset } from '../../src/data/dataset';
import { loadIdxUrl } from '../../src/data/load-url';
import { ensureGpu, initGpu } from './worker-gpu';
import { describeVsmlConfig, metaParamLayout } from '../../src/spec/vsml-config';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/meta/checkpoint';
import { Trainer, trainLoop } from '../../src/meta/trainer';
import { parseRuleFile } from '../../src/meta/rule-es';
import type { ClassMeanRule } from '../../src/inner/rules/class-mean';
import { encodeShare, ruleSharePayload, shareCheckpoint, trainedStream, type ShareBits } from '../../src/share';
import { runProbe } from './ordered-replay';
import type {
  LoadedFile,
  ProbeResult,
  RunEvent,
  RunRequest,
  ShareResult,
  TrainWorkerApi,
} from '../../src/pages/train-messages';

let trainer: Trainer | null = null;
let lastCheckpoint: Checkpoint | null = null;
/** A loaded class-mean rule file: Share shares it (a rule is not trained here). */
let loadedRule: { rule: ClassMeanRule; name: string } | null = null;
let running = false;
let stopRequested = false;
let paused = false;
let releasePause: (() => void) | null = null;
const datasets = new Map<string, Promise<Dataset>>();

function loadData(url: string): Promise<Dataset> {
  let p = datasets.get(url);
  if (!p) {
    p = loadIdxUrl(url, 'mnist');
    datasets.set(url, p);
    p.catch(() => datasets.delete(url));
  }
  return p;
}

/** In the browser a dataset is the bundled MNIST or an http(s) URL of IDX files. */
function datasetUrl(name: string, dataBase: string): string {
  if (name === 'mnist') return dataBase;
  if (/^https?:\/\//.test(name)) return name;
  throw new Error(
    `dataset '${name}' is not available in the browser: use 'mnist' or an http(s) URL of a folder of IDX files`,
  );
}

/** The latest consistent state: the live trainer's (whole generations only) or the loaded file's. */
function current(): Checkpoint | null {
  return trainer ? trainer.checkpoint() : lastCheckpoint;
}

const api: TrainWorkerApi = {
  init: initGpu,

  async run(req: RunRequest, onEvent: (e: RunEvent) => void): Promise<'completed' | 'stopped'> {
    if (running) throw new Error('a run is already in progress');
    running = true;
    stopRequested = false;
    paused = false;
    const emit = (e: RunEvent) => {
      try {
        onEvent(e);
      } catch {
        /* the page went away; keep going until stopped */
      }
    };
    try {
      const g = await ensureGpu();
      loadedRule = null;
      let ckpt: Checkpoint | undefined;
      if (req.checkpointText !== undefined) ckpt = decodeCheckpoint(req.checkpointText, 'the loaded checkpoint');
      const config = ckpt ? { ...ckpt.config, generations: req.generations ?? ckpt.config.generations } : req.config;
      if (!config) throw new Error('run: a config or a checkpoint is needed');
      emit({ type: 'status', message: `loading ${config.dataset}…` });
      const ds = await loadData(datasetUrl(config.dataset, req.dataBase));
      const train = config.trainSubset > 0 ? subsetSplit(ds.train, config.trainSubset) : ds.train;
      trainer?.destroy();
      trainer = ckpt
        ? Trainer.resume(g, ckpt, train, { generations: config.generations })
        : Trainer.create(g, config, train);
      const t = trainer;
      lastCheckpoint = t.checkpoint();
      emit({
        type: 'started',
        generation: t.generation,
        total: config.generations,
        describe: describeVsmlConfig(config.learner),
        dim: metaParamLayout(config.learner).size,
        config,
        trainName: train.name,
        trainCount: train.count,
      });
      const probeNow = async (force: boolean) => {
        const every = req.probe.every;
        if (every <= 0 || (!force && t.generation % every !== 0)) return;
        const probe: ProbeResult = await runProbe(
          g,
          config.learner,
          t.metaParams(),
          ds,
          req.probe,
          config.seed,
          t.generation,
        );
        emit({ type: 'probe', probe });
      };
      const outcome = await trainLoop(t, {
        onGeneration: async (m) => {
          emit({ type: 'generation', metrics: m, elapsedMs: t.elapsedMs });
          await probeNow(t.done);
          if (paused && !stopRequested && !t.done) {
            emit({ type: 'paused', generation: t.generation });
            await new Promise<void>((resolve) => (releasePause = resolve));
            releasePause = null;
            if (!stopRequested) emit({ type: 'resumed', generation: t.generation });
          }
        },
        saveCheckpoint: (c) => {
          lastCheckpoint = c;
          emit({
            type: 'checkpoint',
            generation: c.generation,
            text: req.emitCheckpoints ? encodeCheckpoint(c) : undefined,
          });
        },
        shouldStop: () => stopRequested,
      });
      emit({ type: 'finished', outcome, generation: t.generation });
      return outcome;
    } catch (e) {
      const err = e as Error;
      // The strategy state only advances after whole generations: the checkpoint stays usable.
      if (trainer) lastCheckpoint = trainer.checkpoint();
      emit({ type: 'error', name: err.name ?? 'Error', message: err.message ?? String(e) });
      throw e;
    } finally {
      running = false;
      paused = false;
    }
  },

  pause() {
    if (running) paused = true;
  },

  resume() {
    paused = false;
    releasePause?.();
  },

  stop() {
    stopRequested = true;
    paused = false;
    releasePause?.();
  },

  loadCheckpoint(text: string): LoadedFile {
    if (running) throw new Error('a run is in progress: stop it before loading a file');
    // A rule file names its format; anything else is read as a checkpoint (with its errors).
    if (/"format"\s*:\s*"vsml-class-mean-rule"/.test(text.slice(0, 4096))) {
      const rule = parseRuleFile(text, 'the loaded rule file');
      trainer?.destroy();
      trainer = null;
      lastCheckpoint = null;
      loadedRule = { rule, name: 'rule.json' };
      return { kind: 'rule', describe: `class-mean rule with ${rule.ink?.length ?? 0} evolved ink terms` };
    }
    const c = decodeCheckpoint(text, 'the loaded checkpoint');
    trainer?.destroy();
    trainer = null;
    loadedRule = null;
    lastCheckpoint = c;
    return {
      kind: 'checkpoint',
      generation: c.generation,
      generations: c.config.generations,
      strategy: c.strategy.kind,
      config: c.config,
    };
  },

  checkpointText(): string | null {
    const c = current();
    return c ? encodeCheckpoint(c) : null;
  },

  async share(bits: ShareBits = 16): Promise<ShareResult> {
    if (!trainer && loadedRule) {
      const enc = await encodeShare(ruleSharePayload(loadedRule.rule, `loaded ${loadedRule.name}`));
      return {
        source: 'rule',
        fragment: enc.fragment,
        sizes: enc.sizes,
        exact: true,
        generation: 0,
        stream: 'benchmark',
      };
    }
    const c = current();
    if (!c) throw new Error('nothing to share yet: start a run or load a checkpoint or rule file');
    const enc = await shareCheckpoint(c, { bits });
    return {
      source: 'checkpoint',
      fragment: enc.fragment,
      sizes: enc.sizes,
      exact: enc.exact,
      generation: c.generation,
      stream: trainedStream(c.config),
    };
  },
};

Comlink.expose(api);
