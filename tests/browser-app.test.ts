/**
 * End to end in real headless Chromium (WebGPU; SwiftShader here): the train page, its worker,
 * charts, pause/resume/stop, checkpoints, share links and the replay page, including corrupt links
 * and a browser without WebGPU. Writes docs/screenshots/train.png and replay.png.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openPage } from '../src/app/chromium';
import { REPO_ROOT } from '../src/app/vite-server';
import { decodeCheckpoint } from '../src/meta/checkpoint';
import { layerConfig, presetConfig, validateTrainConfig, type TrainConfig } from '../src/meta/train-config';
import { decodeBase64url, decodeShare, encodeBase64url } from '../src/share';
import { useBrowser, WAIT_MS } from './browser/fixture';
import type { ReplayResult } from '../demos/src/replay-protocol';
import type { ShareResult } from '../demos/src/protocol';

const env = useBrowser();
const SHOTS = join(REPO_ROOT, 'docs', 'screenshots');
const tmp = mkdtempSync(join(tmpdir(), 'vsml-app-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type AppWindow = Window & {
  vsmlApp: {
    ready: Promise<{ ok: boolean; describe?: string; message?: string }>;
    start(o: unknown): Promise<string>;
    share(bits: number): Promise<ShareResult & { url: string }>;
    checkpointText(): Promise<string | null>;
    phase(): string;
    generations(): number;
  };
  replayApp: {
    result(): ReplayResult | null;
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

  it('Start runs two generations in the worker; charts, probe and checkpoint update', async () => {
    const { page, errors } = await trainPage();
    try {
      await setConfig(page, tiny({ generations: 2 }));
      await page.click('#start');
      await page.waitForFunction(() => document.body.dataset.phase === 'running', { timeout: WAIT_MS, polling: 20 });
      await waitPhase(page, 'idle');
      expect(await gens(page)).toBe(2);
      // Fitness: best + mean (+ centre) for 2 generations; throughput: 2 points; probe bars filled.
      expect(Number(await page.$eval('#chart-fitness svg', (s) => (s as SVGElement).dataset.points))).toBeGreaterThanOrEqual(4);
      expect(Number(await page.$eval('#chart-throughput svg', (s) => (s as SVGElement).dataset.points))).toBe(2);
      const probe = await page.$eval('#chart-probe svg', (s) => (s as SVGElement).dataset.values ?? '');
      expect(probe.split(',').length).toBe(2); // the tiny learner has 2 outputs: classes 0 and 1
      expect(probe).not.toMatch(/nan/);
      expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/completed at generation 2\/2/);
      const text = await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.checkpointText());
      const ckpt = decodeCheckpoint(text ?? '', 'page checkpoint');
      expect(ckpt.generation).toBe(2);
      const share = await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.share(16));
      shared = { fragment: share.fragment, url: share.url, checkpoint: text! };
      mkdirSync(SHOTS, { recursive: true });
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
      await page.waitForFunction(() => Number(document.body.dataset.generations ?? 0) >= 1, { timeout: WAIT_MS, polling: 20 });
      await page.click('#pause');
      await waitPhase(page, 'paused');
      const held = await gens(page);
      await new Promise((r) => setTimeout(r, 800));
      expect(await gens(page)).toBe(held);
      await page.click('#resume');
      await page.waitForFunction((h) => Number(document.body.dataset.generations ?? 0) > h, { timeout: WAIT_MS, polling: 20 }, held);
      await page.click('#stop');
      await waitPhase(page, 'idle');
      const n = await gens(page);
      expect(n).toBeGreaterThan(held);
      expect(n).toBeLessThan(200);
      expect(await page.$eval('#status', (e) => e.textContent)).toMatch(new RegExp(`stopped at generation ${n}/200`));
      const ckpt = decodeCheckpoint((await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.checkpointText())) ?? '');
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
      await page.waitForFunction(() => /checkpoint loaded \(generation 2\)/.test(document.getElementById('status')?.textContent ?? ''), { timeout: WAIT_MS });
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
      await page.evaluate(() => (window as unknown as AppWindow).vsmlApp.start({ generations: 3, checkpointText: undefined }));
      expect(await page.$eval('#log', (e) => e.textContent)).toMatch(/started at generation 2\/3/);
      expect(await gens(page)).toBe(1);
      expect(errors).toEqual([]);
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
      expect(await page.$eval('#start', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });
});

describe('replay page', () => {
  async function replay(url: string): Promise<{ page: Page; errors: string[] }> {
    const { page, log } = await openPage(env().chromium.browser, url);
    await page.waitForFunction(() => ['done', 'error', 'no-gpu'].includes(document.body.dataset.state ?? ''), { timeout: WAIT_MS, polling: 50 });
    return { page, errors: log.errors };
  }

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
      expect(await page.evaluate(() => (window as unknown as AppWindow).replayApp.decodedParams())).toEqual(bitsOf(dec.params));
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
      await page.screenshot({ path: join(SHOTS, 'replay.png'), fullPage: true });
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
        (c) => (window as unknown as AppWindow).vsmlApp.start({ config: c, probe: { every: 0, learnPerClass: 1, testPerClass: 1 } }),
        tiny({ generations: 2, strategy: { kind: 'ga', popSize: 6, truncation: 3, elites: 1, sigma: 0.05 } }) as unknown as Record<string, unknown>,
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
