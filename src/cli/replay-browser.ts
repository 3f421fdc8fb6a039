/**
 * `npm run replay:browser -- LINK|SOURCE [options]`: plays a share link on the replay page in
 * headless Chromium (as a person opening the link would) and prints the final status, e.g. to
 * check that a full-benchmark replay ends on the learner's scoreboard number. SOURCE is anything
 * `npm run share` reads (a checkpoint, `rule:class-mean`, `rule:FILE`).
 *
 * Exit codes: 0 played, 1 failure (bad link, no WebGPU, page error), 2 bad options.
 */
import { parseArgs } from 'node:util';
import { launchChromium, openPage } from '../app/chromium';
import { startDevServer, startPreviewServer } from '../app/vite-server';
import { encodeShare } from '../share';
import { sourcePayload } from './share';

export const REPLAY_BROWSER_HELP = `Usage: npm run replay:browser -- LINK|SOURCE [options]

Plays a learner on the replay page in headless Chromium (WebGPU; SwiftShader without a GPU) and
prints the final status (test accuracy, examples played, adapter). LINK is a share link (or its
"s=..." fragment); SOURCE is a learner as npm run share reads it (FILE.json, FILE.json#final,
rule:class-mean, rule:FILE.json).

Options:
  --stream benchmark|episode   the stream (default: the one the learner was made for)
  --learn N                    training examples per class (0 = all; default: the page's)
  --test N                     test images per class (0 = all; default: the page's)
  --dist DIR                   serve a built site instead of the Vite dev server
  --timeout SECONDS            give up after this long (default 7200)
  -h, --help                   this text`;

export async function replayBrowserMain(argv: string[]): Promise<number> {
  let v: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    v = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stream: { type: 'string' },
        learn: { type: 'string' },
        test: { type: 'string' },
        dist: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --help for the options.`);
    return 2;
  }
  const o = v.values;
  if (o.help) {
    console.log(REPLAY_BROWSER_HELP);
    return 0;
  }
  const count = (flag: string, x: unknown): string | null => {
    if (x === undefined) return null;
    if (!/^\d+$/.test(String(x))) throw new Error(`--${flag}: expects an integer >= 0, got '${x}'`);
    return String(x);
  };
  let query: URLSearchParams;
  let timeoutS: number;
  try {
    if (v.positionals.length !== 1) throw new Error(`expected one LINK or SOURCE, got ${v.positionals.length}`);
    query = new URLSearchParams({ speed: 'fast' });
    if (o.stream !== undefined) {
      if (o.stream !== 'benchmark' && o.stream !== 'episode') throw new Error(`--stream: benchmark or episode, got '${o.stream}'`);
      query.set('stream', o.stream);
    }
    const learn = count('learn', o.learn);
    const test = count('test', o.test);
    if (learn !== null) query.set('learn', learn);
    if (test !== null) query.set('test', test);
    timeoutS = o.timeout === undefined ? 7200 : Number(count('timeout', o.timeout));
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --help for the options.`);
    return 2;
  }
  const arg = v.positionals[0];
  const hash = arg.indexOf('#');
  let fragment: string;
  try {
    fragment = hash >= 0 ? arg.slice(hash + 1) : arg.startsWith('s=') ? arg : (await encodeShare(sourcePayload(arg))).fragment;
  } catch (e) {
    console.error(`replay:browser: ${(e as Error).message}`);
    return 1;
  }
  const server = o.dist ? await startPreviewServer(String(o.dist)) : await startDevServer();
  const chromium = await launchChromium();
  try {
    const { page, log } = await openPage(chromium.browser, `${server.url}replay.html?${query}#${fragment}`);
    let lastStatus = '';
    const t0 = performance.now();
    for (;;) {
      const s = await page.evaluate(() => ({ state: document.body.dataset.state ?? '', status: document.getElementById('status')?.textContent ?? '', message: document.getElementById('message')?.textContent ?? '' }));
      if (s.status !== lastStatus && s.status) {
        // Progress lines at most every few seconds (the page updates far more often).
        console.error(s.status);
        lastStatus = s.status;
      }
      if (s.state === 'done') {
        console.log(s.status);
        return log.errors.length ? (console.error(`page errors:\n  ${log.errors.join('\n  ')}`), 1) : 0;
      }
      if (s.state === 'error' || s.state === 'no-gpu') {
        console.error(`replay:browser: ${s.message}`);
        return 1;
      }
      if (performance.now() - t0 > timeoutS * 1000) {
        console.error(`replay:browser: gave up after --timeout ${timeoutS} s`);
        return 1;
      }
      await new Promise((r) => setTimeout(r, 5000));
    }
  } finally {
    await chromium.close();
    await server.close();
  }
}

if (/src[\\/]cli[\\/]replay-browser\.ts$/.test(process.argv[1] ?? '')) {
  process.exitCode = await replayBrowserMain(process.argv.slice(2));
  // Vite and puppeteer may leave handles behind; everything is closed, so leave now.
  process.exit(process.exitCode);
}
