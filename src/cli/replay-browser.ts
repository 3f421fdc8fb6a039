/**
 * `npm run replay:browser -- LINK|SOURCE [options]`: plays a share link on the replay page in
 * headless Chromium (as a person opening the link would) and prints the final status, e.g. to
 * check that a full-benchmark replay ends on the learner's scoreboard number. SOURCE is anything
 * `npm run share` reads (a checkpoint, `rule:class-mean`, `rule:FILE`).
 *
 * Exit codes: 0 played, 1 failure (bad link, no WebGPU, page error), 2 bad options.
 */
import { launchChromium, openPage } from '../app/chromium';
import { startDevServer, startPreviewServer } from '../app/vite-server';
import { encodeShare } from '../share';
import { UsageError, defineCommand, intArg, parseOrExit } from './args';
import { sourcePayload } from './share';

export const REPLAY_BROWSER_COMMAND = defineCommand({
  name: 'replay:browser',
  usage: 'LINK|SOURCE [options]',
  description: `Plays a learner on the replay page in headless Chromium (WebGPU; SwiftShader without a GPU) and
prints the final status (test accuracy, examples played, adapter). LINK is a share link (or its
"s=..." fragment); SOURCE is a learner as npm run share reads it (FILE.json, FILE.json#final,
rule:class-mean, rule:FILE.json).`,
  positional: { name: 'LINK|SOURCE', description: 'the learner to play' },
  options: {
    stream: {
      type: 'string',
      choices: ['benchmark', 'episode'],
      defaultText: 'the one the learner was made for',
      description: 'the stream',
    },
    learn: {
      type: 'string',
      value: 'N',
      defaultText: "the page's",
      description: 'training examples per class (0 = all)',
    },
    test: { type: 'string', value: 'N', defaultText: "the page's", description: 'test images per class (0 = all)' },
    dist: { type: 'string', value: 'DIR', description: 'serve a built site instead of the Vite dev server' },
    timeout: { type: 'string', value: 'SECONDS', default: '7200', description: 'give up after this long' },
  },
});

export async function replayBrowserMain(argv: string[]): Promise<number> {
  const parsed = parseOrExit(REPLAY_BROWSER_COMMAND, argv);
  if (typeof parsed === 'number') return parsed;
  const o = parsed.values;
  let timeoutS: number;
  const query = new URLSearchParams({ speed: 'fast' });
  try {
    if (parsed.positional === undefined) throw new UsageError('LINK|SOURCE', 'give a share link or a learner source');
    if (o.stream !== undefined) query.set('stream', o.stream);
    if (o.learn !== undefined) query.set('learn', String(intArg('--learn', o.learn, 0)));
    if (o.test !== undefined) query.set('test', String(intArg('--test', o.test, 0)));
    timeoutS = intArg('--timeout', o.timeout, 1);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`replay:browser: ${e.message}\nRun with --help for the options.`);
    return 2;
  }
  const arg = parsed.positional;
  const hash = arg.indexOf('#');
  let fragment: string;
  try {
    fragment =
      hash >= 0 ? arg.slice(hash + 1) : arg.startsWith('s=') ? arg : (await encodeShare(sourcePayload(arg))).fragment;
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
      const s = await page.evaluate(() => ({
        state: document.body.dataset.state ?? '',
        status: document.getElementById('status')?.textContent ?? '',
        message: document.getElementById('message')?.textContent ?? '',
      }));
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
