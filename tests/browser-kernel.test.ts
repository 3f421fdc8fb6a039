/**
 * The WebGPU runtime in a real headless Chromium: acquireGpu() + the rngFill kernel on the page
 * and inside a dedicated Web Worker, compared bit for bit with the TypeScript Philox in Node.
 */
import { describe, expect, it } from 'vitest';
import { normal4, philox4x32, uniform4 } from '../src/rng/philox';
import { openPage } from '../src/app/chromium';
import { useBrowser, WAIT_MS } from './browser/fixture';
import { testSeed } from './helpers/seed';

const env = useBrowser();

const seed = testSeed(0x5eed0005); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const f32bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

type Kind = 'u32' | 'uniform' | 'normal';

function expected(
  kind: Kind,
  key: [number, number],
  abc: [number, number, number],
  first: number,
  blocks: number,
): number[] {
  const out: number[] = [];
  for (let b = 0; b < blocks; b++) {
    const c0 = (first + b) >>> 0;
    const words =
      kind === 'u32'
        ? philox4x32(key[0], key[1], c0, ...abc)
        : (kind === 'uniform' ? uniform4 : normal4)(key[0], key[1], c0, ...abc).map(f32bits);
    out.push(...words);
  }
  return out;
}

interface PlainResult {
  adapter: { vendor: string; architecture: string; isFallback: boolean; runtime: string; features: string[] };
  describe: string;
  words: number[];
  scope: string;
}

function firstMismatch(got: number[], want: number[]): string {
  if (got.length !== want.length) return `length ${got.length} != ${want.length}`;
  const i = got.findIndex((w, j) => w !== want[j]);
  return i < 0
    ? ''
    : `word ${i}: got 0x${got[i].toString(16)}, want 0x${want[i].toString(16)} (${got.filter((w, j) => w !== want[j]).length} differ)`;
}

describe(`WebGPU kernels in headless Chromium (seed ${seed})`, () => {
  const blocks = 1024;
  const key: [number, number] = [seed, 0x85ebca6b ^ seed];
  const abc: [number, number, number] = [seed % 977, 0xffffffff, 3];
  const first = 0xfffffe00; // counter wraps past 2^32 inside the range

  it('loads the kernel-check page and reports its adapter', async () => {
    const { page, log } = await openPage(env().chromium.browser, `${env().url}kernel-check.html`);
    try {
      await page.waitForFunction(() => document.body.dataset.state !== undefined, { timeout: WAIT_MS });
      const text = await page.$eval('#out', (e) => e.textContent ?? '');
      const state = await page.evaluate(() => document.body.dataset.state);
      console.log(`[browser-kernel] ${text.split('\n')[0]}`);
      expect(state, text).toBe('ready');
      expect(text).toMatch(/^adapter: .+ via browser/);
      expect(log.errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  for (const scope of ['main', 'worker'] as const) {
    it(`rngFill in the ${scope === 'main' ? 'page' : 'dedicated worker'}: u32, uniform and normal words equal TypeScript's`, async () => {
      const { page, log } = await openPage(env().chromium.browser, `${env().url}kernel-check.html`);
      try {
        await page.waitForFunction(() => typeof window.kernelCheck === 'object', { timeout: WAIT_MS });
        for (const kind of ['u32', 'uniform', 'normal'] as const) {
          const r = (await page.evaluate((s, args) => window.kernelCheck[s](args), scope, {
            kind,
            key,
            blocks,
            abc,
            firstBlock: first,
          })) as PlainResult;
          expect(r.scope).toBe(scope === 'main' ? 'window' : 'worker');
          expect(r.adapter.runtime).toBe('browser');
          if (kind === 'u32')
            console.log(`[browser-kernel] ${scope}: ${r.describe}; features ${r.adapter.features.join(',') || 'none'}`);
          const want = expected(kind, key, abc, first, blocks);
          expect(firstMismatch(r.words, want), `${kind} in ${scope}`).toBe('');
        }
        expect(log.errors).toEqual([]);
      } finally {
        await page.close();
      }
    });
  }
});
