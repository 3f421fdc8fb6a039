/**
 * The train page: pick or edit a config, Start / Pause / Resume / Stop a run in a dedicated worker
 * (Comlink), live charts, checkpoint download and load, share links. The same page is driven
 * headless by src/cli/train-browser.ts through window.vsmlApp.
 */
import * as Comlink from 'comlink';
import { PRESETS, presetConfig, validateTrainConfig, type TrainConfig } from '../../src/meta/train-config';
import type { GenerationMetrics } from '../../src/meta/trainer';
import { BarChart, LineChart } from './charts';
import {
  DEFAULT_PROBE,
  type InitResult,
  type ProbeOptions,
  type RunEvent,
  type ShareResult,
  type StartOptions,
  type TrainPageApi,
  type TrainWorkerApi,
} from '../../src/pages/train-messages';
import { $, dataBaseUrl, fmt, hasWebGpu, noWebGpuMessage, replayUrl } from './page-util';
import './style.css';

type Phase = 'init' | 'no-gpu' | 'idle' | 'running' | 'pausing' | 'paused' | 'stopping';

const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'vsml-train' });
const api = Comlink.wrap<TrainWorkerApi>(worker);

const ui = {
  adapter: $('adapter'),
  noGpu: $('nogpu'),
  preset: $('preset') as HTMLSelectElement,
  config: $('config') as HTMLTextAreaElement,
  configError: $('config-error'),
  start: $('start') as HTMLButtonElement,
  pause: $('pause') as HTMLButtonElement,
  resume: $('resume') as HTMLButtonElement,
  stop: $('stop') as HTMLButtonElement,
  download: $('download') as HTMLButtonElement,
  load: $('load') as HTMLInputElement,
  share: $('share') as HTMLButtonElement,
  shareBits: $('share-bits') as HTMLSelectElement,
  shareOut: $('share-out'),
  status: $('status'),
  progress: $('progress') as HTMLProgressElement,
  eta: $('eta'),
  log: $('log'),
  probeEvery: $('probe-every') as HTMLInputElement,
  probeLearn: $('probe-learn') as HTMLInputElement,
  probeTest: $('probe-test') as HTMLInputElement,
};

const fitnessChart = new LineChart($('chart-fitness'), {
  title: 'Fitness per generation',
  xLabel: 'generation',
  yLabel: 'fitness',
});
const throughputChart = new LineChart($('chart-throughput'), {
  title: 'Throughput',
  xLabel: 'generation',
  yLabel: 'learner steps / s',
  yMin: 0,
});
const probeChart = new BarChart($('chart-probe'), {
  title: 'OrderedMNIST probe of the best learner',
  labels: Array.from({ length: 10 }, (_, i) => String(i)),
  height: 230,
});

let phase: Phase = 'init';
let history: GenerationMetrics[] = [];
let total = 0;
/** A checkpoint loaded from a file, to continue with Start. */
let loadedCheckpoint: string | null = null;
let hasState = false;
/** Wall time of the current session's generations, for the ETA. */
let sessionStart = 0;
let sessionFirstGen = 0;

function log(line: string): void {
  const t = new Date().toLocaleTimeString();
  ui.log.textContent = `${ui.log.textContent}[${t}] ${line}\n`.split('\n').slice(-300).join('\n');
  ui.log.scrollTop = ui.log.scrollHeight;
}

function setPhase(p: Phase): void {
  phase = p;
  document.body.dataset.phase = p;
  const busy = p === 'running' || p === 'pausing' || p === 'paused' || p === 'stopping';
  ui.start.disabled = p !== 'idle' || !!ui.configError.textContent;
  ui.pause.disabled = p !== 'running';
  ui.resume.disabled = p !== 'paused';
  ui.stop.disabled = !(p === 'running' || p === 'paused' || p === 'pausing');
  ui.download.disabled = !hasState || p === 'init' || p === 'no-gpu';
  ui.share.disabled = ui.download.disabled;
  ui.preset.disabled = busy || p === 'no-gpu';
  ui.config.readOnly = busy;
  ui.load.disabled = busy || p === 'no-gpu';
}

/** Progress bar and ETA: indeterminate while kernels compile, then generations done / total. */
function showProgress(done: number | null, of: number): void {
  if (done === null) {
    ui.progress.removeAttribute('value');
    ui.progress.dataset.state = 'compiling';
    ui.eta.textContent = 'compiling GPU kernels and running the first generation (slow on software adapters)…';
    return;
  }
  ui.progress.max = Math.max(1, of);
  ui.progress.value = done;
  ui.progress.dataset.state = 'running';
  const ran = done - sessionFirstGen;
  const perGen = ran > 0 ? (performance.now() - sessionStart) / ran : NaN;
  const left = (of - done) * perGen;
  ui.eta.textContent =
    done >= of
      ? `${done}/${of} generations`
      : `${done}/${of} generations · ETA ${Number.isFinite(left) ? formatDuration(left) : '…'}`;
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

// ---- config editing ------------------------------------------------------------------------

for (const name of Object.keys(PRESETS)) ui.preset.add(new Option(name, name));

function showConfig(c: TrainConfig): void {
  ui.config.value = JSON.stringify(c, null, 2);
  checkConfig();
}

/** Validate the textarea; returns the config or null (and shows the error). */
function checkConfig(): TrainConfig | null {
  let c: TrainConfig | null = null;
  try {
    c = validateTrainConfig(JSON.parse(ui.config.value));
    ui.configError.textContent = '';
  } catch (e) {
    ui.configError.textContent = (e as Error).message;
  }
  if (phase === 'idle') setPhase('idle');
  return c;
}

ui.preset.addEventListener('change', () => {
  loadedCheckpoint = null;
  showConfig(presetConfig(ui.preset.value));
});
ui.config.addEventListener('input', () => {
  loadedCheckpoint = null;
  checkConfig();
});

function probeOptions(): ProbeOptions {
  const n = (el: HTMLInputElement, d: number, min: number) => {
    const v = Math.floor(Number(el.value));
    return Number.isFinite(v) && v >= min ? v : d;
  };
  return {
    every: n(ui.probeEvery, DEFAULT_PROBE.every, 0),
    learnPerClass: n(ui.probeLearn, DEFAULT_PROBE.learnPerClass, 1),
    testPerClass: n(ui.probeTest, DEFAULT_PROBE.testPerClass, 1),
  };
}

// ---- run events ----------------------------------------------------------------------------

function redrawCharts(): void {
  const x = (m: GenerationMetrics) => m.generation + 1;
  fitnessChart.setSeries([
    { name: 'best', color: '#d6452f', points: history.map((m) => ({ x: x(m), y: m.fitness.best })) },
    { name: 'mean', color: '#2f6fd6', points: history.map((m) => ({ x: x(m), y: m.fitness.mean })) },
    ...(history.some((m) => m.centre)
      ? [
          {
            name: history.find((m) => m.centre)?.centre?.role ?? 'centre',
            color: '#2a9d55',
            points: history.filter((m) => m.centre).map((m) => ({ x: x(m), y: m.centre!.fitness })),
          },
        ]
      : []),
  ]);
  throughputChart.setSeries([
    { name: 'steps/s', color: '#7b4bc4', points: history.map((m) => ({ x: x(m), y: m.stepsPerSecond })) },
  ]);
}

/** Forward to the headless driver when it listens (puppeteer's exposeFunction). */
function forward(e: RunEvent): void {
  const hook = (window as unknown as { __vsmlHeadless?: (e: unknown) => void }).__vsmlHeadless;
  if (hook) void Promise.resolve(hook(JSON.parse(JSON.stringify(e)))).catch(() => undefined);
}

function onEvent(e: RunEvent): void {
  forward(e);
  switch (e.type) {
    case 'status':
      ui.status.textContent = e.message;
      log(e.message);
      break;
    case 'started':
      total = e.total;
      hasState = true;
      sessionStart = performance.now();
      sessionFirstGen = e.generation;
      log(
        `started at generation ${e.generation}/${e.total}: ${e.describe}, ${e.dim} meta-parameters, ${e.config.strategy.kind}; ${e.trainName} (${e.trainCount} examples)`,
      );
      // The first generation builds every compute pipeline: say so instead of looking stuck.
      ui.status.textContent = `compiling kernels · generation ${e.generation + 1}/${e.total} running`;
      log('compiling kernels: the first generation builds every GPU pipeline');
      document.body.dataset.compiling = '1';
      showProgress(null, e.total);
      break;
    case 'generation': {
      const m = e.metrics;
      history.push(m);
      redrawCharts();
      document.body.dataset.generations = String(history.length);
      delete document.body.dataset.compiling;
      showProgress(m.generation + 1, total);
      ui.status.innerHTML = `generation <b>${m.generation + 1}</b>/${total} · best ${fmt(m.fitness.best)} · mean ${fmt(m.fitness.mean)} · ${fmt(m.stepsPerSecond, 0)} steps/s · ${fmt(m.timeMs.total / 1000, 2)} s/gen`;
      log(
        `gen ${m.generation + 1}: fitness best ${fmt(m.fitness.best)} mean ${fmt(m.fitness.mean)}, query acc ${fmt(m.queryAccuracy.mean)}, ${fmt(m.stepsPerSecond, 0)} steps/s`,
      );
      break;
    }
    case 'probe': {
      const p = e.probe;
      probeChart.set(
        p.perClass,
        `test accuracy per class after generation ${p.generation}: ${fmt(p.accuracy * 100, 1)}% on classes 0-${p.classes - 1}`,
        p.perClass.map((_, i) => String(i)),
      );
      document.body.dataset.probes = String(Number(document.body.dataset.probes ?? 0) + 1);
      break;
    }
    case 'checkpoint':
      log(`checkpoint at generation ${e.generation}`);
      break;
    case 'paused':
      setPhase('paused');
      ui.status.textContent = `paused after generation ${e.generation}/${total}`;
      log('paused');
      break;
    case 'resumed':
      setPhase('running');
      log('resumed');
      break;
    case 'finished':
      log(`${e.outcome} at generation ${e.generation}`);
      ui.status.textContent = `${e.outcome} at generation ${e.generation}/${total}`;
      break;
    case 'error':
      log(`error: ${e.name}: ${e.message}`);
      delete document.body.dataset.compiling;
      ui.eta.textContent = '';
      ui.status.innerHTML = '';
      ui.status.append(
        Object.assign(document.createElement('span'), { className: 'error', textContent: `${e.name}: ${e.message}` }),
      );
      break;
  }
}

async function start(opts: StartOptions = {}): Promise<'completed' | 'stopped'> {
  if (phase !== 'idle') throw new Error(`cannot start while ${phase}`);
  const checkpointText =
    opts.checkpointText ?? (opts.config === undefined ? (loadedCheckpoint ?? undefined) : undefined);
  let config: TrainConfig | undefined;
  if (!checkpointText) {
    config = opts.config !== undefined ? validateTrainConfig(opts.config) : (checkConfig() ?? undefined);
    if (!config) throw new Error(`invalid config: ${ui.configError.textContent}`);
    if (opts.config !== undefined) showConfig(config);
  }
  history = [];
  redrawCharts();
  document.body.dataset.generations = '0';
  ui.eta.textContent = 'loading the dataset…';
  setPhase('running');
  try {
    return await api.run(
      {
        config,
        checkpointText,
        generations: opts.generations,
        dataBase: dataBaseUrl(),
        probe: opts.probe ?? probeOptions(),
        emitCheckpoints: opts.emitCheckpoints ?? false,
      },
      Comlink.proxy(onEvent),
    );
  } finally {
    setPhase('idle');
  }
}

ui.start.addEventListener('click', () => void start().catch((e) => log(`start failed: ${(e as Error).message}`)));
ui.pause.addEventListener('click', () => {
  setPhase('pausing');
  ui.status.textContent = 'pausing after this generation…';
  void api.pause();
});
ui.resume.addEventListener('click', () => void api.resume());
ui.stop.addEventListener('click', () => {
  setPhase('stopping');
  ui.status.textContent = 'stopping after this generation…';
  void api.stop();
});

// ---- checkpoints and sharing ---------------------------------------------------------------

ui.download.addEventListener('click', async () => {
  const text = await api.checkpointText();
  if (!text) return;
  const gen = (JSON.parse(text) as { generation: number }).generation;
  const a = Object.assign(document.createElement('a'), {
    href: URL.createObjectURL(new Blob([text], { type: 'application/json' })),
    download: `vsml-checkpoint-gen${gen}.json`,
  });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
});

ui.load.addEventListener('change', async () => {
  const file = ui.load.files?.[0];
  if (!file) return;
  try {
    const text = await file.text();
    const info = await api.loadCheckpoint(text);
    hasState = true;
    if (info.kind === 'rule') {
      loadedCheckpoint = null;
      log(
        `loaded ${file.name}: ${info.describe}. Share makes its replay link (a rule is not trained here; Start runs the config above).`,
      );
      ui.status.textContent = `rule file loaded (${info.describe})`;
      return;
    }
    loadedCheckpoint = text;
    ui.config.value = JSON.stringify(info.config, null, 2);
    checkConfig();
    log(
      `loaded ${file.name}: ${info.strategy}, generation ${info.generation}/${info.generations}. Start continues it; Share shares it.`,
    );
    ui.status.textContent = `checkpoint loaded (generation ${info.generation})`;
  } catch (e) {
    log(`could not load ${file.name}: ${(e as Error).message}`);
    ui.status.textContent = `could not load ${file.name}`;
  } finally {
    ui.load.value = '';
    setPhase(phase);
  }
});

async function share(bits: 8 | 16 | 32 = 16): Promise<ShareResult & { url: string }> {
  const r = await api.share(bits);
  return { ...r, url: replayUrl(r.fragment) };
}

ui.share.addEventListener('click', async () => {
  try {
    const b = Number(ui.shareBits.value);
    const r = await share(b === 8 ? 8 : b === 32 ? 32 : 16);
    const what = r.source === 'rule' ? 'rule' : `generation ${r.generation}`;
    ui.shareOut.replaceChildren(
      Object.assign(document.createElement('a'), { href: r.url, target: '_blank', textContent: 'replay link' }),
      document.createTextNode(
        ` (${what}, ${r.sizes.fragmentChars} characters${r.exact ? ', exact' : ', quantised'}; replays ${r.stream === 'benchmark' ? 'on full OrderedMNIST' : 'on episodes of its training shape'})`,
      ),
    );
    ui.shareOut.className = 'share';
    await navigator.clipboard?.writeText(r.url).catch(() => undefined);
    log(`share link: ${r.sizes.fragmentChars} characters`);
  } catch (e) {
    // Said next to the button: a link that cannot be made says why.
    const msg = (e as Error).message;
    ui.shareOut.className = 'share error';
    ui.shareOut.textContent = `No link: ${msg}`;
    log(`share failed: ${msg}`);
  }
});

// ---- start-up --------------------------------------------------------------------------------

async function init(): Promise<InitResult> {
  const params = new URLSearchParams(location.search);
  const preset = params.get('preset') ?? 'default';
  ui.preset.value = PRESETS[preset] ? preset : 'default';
  showConfig(presetConfig(ui.preset.value));
  if (!hasWebGpu()) {
    const message = noWebGpuMessage();
    ui.noGpu.textContent = message;
    ui.noGpu.classList.remove('hidden');
    ui.adapter.textContent = 'no WebGPU';
    setPhase('no-gpu');
    return { ok: false, message };
  }
  const r = await api.init();
  if (!r.ok) {
    ui.noGpu.textContent = `WebGPU is present but no GPU device could be created: ${r.message}`;
    ui.noGpu.classList.remove('hidden');
    ui.adapter.textContent = 'no GPU device';
    setPhase('no-gpu');
    return r;
  }
  ui.progress.value = 0;
  ui.adapter.textContent = `adapter: ${r.describe}`;
  document.body.dataset.adapter = r.describe;
  setPhase('idle');
  log(`WebGPU adapter: ${r.describe}`);
  if (params.get('autostart') === '1') void start().catch((e) => log(`start failed: ${(e as Error).message}`));
  return r;
}

const ready = init().catch((e: unknown): InitResult => {
  // Never leave the header on "checking WebGPU…".
  const message = `the page could not start: ${(e as Error).message ?? String(e)}`;
  ui.noGpu.textContent = message;
  ui.noGpu.classList.remove('hidden');
  ui.adapter.textContent = 'failed to start';
  setPhase('no-gpu');
  return { ok: false, message };
});

/** The headless driver's handle (src/cli/train-browser.ts) and the tests'. */
const app: TrainPageApi = {
  ready,
  start,
  pause: () => api.pause(),
  resume: () => api.resume(),
  stop: () => api.stop(),
  checkpointText: () => api.checkpointText(),
  share,
  phase: () => phase,
  generations: () => history.length,
};
(window as unknown as { vsmlApp: typeof app }).vsmlApp = app;
