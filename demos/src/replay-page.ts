/**
 * The replay page: decode the share link in the fragment (in a worker), show what it holds, then
 * play the learner on the stream it was made for: full OrderedMNIST for a benchmark learner (rules,
 * runs meta-trained for the benchmark), episodes of its training shape otherwise. The class-sorted
 * training stream goes through the GPU learner in small submissions and the page shows each image
 * and each class's progress as the GPU reaches it; then the frozen learner answers the test
 * images, whose predictions are played back with running per-class accuracy, and the final score
 * is the last thing written. Any problem with the link is shown as a specific message; nothing
 * here throws past the page.
 */
import * as Comlink from 'comlink';
import { BarChart, LineChart } from './charts';
import { $, dataBaseUrl, fmt, hasWebGpu, noWebGpuMessage } from './page-util';
import type {
  PlayOptions,
  ReplayEvent,
  ReplayResult,
  ReplayWorkerApi,
  ShareSummary,
} from '../../src/pages/replay-messages';
import type { VsmlConfig } from '../../src/spec/vsml-config';
import './style.css';

const worker = new Worker(new URL('./replay-worker.ts', import.meta.url), { type: 'module', name: 'vsml-replay' });
const api = Comlink.wrap<ReplayWorkerApi>(worker);

const ui = {
  adapter: $('adapter'),
  message: $('message'),
  summary: $('summary') as HTMLTableElement,
  stream: $('stream') as HTMLSelectElement,
  streamNote: $('stream-note'),
  learn: $('learn') as HTMLInputElement,
  test: $('test') as HTMLInputElement,
  speed: $('speed') as HTMLSelectElement,
  play: $('play') as HTMLButtonElement,
  progress: $('progress') as HTMLProgressElement,
  status: $('status'),
  digit: $('digit') as HTMLCanvasElement,
  now: $('now'),
  score: $('score'),
};
const classChart = new BarChart($('chart-classes'), {
  title: 'Per class',
  labels: Array.from({ length: 10 }, (_, i) => String(i)),
  height: 240,
});
const progressChart = new LineChart($('chart-progress'), {
  title: 'Running test accuracy',
  xLabel: 'test images answered',
  yLabel: 'accuracy',
  yMin: 0,
  yMax: 1,
  height: 220,
});

type State = 'decoding' | 'error' | 'no-gpu' | 'ready' | 'playing' | 'done';
type StreamKind = 'benchmark' | 'episode';

/** Example steps per GPU submission for each speed (progress granularity only). */
const SPEEDS: Record<string, { steps?: number; playbackFrames: number }> = {
  smooth: { steps: 4, playbackFrames: 240 },
  normal: { steps: 32, playbackFrames: 90 },
  fast: { steps: undefined, playbackFrames: 20 },
};
/** A software adapter plays this much of OrderedMNIST by default (per class); 0/0 is the full benchmark. */
const SOFTWARE_BENCHMARK_SUBSET = { learn: 200, test: 100 };

function setState(s: State): void {
  document.body.dataset.state = s;
}

function banner(kind: 'error' | 'info', text: string): void {
  ui.message.className = `banner ${kind}`;
  ui.message.textContent = text;
  ui.message.classList.toggle('hidden', text === '');
}

function showError(code: string, message: string): void {
  document.body.dataset.errorCode = code;
  banner('error', `This share link cannot be used: ${message.replace(/^share link: /, '')} [${code}]`);
  ui.adapter.textContent = hasWebGpu() ? 'WebGPU available (nothing to play)' : 'no WebGPU';
  setState('error');
}

function row(k: string, v: string): void {
  const tr = ui.summary.insertRow();
  tr.insertCell().textContent = k;
  tr.insertCell().textContent = v;
}

let summary: ShareSummary | null = null;
let softwareAdapter = false;

function showSummary(s: ShareSummary): void {
  ui.summary.replaceChildren();
  row('learner', s.describe);
  const enc =
    s.learner.kind === 'ga'
      ? `GA seed chain of ${s.learner.chain.length} seeds, sigma ${fmt(s.learner.sigma, 4)}`
      : s.learner.kind === 'f32'
        ? 'exact f32 values'
        : `int${s.learner.bits} quantised, blocks of ${s.learner.blockSize}`;
  row('meta-parameters', `${s.dim} (${enc})`);
  row('learned state', `${(s.stateBytes / 1024).toFixed(1)} KiB`);
  if (s.lstmInput) row('reads', s.lstmInput);
  if (s.note.title) row('title', s.note.title);
  if (s.note.source) row('source', s.note.source);
  if (s.note.strategy || s.note.generation !== undefined)
    row(
      'made by',
      `${s.note.strategy ?? '?'}${s.note.generation !== undefined ? `, generation ${s.note.generation}` : ''}`,
    );
  if (s.train)
    row(
      'training',
      `seed ${s.train.seed}, ${s.train.strategy.kind}, ${s.train.fitness}, ${s.train.tasks.minClasses}-${s.train.tasks.maxClasses}-way episodes of ${s.train.tasks.learnLength}+${s.train.tasks.queryLength}`,
    );
  if (s.note.benchmarkAccuracy !== undefined)
    row('scoreboard', `${fmt(100 * s.note.benchmarkAccuracy, 2)}% on full OrderedMNIST`);
  row('link', `${s.sizes.fragmentChars} characters (${s.sizes.wireBytes} bytes)`);
  row(
    'classes played',
    `0-${Math.min(10, s.outputs) - 1}${s.outputs < 10 ? ` (the learner has ${s.outputs} outputs)` : ''}`,
  );
}

/** The stream the learner was made for: the link's note, else its training config, else the benchmark. */
function madeFor(s: ShareSummary): StreamKind {
  if (s.note.stream) return s.note.stream;
  if (s.train) return s.train.tasks.pixelSubset > 0 || s.train.validation.every > 0 ? 'benchmark' : 'episode';
  return 'benchmark';
}

/** Default examples per class of a stream kind for this learner. */
function streamDefaults(s: ShareSummary, kind: StreamKind): { learn: number; test: number; note: string } {
  if (kind === 'benchmark') {
    const score =
      s.note.benchmarkAccuracy !== undefined ? ` (scoreboard: ${fmt(100 * s.note.benchmarkAccuracy, 2)}%)` : '';
    if (softwareAdapter) {
      const { learn, test } = SOFTWARE_BENCHMARK_SUBSET;
      return {
        learn,
        test,
        note: `Full OrderedMNIST${score} takes minutes on this software adapter: by default the page plays its first ${learn} training and ${test} test images per class. Set both to 0 for the whole benchmark.`,
      };
    }
    return {
      learn: 0,
      test: 0,
      note: `Full OrderedMNIST: all 60,000 training images in class order, then the 10,000 test images${score}.`,
    };
  }
  const ways = Math.max(1, Math.min(s.outputs, s.train?.tasks.maxClasses ?? s.outputs));
  const learn = s.train ? Math.max(1, Math.round(s.train.tasks.learnLength / ways)) : 20;
  const test = s.train ? Math.max(1, Math.round(s.train.tasks.queryLength / ways)) : 20;
  return {
    learn,
    test,
    note: `Episodes of the learner's training shape: ${learn} training and ${test} test images per class of ${Math.min(10, s.outputs)} classes (it was meta-trained on ${s.train ? `${s.train.tasks.learnLength}-example episodes` : 'short episodes'}).`,
  };
}

function applyStream(kind: StreamKind, query?: URLSearchParams): void {
  if (!summary) return;
  const d = streamDefaults(summary, kind);
  ui.stream.value = kind;
  ui.learn.value = query?.get('learn') ?? String(d.learn);
  ui.test.value = query?.get('test') ?? String(d.test);
  const fromAddress = query?.has('learn') || query?.has('test');
  ui.streamNote.textContent = fromAddress
    ? `${d.note} This address asks for ${ui.learn.value} training and ${ui.test.value} test images per class.`
    : d.note;
}

function drawDigit(images: Uint8Array, index: number, rows: number, cols: number, done: number): void {
  const ctx = ui.digit.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(cols, rows);
  const px = rows * cols;
  for (let p = 0; p < px; p++) {
    const v = images[index * px + p];
    img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v;
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  frames.push({ index, done, t: performance.now() - playStartedAt });
}

interface StreamInfo {
  ev: Extract<ReplayEvent, { type: 'stream' }>;
  /** First learn index and count of each class (the learning stream is sorted by class). */
  start: number[];
  count: number[];
}

let stream: StreamInfo | null = null;
let playId = 0;
/** Set once the GPU result is in: later events of that play are stale and ignored. */
let resultIn = false;
/** Every canvas update of the current play: which image, at how many GPU steps, ms after Play. */
let frames: { index: number; done: number; t: number }[] = [];
let playStartedAt = 0;

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function onEvent(e: ReplayEvent): void {
  if (e.playId !== playId || resultIn) return;
  if (e.type === 'status') setStatus(e.message);
  else if (e.type === 'stream') {
    const start = new Array(e.classes).fill(0);
    const count = new Array(e.classes).fill(0);
    for (let k = 0; k < e.learnCount; k++) count[e.labels[k]]++;
    for (let c = 1; c < e.classes; c++) start[c] = start[c - 1] + count[c - 1];
    stream = { ev: e, start, count };
    ui.progress.max = Math.max(1, e.learnCount + e.testCount);
    ui.progress.value = 0;
    // The first image at once: the canvas never waits for the GPU.
    if (e.learnCount > 0) drawDigit(e.images, 0, e.rows, e.cols, 0);
    ui.now.textContent = `learning: ${e.learnCount} class-sorted training examples (compiling kernels…)`;
    classChart.set(
      new Array(e.classes).fill(0),
      'share of each class learned so far',
      Array.from({ length: e.classes }, (_, i) => String(i)),
    );
  } else if (e.type === 'progress' && stream) {
    const { ev: s, start, count } = stream;
    ui.progress.value = e.done;
    if (e.done <= s.learnCount) {
      const i = e.done - 1;
      if (i >= 0) {
        drawDigit(s.images, i, s.rows, s.cols, e.done);
        ui.now.textContent = `learning: example ${e.done}/${s.learnCount}, class ${s.labels[i]}`;
        const learned = count.map((n, c) => (n ? Math.max(0, Math.min(n, e.done - start[c])) / n : NaN));
        classChart.set(
          learned,
          'share of each class learned so far',
          learned.map((_, c) => String(c)),
        );
      }
    } else {
      const j = e.done - s.learnCount - 1;
      drawDigit(s.images, s.learnCount + j, s.rows, s.cols, e.done);
      ui.now.textContent = `test phase: ${j + 1}/${s.testCount} answered (state frozen)`;
    }
    setStatus(`GPU: ${e.done}/${e.total} example steps`);
  }
}

/** Play the test predictions back: image, prediction, running per-class accuracy. */
async function playBack(r: ReplayResult, frames90: number): Promise<void> {
  const s = stream?.ev;
  const hit = new Array(r.classes).fill(0);
  const n = new Array(r.classes).fill(0);
  const curve: { x: number; y: number }[] = [];
  let correct = 0;
  const perFrame = Math.max(1, Math.ceil(r.testCount / frames90));
  for (let i = 0; i < r.testCount; i++) {
    const label = s ? s.labels[r.learnCount + i] : -1;
    const pred = r.testPredictions[i];
    n[label]++;
    if (pred === label) {
      hit[label]++;
      correct++;
    }
    if ((i + 1) % Math.max(1, Math.ceil(r.testCount / 200)) === 0 || i === r.testCount - 1)
      curve.push({ x: i + 1, y: correct / (i + 1) });
    if (i % perFrame === perFrame - 1 || i === r.testCount - 1) {
      if (s) drawDigit(s.images, r.learnCount + i, s.rows, s.cols, r.learnCount + r.testCount);
      ui.now.textContent = `test ${i + 1}/${r.testCount}: class ${label}, predicted ${pred} ${pred === label ? '✓' : '✗'}`;
      classChart.set(
        hit.map((h, c) => (n[c] ? h / n[c] : NaN)),
        'test accuracy per class (running)',
        hit.map((_, c) => String(c)),
      );
      progressChart.setSeries([{ name: 'accuracy', color: '#2f6fd6', points: curve }]);
      ui.score.textContent = `${fmt((100 * correct) / (i + 1), 1)}%`;
      await new Promise((res) => requestAnimationFrame(() => res(undefined)));
    }
  }
}

function playOptions(): PlayOptions {
  const n = (el: HTMLInputElement) => Math.max(0, Math.floor(Number(el.value)) || 0);
  return {
    dataBase: dataBaseUrl(),
    learnPerClass: n(ui.learn),
    testPerClass: n(ui.test),
    sendImages: true,
    stepsPerSubmit: (SPEEDS[ui.speed.value] ?? SPEEDS.normal).steps,
  };
}

/** What the final status says about the played stream against the scoreboard. */
function finalNote(r: ReplayResult): string {
  const s = summary;
  const full = r.classes === 10 && r.learnCount === 60000 && r.testCount === 10000;
  if (!s || s.note.benchmarkAccuracy === undefined) return full ? ' on full OrderedMNIST' : '';
  const board = `${fmt(100 * s.note.benchmarkAccuracy, 2)}%`;
  return full
    ? ` on full OrderedMNIST (scoreboard: ${board})`
    : ` on a subset (scoreboard, full OrderedMNIST: ${board})`;
}

let lastResult: ReplayResult | null = null;

async function play(): Promise<ReplayResult> {
  setState('playing');
  ui.play.disabled = true;
  const id = ++playId;
  resultIn = false;
  stream = null;
  frames = [];
  playStartedAt = performance.now();
  lastResult = null;
  delete document.body.dataset.accuracy;
  ui.score.textContent = '…';
  progressChart.setSeries([]);
  const opts = { ...playOptions(), playId: id };
  const speed = SPEEDS[ui.speed.value] ?? SPEEDS.normal;
  try {
    const r = await api.play(opts, Comlink.proxy(onEvent));
    if (id !== playId) return r;
    resultIn = true;
    ui.progress.value = ui.progress.max;
    setStatus(
      `played ${r.learnCount} training examples (online accuracy ${fmt(100 * r.onlineAccuracy, 1)}%) and ${r.testCount} test images in ${fmt(r.ms / 1000, 1)} s on ${r.adapter}; showing the test answers…`,
    );
    await playBack(r, speed.playbackFrames);
    classChart.set(
      r.perClass,
      `test accuracy per class (${r.testCount} images)`,
      r.perClass.map((_, c) => String(c)),
    );
    ui.score.textContent = `${fmt(100 * r.accuracy, 2)}%`;
    // The final score is the last status: nothing of this play writes after it.
    setStatus(
      `final: ${fmt(100 * r.accuracy, 2)}% test accuracy on ${r.testCount} images after ${r.learnCount} class-sorted training examples${finalNote(r)}; ${fmt(r.ms / 1000, 1)} s on ${r.adapter}`,
    );
    lastResult = r;
    document.body.dataset.accuracy = String(r.accuracy);
    setState('done');
    return r;
  } catch (e) {
    resultIn = true;
    banner('error', `The replay failed: ${(e as Error).message}`);
    setStatus(`failed: ${(e as Error).message}`);
    setState('error');
    throw e;
  } finally {
    ui.play.disabled = false;
  }
}

ui.play.addEventListener('click', () => void play().catch(() => undefined));
ui.stream.addEventListener('change', () => applyStream(ui.stream.value === 'episode' ? 'episode' : 'benchmark'));
window.addEventListener('hashchange', () => location.reload());

async function init(): Promise<void> {
  setState('decoding');
  const params = new URLSearchParams(location.search);
  const hash = location.hash.slice(1);
  if (!hash) {
    banner(
      'info',
      'No learner in this link. Share links are made with the Share button of the train page (or npm run share); the demos page lists the headline learners.',
    );
    document.body.dataset.errorCode = 'empty';
    ui.adapter.textContent = hasWebGpu() ? 'WebGPU available (nothing to play)' : 'no WebGPU';
    setState('error');
    return;
  }
  const d = await api.decode(hash);
  if (!d.ok) return showError(d.code, d.message);
  summary = d.summary;
  showSummary(d.summary);
  if (d.summary.unplayable) {
    // Decoded and described, but not playable here (an LSTM of another input shape): say so, keep Play off.
    document.body.dataset.errorCode = 'unplayable';
    banner('info', d.summary.unplayable);
    ui.adapter.textContent = hasWebGpu() ? 'WebGPU available (nothing this page can play)' : 'no WebGPU';
    setState('error');
    return;
  }
  if (!hasWebGpu()) {
    banner('error', noWebGpuMessage());
    ui.adapter.textContent = 'no WebGPU';
    setState('no-gpu');
    return;
  }
  const g = await api.init();
  if (!g.ok) {
    banner('error', `WebGPU is present but no GPU device could be created: ${g.message}`);
    ui.adapter.textContent = 'no GPU device';
    setState('no-gpu');
    return;
  }
  ui.adapter.textContent = `adapter: ${g.describe}`;
  softwareAdapter = g.adapter.isFallback;
  void api.preload(dataBaseUrl());
  const asked = params.get('stream');
  applyStream(asked === 'benchmark' || asked === 'episode' ? asked : madeFor(d.summary), params);
  const speed = params.get('speed');
  if (speed && SPEEDS[speed]) ui.speed.value = speed;
  banner('info', '');
  ui.play.disabled = false;
  setState('ready');
  if (params.get('autoplay') !== '0') await play();
}

const ready = init().catch((e: unknown) => showError('internal', (e as Error).message ?? String(e)));

/** Handle for tests. */
const app = {
  ready,
  play,
  result: () => lastResult,
  frames: () => frames.slice(),
  decodedParams: async () => {
    const p = await api.decodedParams();
    return p ? Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length)) : null;
  },
  /** The same replay for parameters given as f32 bit patterns (tests). */
  playParams: (vsml: VsmlConfig, paramBits: number[], stateSeed: number, learnPerClass: number, testPerClass: number) =>
    api.playParams(vsml, new Float32Array(Uint32Array.from(paramBits).buffer), stateSeed, {
      ...playOptions(),
      learnPerClass,
      testPerClass,
      sendImages: false,
    }),
};
(window as unknown as { replayApp: typeof app }).replayApp = app;
