/**
 * The replay page: decode the share link in the fragment (in a worker), show what it holds, then
 * play the learner on OrderedMNIST: the class-sorted training stream goes through the GPU learner
 * (the page shows each image as the GPU reaches it), then the frozen learner answers the test
 * images; their predictions are played back with running per-class accuracy and the final score.
 * Any problem with the link is shown as a specific message; nothing here throws past the page.
 */
import * as Comlink from 'comlink';
import { BarChart, LineChart } from './charts';
import { $, dataBaseUrl, fmt, hasWebGpu, noWebGpuMessage } from './page-util';
import type { PlayOptions, ReplayEvent, ReplayResult, ReplayWorkerApi, ShareSummary } from './replay-protocol';
import type { VsmlConfig } from '../../src/spec/vsml-config';
import './style.css';

const worker = new Worker(new URL('./replay-worker.ts', import.meta.url), { type: 'module', name: 'vsml-replay' });
const api = Comlink.wrap<ReplayWorkerApi>(worker);

const ui = {
  adapter: $('adapter'),
  message: $('message'),
  summary: $('summary') as HTMLTableElement,
  learn: $('learn') as HTMLInputElement,
  test: $('test') as HTMLInputElement,
  play: $('play') as HTMLButtonElement,
  status: $('status'),
  digit: $('digit') as HTMLCanvasElement,
  now: $('now'),
  score: $('score'),
};
const classChart = new BarChart($('chart-classes'), { title: 'Per class', labels: Array.from({ length: 10 }, (_, i) => String(i)), height: 240 });
const progressChart = new LineChart($('chart-progress'), {
  title: 'Running test accuracy',
  xLabel: 'test images answered',
  yLabel: 'accuracy',
  yMin: 0,
  yMax: 1,
  width: 900,
  height: 220,
});

type State = 'decoding' | 'error' | 'no-gpu' | 'ready' | 'playing' | 'done';

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
  setState('error');
}

function row(k: string, v: string): void {
  const tr = ui.summary.insertRow();
  tr.insertCell().textContent = k;
  tr.insertCell().textContent = v;
}

function showSummary(s: ShareSummary): void {
  ui.summary.replaceChildren();
  row('learner', s.describe);
  row('meta-parameters', `${s.dim} (${s.learner.kind === 'ga' ? `GA seed chain of ${s.learner.chain.length} seeds, sigma ${fmt(s.learner.sigma, 4)}` : `int${s.learner.bits} quantised, blocks of ${s.learner.blockSize}`})`);
  row('learned state', `${(s.stateBytes / 1024).toFixed(1)} KiB`);
  if (s.note.strategy || s.note.generation !== undefined) row('trained', `${s.note.strategy ?? '?'}${s.note.generation !== undefined ? `, generation ${s.note.generation}` : ''}`);
  if (s.note.title) row('title', s.note.title);
  if (s.train) row('training', `seed ${s.train.seed}, ${s.train.strategy.kind}, ${s.train.fitness}, episodes ${s.train.tasks.learnLength}+${s.train.tasks.queryLength}`);
  row('link', `${s.sizes.fragmentChars} characters (${s.sizes.wireBytes} bytes)`);
  row('classes played', `0-${Math.min(10, s.outputs) - 1}${s.outputs < 10 ? ` (the learner has ${s.outputs} outputs)` : ''}`);
}

function drawDigit(images: Uint8Array, index: number, rows: number, cols: number): void {
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
}

let stream: Extract<ReplayEvent, { type: 'stream' }> | null = null;
let lastDrawn = -1;

function onEvent(e: ReplayEvent): void {
  if (e.type === 'status') ui.status.textContent = e.message;
  else if (e.type === 'stream') {
    stream = e;
    classChart.set(new Array(e.classes).fill(0), 'training examples seen', Array.from({ length: e.classes }, (_, i) => String(i)));
  } else if (e.type === 'progress' && stream) {
    const s = stream;
    const i = Math.min(e.done, s.learnCount) - 1;
    if (i >= 0 && i !== lastDrawn && e.done <= s.learnCount) {
      lastDrawn = i;
      drawDigit(s.images, i, s.rows, s.cols);
      const label = s.labels[i];
      ui.now.textContent = `learning: example ${i + 1}/${s.learnCount}, class ${label}`;
      const seen = new Array(s.classes).fill(0);
      const per = new Array(s.classes).fill(0);
      for (let k = 0; k < s.learnCount; k++) {
        per[s.labels[k]]++;
        if (k <= i) seen[s.labels[k]]++;
      }
      classChart.set(seen.map((n, c) => (per[c] ? n / per[c] : NaN)), 'share of each class learned so far', seen.map((_, c) => String(c)));
    } else if (e.done > s.learnCount) ui.now.textContent = `test phase: ${e.done - s.learnCount}/${e.total - s.learnCount} answered (state frozen)`;
    ui.status.textContent = `GPU: ${e.done}/${e.total} example steps`;
  }
}

/** Play the test predictions back: image, prediction, running per-class accuracy, then the score. */
async function playBack(r: ReplayResult): Promise<void> {
  const s = stream;
  const hit = new Array(r.classes).fill(0);
  const n = new Array(r.classes).fill(0);
  const curve: { x: number; y: number }[] = [];
  let correct = 0;
  const perFrame = Math.max(1, Math.ceil(r.testCount / 90)); // about 1.5 s at 60 fps
  for (let i = 0; i < r.testCount; i++) {
    const label = s ? s.labels[r.learnCount + i] : -1;
    const pred = r.testPredictions[i];
    n[label]++;
    if (pred === label) {
      hit[label]++;
      correct++;
    }
    if ((i + 1) % Math.max(1, Math.ceil(r.testCount / 200)) === 0 || i === r.testCount - 1) curve.push({ x: i + 1, y: correct / (i + 1) });
    if (i % perFrame === perFrame - 1 || i === r.testCount - 1) {
      if (s) drawDigit(s.images, r.learnCount + i, s.rows, s.cols);
      ui.now.textContent = `test ${i + 1}/${r.testCount}: class ${label}, predicted ${pred} ${pred === label ? '✓' : '✗'}`;
      classChart.set(hit.map((h, c) => (n[c] ? h / n[c] : NaN)), 'test accuracy per class (running)', hit.map((_, c) => String(c)));
      progressChart.setSeries([{ name: 'accuracy', color: '#2f6fd6', points: curve }]);
      ui.score.textContent = `${fmt((100 * correct) / (i + 1), 1)}%`;
      await new Promise((res) => requestAnimationFrame(() => res(undefined)));
    }
  }
  classChart.set(r.perClass, `test accuracy per class (${r.testCount} images)`, r.perClass.map((_, c) => String(c)));
  ui.score.textContent = `${fmt(100 * r.accuracy, 2)}%`;
}

function playOptions(): PlayOptions {
  const n = (el: HTMLInputElement) => Math.max(0, Math.floor(Number(el.value)) || 0);
  return { dataBase: dataBaseUrl(), learnPerClass: n(ui.learn), testPerClass: n(ui.test), sendImages: true };
}

let lastResult: ReplayResult | null = null;

async function play(): Promise<ReplayResult> {
  setState('playing');
  ui.play.disabled = true;
  stream = null;
  lastDrawn = -1;
  ui.score.textContent = '…';
  try {
    const r = await api.play(playOptions(), Comlink.proxy(onEvent));
    ui.status.textContent = `played ${r.learnCount} training examples (online accuracy ${fmt(100 * r.onlineAccuracy, 1)}%) and ${r.testCount} test images in ${fmt(r.ms / 1000, 1)} s on ${r.adapter}`;
    await playBack(r);
    lastResult = r;
    document.body.dataset.accuracy = String(r.accuracy);
    setState('done');
    return r;
  } catch (e) {
    banner('error', `The replay failed: ${(e as Error).message}`);
    setState('error');
    throw e;
  } finally {
    ui.play.disabled = false;
  }
}

ui.play.addEventListener('click', () => void play().catch(() => undefined));
window.addEventListener('hashchange', () => location.reload());

async function init(): Promise<void> {
  setState('decoding');
  const params = new URLSearchParams(location.search);
  const hash = location.hash.slice(1);
  if (!hash) {
    banner('info', 'No learner in this link. Share links are made with the Share button of the train page; they look like replay.html#s=…');
    document.body.dataset.errorCode = 'empty';
    setState('error');
    return;
  }
  const d = await api.decode(hash);
  if (!d.ok) return showError(d.code, d.message);
  showSummary(d.summary);
  if (!hasWebGpu()) {
    banner('error', noWebGpuMessage());
    setState('no-gpu');
    return;
  }
  const g = await api.init();
  if (!g.ok) {
    banner('error', `WebGPU is present but no GPU device could be created: ${g.message}`);
    setState('no-gpu');
    return;
  }
  ui.adapter.textContent = `adapter: ${g.describe}`;
  // Full OrderedMNIST on a GPU; a shortened stream on a software adapter unless asked otherwise.
  const small = g.adapter.isFallback;
  ui.learn.value = params.get('learn') ?? (small ? '100' : '0');
  ui.test.value = params.get('test') ?? (small ? '50' : '0');
  banner('info', small ? 'Software WebGPU adapter: playing a shortened stream (set learn/class and test/class to 0 for all of OrderedMNIST).' : '');
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
  decodedParams: async () => {
    const p = await api.decodedParams();
    return p ? Array.from(new Uint32Array(p.buffer, p.byteOffset, p.length)) : null;
  },
  /** The same replay for parameters given as f32 bit patterns (tests). */
  playParams: (vsml: VsmlConfig, paramBits: number[], stateSeed: number, learnPerClass: number, testPerClass: number) =>
    api.playParams(vsml, new Float32Array(Uint32Array.from(paramBits).buffer), stateSeed, { ...playOptions(), learnPerClass, testPerClass, sendImages: false }),
};
(window as unknown as { replayApp: typeof app }).replayApp = app;
