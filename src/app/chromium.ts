/**
 * Headless Chromium (the system's /usr/bin/chromium, never a downloaded one) with WebGPU, through
 * puppeteer-core. Node side; shared by the browser tests and by `npm run train:browser`.
 *
 * WebGPU flags: --enable-unsafe-webgpu is what exposes navigator.gpu on Linux; Vulkan is the
 * backend Dawn uses there. With no GPU, Chromium falls back to SwiftShader by itself; set
 * VSML_BROWSER_ADAPTER=swiftshader to force it even when a GPU exists.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type ConsoleMessage, type Page } from 'puppeteer-core';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string {
  const env = process.env.CHROMIUM_PATH ?? process.env.PUPPETEER_EXECUTABLE_PATH;
  if (env) return env;
  const found = CHROMIUM_CANDIDATES.find((p) => existsSync(p));
  if (!found) throw new Error(`no Chromium found (looked at ${CHROMIUM_CANDIDATES.join(', ')}); set CHROMIUM_PATH`);
  return found;
}

export function webgpuFlags(): string[] {
  const flags = ['--enable-unsafe-webgpu', '--enable-features=Vulkan'];
  if ((process.env.VSML_BROWSER_ADAPTER ?? '').toLowerCase() === 'swiftshader')
    flags.push('--use-webgpu-adapter=swiftshader');
  return flags;
}

/** Quiet, isolated, offline-friendly headless flags. */
export const HEADLESS_FLAGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-extensions',
  '--disable-dev-shm-usage',
  // Background tabs / workers must not be throttled during long runs.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

export interface LaunchedBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchChromium(
  opts: { extraArgs?: string[]; width?: number; height?: number } = {},
): Promise<LaunchedBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'vsml-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: findChromium(),
    headless: true,
    userDataDir,
    args: [...HEADLESS_FLAGS, ...webgpuFlags(), ...(opts.extraArgs ?? [])],
    defaultViewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
    timeout: 30_000,
    // Bounds every CDP call (page.evaluate included): a stuck page fails instead of hanging.
    protocolTimeout: 170_000,
  });
  let closed = false;
  return {
    browser,
    async close() {
      if (closed) return;
      closed = true;
      const proc = browser.process();
      await Promise.race([browser.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000))]);
      if (proc && proc.exitCode === null && proc.pid) {
        try {
          process.kill(proc.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Console errors and uncaught page errors, collected for assertions and failure messages. */
export interface PageLog {
  errors: string[];
  lines: string[];
}

/** Open `url` in a new tab, logging errors; `before` runs before navigation (exposeFunction, evaluateOnNewDocument). */
export async function openPage(
  browser: Browser,
  url: string,
  opts: { before?: (page: Page) => Promise<unknown> } = {},
): Promise<{ page: Page; log: PageLog }> {
  const log: PageLog = { errors: [], lines: [] };
  const page = await browser.newPage();
  await opts.before?.(page);
  page.on('console', (m: ConsoleMessage) => {
    const line = `[${m.type()}] ${m.text()}`;
    log.lines.push(line);
    // Resource failures are reported with their URL by the 'response' handler below.
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) log.errors.push(line);
  });
  page.on('pageerror', (e: unknown) => log.errors.push(`[pageerror] ${(e as Error).message ?? String(e)}`));
  page.on('requestfailed', (r) => {
    // Aborted dataset fetches after navigation are not errors.
    if (r.failure()?.errorText !== 'net::ERR_ABORTED')
      log.errors.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) log.errors.push(`[http ${r.status()}] ${r.url()}`);
  });
  page.setDefaultTimeout(60_000);
  await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
  return { page, log };
}
