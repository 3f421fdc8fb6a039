/**
 * End to end in real headless Chromium (WebGPU; SwiftShader here): the train page, its worker,
 * charts, pause/resume/stop, checkpoints, share links of every preset, rule files and the replay
 * page (streaming, final score, the same predictions as the Node benchmark's learner), the demos
 * page's headline links, corrupt links and a browser without WebGPU.
 *
 * Screenshots go to a temporary folder; `npm run screenshots` sets VSML_SCREENSHOTS=docs/screenshots
 * to regenerate the README's (npm test never rewrites tracked files).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openPage } from '../src/app/chromium';
import { REPO_ROOT } from '../src/app/vite-server';
import { decodeCheckpoint, encodeCheckpoint } from '../src/meta/checkpoint';
import { PRESETS, layerConfig, presetConfig, validateTrainConfig, type TrainConfig } from '../src/meta/train-config';
import { decodeBase64url, decodeShare, encodeBase64url, trainedStream } from '../src/share';
import { VsmlLearner, loadVsmlSpec } from '../src/bench/vsml-adapter';
import { loadDataset } from '../src/data/load-node';
import { orderedStream } from '../demos/src/ordered-replay';
import { useBrowser, WAIT_MS } from './browser/fixture';
import { useGpu } from './helpers/gpu';
import { presetCheckpoint } from './helpers/preset-checkpoint';
import type { ReplayResult } from '../src/pages/replay-messages';
import type { ShareResult } from '../src/pages/train-messages';

const env = useBrowser();
const gpu = useGpu();
const tmp = mkdtempSync(join(tmpdir(), 'vsml-app-test-'));
const SHOTS = process.env.VSML_SCREENSHOTS
  ? resolve(REPO_ROOT, process.env.VSML_SCREENSHOTS)
  : join(tmp, 'screenshots');
mkdirSync(SHOTS, { recursive: true });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const headline = JSON.parse(readFileSync(join(REPO_ROOT, 'demos', 'src', 'headline.json'), 'utf8')) as {
  links: { id: string; source: string; benchmarkAccuracy: number; stream: string; fragment: string }[];
};

type AppWindow = Window & {
  vsmlApp: {
    ready: Promise<{ ok: boolean; describe?: string; message?: string }>;
    start(o: unknown): Promise<string>;
    share(bits: number): Promise<ShareResult & { url: string }>;
    __statuses?: string[];
    checkpointText(): Promise<string | null>;
    phase(): string;
    generations(): number;
  };
  replayApp: {
    result(): ReplayResult | null;
    frames(): { index: number; done: number; t: number }[];
    decodedParams(): Promise<number[] | null>;
    playParams(vsml: unknown, bits: number[], seed: number, learn: number, test: number): Promise<ReplayResult>;
  };
};

/** The tiny preset with a few changes. */
function tiny(over: Record<string, unknown> = {}): TrainConfig {
  return validateTrainConfig(layerConfig(presetConfig('tiny') as unknown as Record<string, unknown>, over));
}

async function trainPage(query = '?preset=tiny'): Promise<{ page: Page; errors: string[] }> {
  const { page, log } = await openPage(env().chromium.browser, `${env().url}index.html${query}`);
  const ready = await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.ready);
  expect(ready.ok, ready.message).toBe(true);
  return { page, errors: log.errors };
}

async function setConfig(page: Page, c: TrainConfig): Promise<void> {
  await page.$eval(
    '#config',
    (el, text) => {
      (el as HTMLTextAreaElement).value = text;
      el.dispatchEvent(new Event('input'));
    },
    JSON.stringify(c, null, 2),
  );
}

const phase = (page: Page) => page.evaluate(() => document.body.dataset.phase);
const gens = (page: Page) => page.evaluate(() => Number(document.body.dataset.generations ?? 0));

async function waitPhase(page: Page, want: string, timeout = WAIT_MS): Promise<void> {
  await page.waitForFunction((w) => document.body.dataset.phase === w, { timeout, polling: 50 }, want);
}

function bitsOf(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

let shared: { fragment: string; url: string; checkpoint: string } | undefined;

describe('train page', () => {
  it('loads, reports its adapter and enables Start', async () => {
    const { page, errors } = await trainPage();
    try {
      const adapter = await page.$eval('#adapter', (e) => e.textContent ?? '');
      console.log(`[browser-app] ${adapter}`);
      expect(adapter).toMatch(/^adapter: .+via browser/);
      expect(await phase(page)).toBe('idle');
      expect(await page.$eval('#start', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
      // The preset list comes from the CLI's train-config module.
      const presets = await page.$$eval('#preset option', (o) => o.map((x) => (x as HTMLOptionElement).value));
      expect(presets).toEqual(expect.arrayContaining(['default', 'tiny', 'vsml']));
      // Status, progress and share output are announced to screen readers.
      for (const id of ['status', 'eta', 'share-out'])
        expect(await page.$eval(`#${id}`, (e) => e.getAttribute('aria-live')), id).toBe('polite');
      // An invalid edit is refused with the validator's message and disables Start.
      await page.$eval('#config', (el) => {
        (el as HTMLTextAreaElement).value = '{"strategy": {"kind": "openai-es", "pairs": 0}}';
        el.dispatchEvent(new Event('input'));
      });
      expect(await page.$eval('#config-error', (e) => e.textContent)).toMatch(/strategy\.pairs/);
      expect(await page.$eval('#start', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('opens on the default preset', async () => {
    const { page, errors } = await trainPage('');
    try {
      expect(await page.$eval('#preset', (e) => (e as HTMLSelectElement).value)).toBe('default');
      expect(JSON.parse(await page.$eval('#config', (e) => (e as HTMLTextAreaElement).value))).toEqual(
        presetConfig('default'),
      );
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('Start runs two generations in the worker; charts, probe and checkpoint update', async () => {
    const { page, errors } = await trainPage();
    try {
      await setConfig(page, tiny({ generations: 2 }));
      await page.click('#start');
      await page.waitForFunction(() => document.body.dataset.phase === 'running', { timeout: WAIT_MS, polling: 20 });
      await waitPhase(page, 'idle');
      expect(await gens(page)).toBe(2);
      // Fitness: best + mean (+ centre) for 2 generations; throughput: 2 points; probe bars filled.
      expect(
        Number(await page.$eval('#chart-fitness svg', (s) => (s as SVGElement).dataset.points)),
      ).toBeGreaterThanOrEqual(4);
      expect(Number(await page.$eval('#chart-throughput svg', (s) => (s as SVGElement).dataset.points))).toBe(2);
      const probe = await page.$eval('#chart-probe svg', (s) => (s as SVGElement).dataset.values ?? '');
      expect(probe.split(',').length).toBe(2); // the tiny learner has 2 outputs: classes 0 and 1
      expect(probe).not.toMatch(/nan/);
      expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/completed at generation 2\/2/);
      // The wait before the first generation says what it is; then a full progress bar.
      expect(await page.$eval('#log', (e) => e.textContent)).toMatch(/compiling kernels/);
      expect(
        await page.$eval('#progress', (e) => [(e as HTMLProgressElement).value, (e as HTMLProgressElement).max]),
      ).toEqual([2, 2]);
      expect(await page.$eval('#eta', (e) => e.textContent)).toMatch(/2\/2 generations/);
      // Text alternatives: each chart's caption holds its latest values.
      const fitnessText = await page.$eval('#chart-fitness .chart-text', (e) => e.textContent ?? '');
      const last = (await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.generations())) as number;
      expect(last).toBe(2);
      expect(fitnessText).toMatch(/latest at generation 2: best -?[0-9.e-]+, mean -?[0-9.e-]+/);
      expect(await page.$eval('#chart-throughput .chart-text', (e) => e.textContent)).toMatch(
        /latest at generation 2: steps\/s [0-9.e+]+/,
      );
      expect(await page.$eval('#chart-probe .chart-text', (e) => e.textContent)).toMatch(/0: \d+%, 1: \d+%/);
      const text = await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.checkpointText());
      const ckpt = decodeCheckpoint(text ?? '', 'page checkpoint');
      expect(ckpt.generation).toBe(2);
      const share = await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.share(16));
      shared = { fragment: share.fragment, url: share.url, checkpoint: text! };
      await page.screenshot({ path: join(SHOTS, 'train.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('Pause holds between generations, Resume continues, Stop ends early with a checkpoint', async () => {
    const { page, errors } = await trainPage();
    try {
      await setConfig(page, tiny({ generations: 200 }));
      await page.$eval('#probe-every', (e) => ((e as HTMLInputElement).value = '0'));
      await page.click('#start');
      await page.waitForFunction(() => Number(document.body.dataset.generations ?? 0) >= 1, {
        timeout: WAIT_MS,
        polling: 20,
      });
      await page.click('#pause');
      await waitPhase(page, 'paused');
      const held = await gens(page);
      await new Promise((r) => setTimeout(r, 800));
      expect(await gens(page)).toBe(held);
      await page.click('#resume');
      await page.waitForFunction(
        (h) => Number(document.body.dataset.generations ?? 0) > h,
        { timeout: WAIT_MS, polling: 20 },
        held,
      );
      await page.click('#stop');
      await waitPhase(page, 'idle');
      const n = await gens(page);
      expect(n).toBeGreaterThan(held);
      expect(n).toBeLessThan(200);
      expect(await page.$eval('#status', (e) => e.textContent)).toMatch(new RegExp(`stopped at generation ${n}/200`));
      const ckpt = decodeCheckpoint(
        (await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.checkpointText())) ?? '',
      );
      expect(ckpt.generation).toBe(n);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('Download checkpoint saves the file; loading it continues the run', async () => {
    if (!shared) throw new Error('needs the training test');
    const { page, errors } = await trainPage();
    try {
      // Load the 2-generation checkpoint of the earlier run through the file input.
      const file = join(tmp, 'loaded.json');
      writeFileSync(file, shared.checkpoint);
      const input = await page.$('#load');
      await (input as unknown as { uploadFile(p: string): Promise<void> }).uploadFile(file);
      await page.waitForFunction(
        () => /checkpoint loaded \(generation 2\)/.test(document.getElementById('status')?.textContent ?? ''),
        { timeout: WAIT_MS },
      );
      // Download it again: same learner.
      const dir = join(tmp, 'downloads');
      mkdirSync(dir, { recursive: true });
      const cdp = await page.createCDPSession();
      await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir });
      await page.click('#download');
      // Wait for the file (bounded by the test timeout only: a loaded machine may take longer than any fixed deadline).
      while (!readdirSync(dir).some((f) => f.endsWith('.json'))) await new Promise((r) => setTimeout(r, 100));
      const got = readdirSync(dir).filter((f) => f.endsWith('.json'));
      expect(got).toEqual(['vsml-checkpoint-gen2.json']);
      const down = decodeCheckpoint(readFileSync(join(dir, got[0]), 'utf8'));
      expect(bitsOf(down.metaParams)).toEqual(bitsOf(decodeCheckpoint(shared.checkpoint).metaParams));
      // Start continues the loaded run (its own config) from generation 2 to 3.
      await page.evaluate(() =>
        (window as unknown as AppWindow).vsmlApp.start({ generations: 3, checkpointText: undefined }),
      );
      expect(await page.$eval('#log', (e) => e.textContent)).toMatch(/started at generation 2\/3/);
      expect(await gens(page)).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('Share makes a link for a checkpoint of every preset, the ordered run and a rule file; a NaN checkpoint is refused on load', async () => {
    const { page, errors } = await trainPage();
    try {
      const input = (await page.$('#load')) as unknown as { uploadFile(p: string): Promise<void> };
      /** Load a file, press Share, return the link (or the message shown instead). */
      const shareFile = async (
        name: string,
        text: string,
        loaded: RegExp,
      ): Promise<{ href: string | null; text: string }> => {
        const file = join(tmp, name);
        writeFileSync(file, text);
        await page.$eval('#status', (e) => (e.textContent = ''));
        await page.$eval('#share-out', (e) => (e.textContent = ''));
        await input.uploadFile(file);
        await page.waitForFunction(
          (re) => new RegExp(re).test(document.getElementById('status')?.textContent ?? ''),
          { timeout: WAIT_MS },
          loaded.source,
        );
        await page.click('#share');
        await page.waitForFunction(() => (document.getElementById('share-out')?.textContent ?? '') !== '', {
          timeout: WAIT_MS,
        });
        return page.$eval('#share-out', (e) => ({
          href: e.querySelector('a')?.href ?? null,
          text: e.textContent ?? '',
        }));
      };
      for (const name of Object.keys(PRESETS)) {
        const c = presetCheckpoint(name);
        const r = await shareFile(`preset-${name}.json`, encodeCheckpoint(c), /checkpoint loaded/);
        expect(r.href, `${name}: ${r.text}`).toMatch(/\/replay\.html#s=/);
        const d = await decodeShare(r.href!);
        const stream = trainedStream(c.config);
        expect(d.config.note?.stream, name).toBe(stream);
        expect(d.config.vsml, name).toEqual(stream === 'benchmark' ? c.deployLearner : c.learner);
        expect(r.text, name).toMatch(
          stream === 'benchmark' ? /on full OrderedMNIST/ : /episodes of its training shape/,
        );
      }
      // The run the issue could not share: a benchmark-shaped checkpoint (64-pixel training learner).
      const ordered = await shareFile(
        'ordered.json',
        readFileSync(join(REPO_ROOT, 'results', 'train-ordered-rule-es', 'checkpoint.json'), 'utf8'),
        /checkpoint loaded/,
      );
      expect(ordered.href, ordered.text).toMatch(/#s=/);
      expect((await decodeShare(ordered.href!)).config.vsml.layers).toEqual([784, 10]);
      // A rule file (npm run evolve:rule) shares exactly.
      const rule = await shareFile(
        'rule.json',
        readFileSync(join(REPO_ROOT, 'results', 'rule-es-mnist', 'rule.json'), 'utf8'),
        /rule file loaded/,
      );
      expect(rule.href, rule.text).toMatch(/#s=/);
      const want = await loadVsmlSpec('rule:results/rule-es-mnist/rule.json');
      expect(bitsOf((await decodeShare(rule.href!)).params)).toEqual(bitsOf(want.metaParams));
      // A checkpoint with a NaN parameter is refused when it is read (before it could be shared or
      // resumed): the status says so and the log names the first bad index.
      const bad = presetCheckpoint('tiny');
      bad.metaParams[3] = NaN;
      writeFileSync(join(tmp, 'nan.json'), encodeCheckpoint(bad));
      await input.uploadFile(join(tmp, 'nan.json'));
      await page.waitForFunction(
        () => /could not load nan\.json/.test(document.getElementById('status')?.textContent ?? ''),
        { timeout: WAIT_MS },
      );
      expect(await page.$eval('#log', (e) => e.textContent)).toMatch(/metaParams\[3\] is NaN/);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('charts stay readable on a 390 px wide screen', async () => {
    const { page, log } = await openPage(env().chromium.browser, 'about:blank');
    try {
      await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 1 });
      await page.goto(`${env().url}index.html?preset=tiny`, { waitUntil: 'load' });
      await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.ready);
      // Rendered text size = font-size in SVG units x (CSS width / viewBox width).
      const sizes = await page.$$eval('svg.chart', (svgs) =>
        svgs.flatMap((svg) => {
          const scale = svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width;
          return Array.from(svg.querySelectorAll('text')).map((t) => Number(t.getAttribute('font-size')) * scale);
        }),
      );
      expect(sizes.length).toBeGreaterThan(20);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await page.screenshot({ path: join(SHOTS, 'train-390.png'), fullPage: true });
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('without WebGPU the page says so and disables Start', async () => {
    const { page, log } = await openPage(env().chromium.browser, `${env().url}index.html`, {
      before: (p) =>
        p.evaluateOnNewDocument(() => {
          Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
        }),
    });
    try {
      await page.waitForFunction(() => document.body.dataset.phase === 'no-gpu', { timeout: WAIT_MS });
      const msg = await page.$eval('#nogpu', (e) => (e.classList.contains('hidden') ? '' : (e.textContent ?? '')));
      expect(msg).toMatch(/does not expose WebGPU/);
      expect(msg).toMatch(/Chrome or Edge/);
      expect(msg).not.toMatch(/apt-get|npm /);
      expect(await page.$eval('#adapter', (e) => e.textContent)).toBe('no WebGPU');
      expect(await page.$eval('#start', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

/** Every text #status shows, in order (recorded from the first paint). */
function recordStatuses(p: Page): Promise<unknown> {
  return p.evaluateOnNewDocument(() => {
    const w = window as unknown as { __statuses: string[] };
    w.__statuses = [];
    document.addEventListener('DOMContentLoaded', () => {
      const el = document.getElementById('status');
      if (!el) return;
      new MutationObserver(() => w.__statuses.push(el.textContent ?? '')).observe(el, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  });
}

const statuses = (page: Page) =>
  page.evaluate(() => (window as unknown as { __statuses: string[] }).__statuses.slice());

describe('replay page', () => {
  async function replay(url: string): Promise<{ page: Page; errors: string[] }> {
    const { page, log } = await openPage(env().chromium.browser, url, { before: recordStatuses });
    await page.waitForFunction(() => ['done', 'error', 'no-gpu'].includes(document.body.dataset.state ?? ''), {
      timeout: WAIT_MS,
      polling: 50,
    });
    return { page, errors: log.errors };
  }

  it('the evolved ink rule from the demos page: streams while it learns, ends on its score, and predicts what the Node benchmark predicts', async () => {
    const ink = headline.links.find((l) => l.id === 'vsml-ink-es')!;
    // A subset of OrderedMNIST (the full stream takes minutes on SwiftShader; npm run replay:browser plays it): 20 training and 10 test images per class.
    const [learn, test] = [20, 10];
    const { page, errors } = await replay(
      `${env().url}replay.html?learn=${learn}&test=${test}&speed=smooth#${ink.fragment}`,
    );
    let viaLink: ReplayResult;
    try {
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
      expect(await page.$eval('#stream', (e) => (e as HTMLSelectElement).value)).toBe('benchmark');
      viaLink = (await page.evaluate(() => (window as unknown as AppWindow).replayApp.result()))!;
      expect([viaLink.learnCount, viaLink.testCount]).toEqual([10 * learn, 10 * test]);
      // Streaming: the first image is shown before the GPU reports anything, then the canvas follows
      // the learning stream in small steps (4 examples per submission at speed=smooth).
      const frames = await page.evaluate(() => (window as unknown as AppWindow).replayApp.frames());
      expect(frames[0]).toMatchObject({ index: 0, done: 0 });
      const learning = frames.filter((f) => f.done > 0 && f.done <= viaLink.learnCount);
      expect(learning.length).toBeGreaterThanOrEqual(viaLink.learnCount / 4 - 1);
      expect(new Set(learning.map((f) => f.index)).size).toBe(learning.length);
      console.log(
        `[browser-app] ink rule replay: first image ${frames[0].t.toFixed(0)} ms, first GPU frame ${learning[0]?.t.toFixed(0)} ms after Play, ${learning.length} learning frames, accuracy ${(100 * viaLink.accuracy).toFixed(1)}% on the subset`,
      );
      // The final score is the last status, and the score shown.
      const all = await statuses(page);
      const final = all[all.length - 1];
      expect(final, all.slice(-4).join(' | ')).toMatch(
        new RegExp(`^final: ${(100 * viaLink.accuracy).toFixed(2)}% test accuracy on ${viaLink.testCount} images`),
      );
      expect(final).toMatch(/scoreboard, full OrderedMNIST: 84\.42%/);
      expect(await page.$eval('#score', (e) => e.textContent)).toBe(`${(100 * viaLink.accuracy).toFixed(2)}%`);
      await page.screenshot({ path: join(SHOTS, 'replay.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
    // The Node benchmark's learner (bench:ordered --checkpoint rule:FILE) on the same stream.
    const spec = await loadVsmlSpec(ink.source);
    const ds = await loadDataset('mnist');
    const s = orderedStream(ds, 10, learn, test);
    const px = ds.train.rows * ds.train.cols;
    const learner = new VsmlLearner(gpu(), spec, {
      pixels: px,
      rows: ds.train.rows,
      cols: ds.train.cols,
      numClasses: 10,
    });
    for (let i = 0; i < s.learnCount; i++) learner.learn(s.split.images.subarray(i * px, (i + 1) * px), s.labels[i]);
    const node = await learner.freeze().predictor.predict(s.split.images.slice(s.learnCount * px), s.testCount);
    expect(viaLink.testPredictions).toEqual(Array.from(node));
  });

  it('the demos page lists the headline learners; every link decodes in the page to the scoreboard learner', async () => {
    const { page, log } = await openPage(env().chromium.browser, `${env().url}demos.html`);
    try {
      const rows = await page.$$eval('#demos tbody tr', (trs) =>
        trs.map((tr) => ({
          id: (tr as HTMLElement).dataset.id,
          href: tr.querySelector('a.replay-link')?.getAttribute('href') ?? '',
          text: tr.textContent ?? '',
        })),
      );
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.map((r) => r.id)).toEqual(headline.links.map((l) => l.id));
      await page.screenshot({ path: join(SHOTS, 'demos.png'), fullPage: true });
      for (const [i, r] of rows.entries()) {
        const l = headline.links[i];
        expect(r.text).toContain(`${(100 * l.benchmarkAccuracy).toFixed(2)}%`);
        // Open the link as a user would (relative to the demos page) and play a few images of its stream.
        await page.goto(
          new URL(r.href.replace('replay.html#', 'replay.html?learn=3&test=2&speed=fast#'), `${env().url}demos.html`)
            .href,
          { waitUntil: 'load' },
        );
        await page.waitForFunction(() => ['done', 'error', 'no-gpu'].includes(document.body.dataset.state ?? ''), {
          timeout: WAIT_MS,
          polling: 50,
        });
        expect(await page.evaluate(() => document.body.dataset.state), r.id).toBe('done');
        const played = (await page.evaluate(() => (window as unknown as AppWindow).replayApp.result()))!;
        expect([played.learnCount, played.testCount], r.id).toEqual([3 * played.classes, 2 * played.classes]);
        expect(played.classes, r.id).toBe(l.stream === 'benchmark' ? 10 : 2);
        expect(await page.$eval('#status', (e) => e.textContent), r.id).toMatch(/^final: /);
        expect(await page.$eval('#summary', (e) => e.textContent), r.id).toContain(
          `${(100 * l.benchmarkAccuracy).toFixed(2)}% on full OrderedMNIST`,
        );
        expect(await page.$eval('#stream', (e) => (e as HTMLSelectElement).value), r.id).toBe(l.stream);
        const spec = await loadVsmlSpec(l.source);
        expect(await page.evaluate(() => (window as unknown as AppWindow).replayApp.decodedParams()), r.id).toEqual(
          bitsOf(spec.metaParams),
        );
      }
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a share link rebuilds the learner: identical predictions to its decoded parameters', async () => {
    if (!shared) throw new Error('needs the training test');
    const url = shared.url.replace('replay.html#', 'replay.html?learn=25&test=25#');
    const { page, errors } = await replay(url);
    try {
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
      const viaLink = (await page.evaluate(() => (window as unknown as AppWindow).replayApp.result()))!;
      expect(viaLink.testCount).toBe(50);
      expect(viaLink.testPredictions).toHaveLength(50);
      // The browser decoded exactly what Node decodes.
      const dec = await decodeShare(shared.fragment);
      expect(await page.evaluate(() => (window as unknown as AppWindow).replayApp.decodedParams())).toEqual(
        bitsOf(dec.params),
      );
      // The same parameters given directly: the same predictions.
      const direct = await page.evaluate(
        (v, b, s) => (window as unknown as AppWindow).replayApp.playParams(v, b, s, 25, 25),
        dec.config.vsml as unknown as Record<string, unknown>,
        bitsOf(dec.params),
        dec.stateSeed,
      );
      expect(direct.testPredictions).toEqual(viaLink.testPredictions);
      expect(direct.accuracy).toBe(viaLink.accuracy);
      const score = await page.$eval('#score', (e) => e.textContent);
      expect(score).toBe(`${(100 * viaLink.accuracy).toFixed(2)}%`);
      const all = await statuses(page);
      expect(all[all.length - 1]).toMatch(/^final: /);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('a GA learner travels as its seed chain and replays exactly like the trained elite', async () => {
    const { page: tp, errors: terr } = await trainPage();
    let fragment: string;
    let ckptText: string;
    try {
      await tp.evaluate(
        (c) =>
          (window as unknown as AppWindow).vsmlApp.start({
            config: c,
            probe: { every: 0, learnPerClass: 1, testPerClass: 1 },
          }),
        tiny({
          generations: 2,
          strategy: { kind: 'ga', popSize: 6, truncation: 3, elites: 1, sigma: 0.05 },
        }) as unknown as Record<string, unknown>,
      );
      const s = await tp.evaluate(() => (window as unknown as AppWindow).vsmlApp.share(8));
      expect(s.exact).toBe(true);
      fragment = s.fragment;
      ckptText = (await tp.evaluate(() => (window as unknown as AppWindow).vsmlApp.checkpointText()))!;
      expect(terr).toEqual([]);
    } finally {
      await tp.close();
    }
    const ckpt = decodeCheckpoint(ckptText);
    const dec = await decodeShare(fragment);
    expect(dec.learner.kind).toBe('ga');
    expect(bitsOf(dec.params)).toEqual(bitsOf(ckpt.metaParams));
    const { page, errors } = await replay(`${env().url}replay.html?learn=15&test=15#${fragment}`);
    try {
      const viaLink = (await page.evaluate(() => (window as unknown as AppWindow).replayApp.result()))!;
      const original = await page.evaluate(
        (v, b, s) => (window as unknown as AppWindow).replayApp.playParams(v, b, s, 15, 15),
        ckpt.learner as unknown as Record<string, unknown>,
        bitsOf(ckpt.metaParams),
        dec.stateSeed,
      );
      expect(viaLink.testPredictions).toEqual(original.testPredictions);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('corrupt, truncated, oversized and foreign links show a specific error and never crash', async () => {
    if (!shared) throw new Error('needs the training test');
    const f = shared.fragment;
    const wire = decodeBase64url(f.slice(2));
    const flipped = wire.slice();
    flipped[wire.length - 5] ^= 0x10;
    const v2 = wire.slice();
    v2[3] = 2;
    const cases: [string, string][] = [
      [f.slice(0, Math.floor(f.length / 2)), 'truncated'],
      ['s=' + encodeBase64url(flipped), 'checksum'],
      ['s=' + encodeBase64url(v2), 'unsupported-version'],
      ['s=' + 'A'.repeat(600_000), 'too-long'],
      ['s=<script>alert(1)</script>', 'bad-encoding'],
      ['x=' + f.slice(2), 'bad-prefix'],
      ['', 'empty'],
    ];
    const page = (await openPage(env().chromium.browser, 'about:blank')).page;
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    try {
      for (const [frag, code] of cases) {
        await page.goto(`${env().url}replay.html${frag ? `#${frag}` : ''}`, { waitUntil: 'load' });
        await page.waitForFunction(() => document.body.dataset.state === 'error', { timeout: WAIT_MS, polling: 20 });
        expect(await page.evaluate(() => document.body.dataset.errorCode), frag.slice(0, 20)).toBe(code);
        const msg = await page.$eval('#message', (e) => e.textContent ?? '');
        expect(msg.length).toBeGreaterThan(20);
        // The header never stays on "checking WebGPU…".
        expect(await page.$eval('#adapter', (e) => e.textContent ?? '')).not.toMatch(/checking/);
        if (code !== 'empty') expect(msg).toContain(`[${code}]`);
        // Nothing of the hostile text was rendered as markup.
        expect(await page.$$eval('script', (s) => s.filter((x) => /alert/.test(x.textContent ?? '')).length)).toBe(0);
      }
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
