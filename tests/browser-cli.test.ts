/**
 * `npm run train:browser`: the headless-Chromium run writes the same files as `npm run train`
 * (on SwiftShader both give the same bits), resumes, prints a share link, and exits non-zero on
 * bad options (2) and failures (1).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { trainBrowserMain } from '../src/cli/train-browser';
import { REPO_ROOT } from '../src/app/vite-server';
import { decodeCheckpoint } from '../src/meta/checkpoint';
import { readMetrics } from '../src/meta/node/io';
import { decodeShare } from '../src/share';

const tmp = mkdtempSync(join(tmpdir(), 'vsml-cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a CLI script with tsx, killed (and failed) after `timeoutMs` (a hang guard just under Vitest's 180 s test timeout, not a speed check). */
function runCli(script: string, args: string[], timeoutMs = 170_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      join(REPO_ROOT, 'node_modules', '.bin', 'tsx'),
      ['--import', './src/node/register-raw.mjs', script, ...args],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const BROWSER = 'src/cli/train-browser.ts';
const NODE = 'src/cli/train.ts';

describe('npm run train:browser', () => {
  const outB = join(tmp, 'browser');
  const outN = join(tmp, 'node');

  it('trains in headless Chromium and writes metrics, checkpoint and a share link', async () => {
    const r = await runCli(BROWSER, ['--preset', 'tiny', '--generations', '2', '--probe-every', '1', '--out', outB]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/adapter: .+ \(headless Chromium\)/);
    expect(r.stderr).toMatch(/probe after generation 2: OrderedMNIST test accuracy/);
    expect(r.stdout).toMatch(/Finished 2 generations/);
    for (const f of ['config.json', 'metrics.jsonl', 'checkpoint.json', 'share.txt', 'probe.jsonl'])
      expect(existsSync(join(outB, f)), f).toBe(true);
    const metrics = readMetrics<{ generation: number }>(join(outB, 'metrics.jsonl'));
    expect(metrics.map((m) => m.generation)).toEqual([0, 1]);
    const ckpt = decodeCheckpoint(readFileSync(join(outB, 'checkpoint.json'), 'utf8'));
    expect(ckpt.generation).toBe(2);
    // An absolute link to the dev server's replay page, with the command that serves it.
    const link = readFileSync(join(outB, 'share.txt'), 'utf8').trim();
    expect(link).toMatch(/^http:\/\/localhost:5173\/replay\.html#s=[A-Za-z0-9_-]+$/);
    expect(r.stdout).toContain(`share link: ${link}`);
    expect(r.stdout).toMatch(/serve http:\/\/localhost:5173\/ with: npm run dev/);
    const shared = await decodeShare(link);
    expect(shared.config.vsml).toEqual(ckpt.learner);
    // The link opens the replay on a served site: the same path under a running server.
    const { startDevServer } = await import('../src/app/vite-server');
    const { launchChromium, openPage } = await import('../src/app/chromium');
    const server = await startDevServer();
    const chromium = await launchChromium();
    try {
      const { page, log } = await openPage(
        chromium.browser,
        link.replace('http://localhost:5173/', server.url).replace('replay.html#', 'replay.html?autoplay=0#'),
      );
      await page.waitForFunction(() => ['ready', 'error', 'no-gpu'].includes(document.body.dataset.state ?? ''), {
        timeout: 150_000,
        polling: 50,
      });
      expect(await page.evaluate(() => document.body.dataset.state)).toBe('ready');
      expect(log.errors).toEqual([]);
    } finally {
      await chromium.close();
      await server.close();
    }
  });

  it('writes the same files as the Node CLI (bit-identical on SwiftShader)', async () => {
    const r = await runCli(NODE, ['--preset', 'tiny', '--generations', '2', '--out', outN, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const mb = readMetrics<Record<string, unknown>>(join(outB, 'metrics.jsonl'));
    const mn = readMetrics<Record<string, unknown>>(join(outN, 'metrics.jsonl'));
    expect(mb.map((m) => Object.keys(m).sort())).toEqual(mn.map((m) => Object.keys(m).sort()));
    expect(JSON.parse(readFileSync(join(outB, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(outN, 'config.json'), 'utf8')),
    );
    const cb = decodeCheckpoint(readFileSync(join(outB, 'checkpoint.json'), 'utf8'));
    const cn = decodeCheckpoint(readFileSync(join(outN, 'checkpoint.json'), 'utf8'));
    expect(Object.keys(cb).sort()).toEqual(Object.keys(cn).sort());
    const software = /swiftshader/i.test(cb.adapter ?? '') && /swiftshader/i.test(cn.adapter ?? '');
    console.log(`[browser-cli] adapters: browser '${cb.adapter}', node '${cn.adapter}'`);
    if (software) {
      // Same kernels, same SwiftShader: the runs agree exactly.
      expect(Array.from(new Uint32Array(cb.metaParams.buffer))).toEqual(
        Array.from(new Uint32Array(cn.metaParams.buffer)),
      );
      expect(mb.map((m) => m.fitness)).toEqual(mn.map((m) => m.fitness));
      expect(mb.map((m) => m.queryCrossEntropy)).toEqual(mn.map((m) => m.queryCrossEntropy));
    }
  });

  it('resumes its own checkpoint', async () => {
    const r = await runCli(BROWSER, ['--resume', join(outB, 'checkpoint.json'), '--generations', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming at generation 2/);
    expect(readMetrics<{ generation: number }>(join(outB, 'metrics.jsonl')).map((m) => m.generation)).toEqual([
      0, 1, 2,
    ]);
    expect(decodeCheckpoint(readFileSync(join(outB, 'checkpoint.json'), 'utf8')).generation).toBe(3);
  });

  it('exits 2 on bad options and 1 when the browser run fails', async () => {
    // In-process (the same entry point the script calls), to spare a tsx start per case.
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    try {
      expect(await trainBrowserMain(['--share-bits', '7'])).toBe(2);
      expect(errors.join('\n')).toMatch(/--share-bits/);
      expect(await trainBrowserMain(['--site', 'not a url'])).toBe(2);
      expect(errors.join('\n')).toMatch(/--site/);
      expect(await trainBrowserMain(['--set', 'strategy.pairs=0'])).toBe(2);
      expect(errors.join('\n')).toMatch(/strategy\.pairs/);
      expect(await trainBrowserMain(['--resume', join(tmp, 'missing.json')])).toBe(1);
      errors.length = 0;
      expect(
        await trainBrowserMain([
          '--preset',
          'tiny',
          '--dataset',
          'fashion-mnist',
          '--out',
          join(tmp, 'fail'),
          '--quiet',
        ]),
      ).toBe(1);
      expect(errors.join('\n')).toMatch(/not available in the browser/);
    } finally {
      spy.mockRestore();
    }
  });
});
