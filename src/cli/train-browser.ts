/**
 * `npm run train:browser -- [options]`: the same training job as `npm run train`, run by the
 * browser app in headless Chromium (puppeteer-core + the system's /usr/bin/chromium; WebGPU on the
 * GPU, or SwiftShader without one). It serves the app with Vite, opens the train page, starts the
 * run through window.vsmlApp, streams progress to the terminal, and writes the same files as the
 * Node CLI: config.json, metrics.jsonl (one GenerationMetrics per line) and checkpoint.json (same
 * format, resumable by either CLI), plus share.txt with the learner's share link.
 *
 * Exit codes: 0 completed or stopped (Ctrl-C), 1 failure (no WebGPU, page or training error),
 * 2 bad options.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import type { ProbeOptions, RunEvent, ShareResult, TrainPageApi } from '../pages/train-messages';
import { launchChromium, openPage, type LaunchedBrowser } from '../app/chromium';
import { DEV_SITE, PREVIEW_SITE, parseSite, replayLink, serveCommand } from '../app/site';
import { startDevServer, startPreviewServer, type TestServer } from '../app/vite-server';
import { describeVsmlConfig } from '../spec/vsml-config';
import { decodeCheckpoint } from '../meta/checkpoint';
import { MetricsLog, writeFileAtomic } from '../meta/node/io';
import type { TrainConfig } from '../meta/train-config';
import type { GenerationMetrics } from '../meta/trainer';
import { timestampedRunDir } from './common';
import { TRAINING_CTRL_C, onInterrupt } from './interrupt';
import { ProgressBar, formatDuration } from './progress';
import { type OptionSpecs, UsageError, argvOf, defineCommand, helpText, intArg, parseCommand } from './args';
import { TRAIN_EPILOG, TRAIN_OPTIONS, parseTrainArgs } from './train-args';

const BROWSER_OPTIONS = {
  dist: {
    type: 'string',
    value: 'DIR',
    description: 'serve a built site (npm run build) instead of the Vite dev server',
  },
  'probe-every': {
    type: 'string',
    value: 'N',
    default: '0',
    description: 'OrderedMNIST probe of the current learner every N generations (0: off)',
  },
  'probe-learn': {
    type: 'string',
    value: 'N',
    default: '20',
    description: 'probe: class-sorted training examples per class',
  },
  'probe-test': { type: 'string', value: 'N', default: '20', description: 'probe: test images per class' },
  'share-bits': {
    type: 'string',
    choices: ['8', '16', '32'],
    default: '16',
    description: 'ES/SNES parameters in the share link: int8/int16 quantised or exact f32',
  },
  site: {
    type: 'string',
    value: 'URL',
    defaultText: `${DEV_SITE} (npm run dev); with --dist, ${PREVIEW_SITE} (npm run preview)`,
    description: 'site that replays the printed share link',
  },
  'browser-arg': {
    type: 'string',
    value: 'ARG',
    multiple: true,
    description: 'extra Chromium flag, e.g. --browser-arg=--use-webgpu-adapter=swiftshader',
  },
  timeout: { type: 'string', value: 'SECONDS', defaultText: 'none', description: 'give up (exit 1) after this long' },
} as const satisfies OptionSpecs;

export const TRAIN_BROWSER_COMMAND = defineCommand({
  name: 'train:browser',
  description: `Runs the browser app's training in headless Chromium (WebGPU; SwiftShader without a GPU) and
writes the same files as \`npm run train\`: config.json, metrics.jsonl, checkpoint.json, and
share.txt (a replay link for the learner).`,
  options: { ...BROWSER_OPTIONS, ...TRAIN_OPTIONS },
  groups: [
    { title: 'Browser options:', names: Object.keys(BROWSER_OPTIONS) },
    { title: 'Training options (as npm run train):', names: Object.keys(TRAIN_OPTIONS) },
  ],
  epilog: TRAIN_EPILOG,
});

export interface BrowserArgs {
  dist?: string;
  probe: ProbeOptions;
  shareBits: 8 | 16 | 32;
  /** Root URL of the site for the printed share link. */
  site?: string;
  browserArgs: string[];
  timeoutS?: number;
  /** The training options, as given (for parseTrainArgs). */
  rest: string[];
  help: boolean;
}

function siteArg(v: string): string {
  try {
    return parseSite(v);
  } catch (e) {
    throw new UsageError('--site', (e as Error).message.replace(/^--site: /, ''));
  }
}

/** Split our options from the training options (which parseTrainArgs handles). */
export function parseBrowserArgs(argv: string[]): BrowserArgs {
  const parsed = parseCommand(TRAIN_BROWSER_COMMAND, argv);
  if (!parsed)
    return {
      probe: { every: 0, learnPerClass: 20, testPerClass: 20 },
      shareBits: 16,
      browserArgs: [],
      rest: [],
      help: true,
    };
  const v = parsed.values;
  if (v.dist === '') throw new UsageError('--dist', 'needs a directory');
  return {
    dist: v.dist,
    probe: {
      every: intArg('--probe-every', v['probe-every'], 0),
      learnPerClass: intArg('--probe-learn', v['probe-learn'], 1),
      testPerClass: intArg('--probe-test', v['probe-test'], 1),
    },
    shareBits: Number(v['share-bits']) as 8 | 16 | 32,
    site: v.site === undefined ? undefined : siteArg(v.site),
    browserArgs: v['browser-arg'],
    timeoutS: v.timeout === undefined ? undefined : intArg('--timeout', v.timeout, 1),
    rest: argvOf(parsed.tokens, Object.keys(TRAIN_OPTIONS)),
    help: false,
  };
}

class BrowserRunError extends Error {
  override name = 'BrowserRunError';
}

interface Session {
  server: TestServer;
  chromium: LaunchedBrowser;
  page: Page;
  pageErrors: string[];
}

async function openApp(b: BrowserArgs, onEvent: (e: RunEvent) => void): Promise<Session> {
  const server = b.dist ? await startPreviewServer(b.dist) : await startDevServer();
  let chromium: LaunchedBrowser | undefined;
  try {
    chromium = await launchChromium({ extraArgs: b.browserArgs });
    // The event hook is installed before navigation so the page sees it from its first event.
    const { page, log } = await openPage(chromium.browser, `${server.url}index.html`, {
      before: (p) => p.exposeFunction('__vsmlHeadless', (e: RunEvent) => onEvent(e)),
    });
    return { server, chromium, page, pageErrors: log.errors };
  } catch (e) {
    await chromium?.close();
    await server.close();
    throw e;
  }
}

export async function trainBrowserMain(argv: string[]): Promise<number> {
  let b: BrowserArgs;
  let args: ReturnType<typeof parseTrainArgs>;
  try {
    b = parseBrowserArgs(argv);
    args = parseTrainArgs(b.rest);
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --help for the options.`);
    return 2;
  }
  if (b.help || args.help) {
    console.log(helpText(TRAIN_BROWSER_COMMAND));
    return 0;
  }
  if (args.printConfig) {
    console.log(JSON.stringify(args.config ?? { resume: args.resume }, null, 2));
    return 0;
  }

  if (b.dist && !existsSync(join(b.dist, 'index.html'))) {
    console.error(`--dist ${b.dist}: no index.html there; build the site first with npm run build`);
    return 1;
  }
  let checkpointText: string | undefined;
  let config: TrainConfig;
  let outDir: string;
  if (args.resume) {
    if (!existsSync(args.resume)) {
      console.error(`checkpoint not found: ${args.resume}`);
      return 1;
    }
    checkpointText = readFileSync(args.resume, 'utf8');
    try {
      const c = decodeCheckpoint(checkpointText, args.resume);
      config = { ...c.config, generations: args.generations ?? c.config.generations };
    } catch (e) {
      console.error((e as Error).message);
      return 1;
    }
    outDir = args.out ?? join(args.resume, '..');
  } else {
    config = args.config!;
    outDir = args.out ?? timestampedRunDir('train-browser');
    if (existsSync(join(outDir, 'checkpoint.json'))) {
      console.error(
        `${outDir} already holds a run; continue it with --resume ${join(outDir, 'checkpoint.json')} or choose another --out`,
      );
      return 1;
    }
  }
  const startGeneration = checkpointText ? (JSON.parse(checkpointText) as { generation: number }).generation : 0;
  const checkpointPath = join(outDir, 'checkpoint.json');
  const metricsPath = join(outDir, 'metrics.jsonl');
  const probePath = join(outDir, 'probe.jsonl');
  const say = (s: string) => !args.quiet && bar.log(s);
  const bar = new ProgressBar({ total: config.generations, startGeneration, quiet: args.quiet });

  let metrics: MetricsLog | undefined;
  let last: GenerationMetrics | undefined;
  let failure: string | null = null;
  let finished: ((outcome: string) => void) | null = null;
  const done = new Promise<string>((resolve) => (finished = resolve));
  const onEvent = (e: RunEvent) => {
    switch (e.type) {
      case 'status':
        say(e.message);
        break;
      case 'started':
        say(
          `learner: ${e.describe}, ${e.dim} meta-parameters; strategy ${e.config.strategy.kind}; dataset ${e.trainName} (${e.trainCount} train examples)`,
        );
        break;
      case 'generation':
        last = e.metrics;
        metrics?.append(e.metrics);
        bar.update(e.metrics);
        break;
      case 'probe':
        writeFileSync(probePath, `${JSON.stringify(e.probe)}\n`, { flag: 'a' });
        say(
          `probe after generation ${e.probe.generation}: OrderedMNIST test accuracy ${(100 * e.probe.accuracy).toFixed(1)}% on classes 0-${e.probe.classes - 1}`,
        );
        break;
      case 'checkpoint':
        if (e.text) writeFileAtomic(checkpointPath, e.text);
        break;
      case 'error':
        failure = `${e.name}: ${e.message}`;
        finished?.('error');
        break;
      case 'finished':
        finished?.(e.outcome);
        break;
    }
  };

  const wallStart = performance.now();
  let session: Session | undefined;
  const interrupt = onInterrupt({
    ...TRAINING_CTRL_C,
    onStop: () => void session?.page.evaluate(() => window.vsmlApp.stop()).catch(() => undefined),
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    session = await openApp(b, onEvent);
    const { page } = session;
    await page
      .waitForFunction(() => typeof window.vsmlApp === 'object', { timeout: 30_000 })
      .catch(() => {
        throw new BrowserRunError(
          `the train page did not start (is ${b.dist ? `${b.dist} a build of this app` : 'the dev server working'}?)`,
        );
      });
    const ready = await page.evaluate(() => window.vsmlApp.ready);
    if (!ready.ok) throw new BrowserRunError(`the browser has no usable WebGPU: ${ready.message}`);
    say(`adapter: ${ready.describe} (headless Chromium)`);
    say(`${checkpointText ? `resuming at generation ${startGeneration}` : 'starting'}; output in ${outDir}`);
    if (!checkpointText) writeFileAtomic(join(outDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    metrics = new MetricsLog(metricsPath, checkpointText ? startGeneration : undefined);
    // Not awaited here: a run may last longer than any single DevTools call may.
    await page.evaluate(
      (opts) => {
        window.__vsmlRun = window.vsmlApp.start(opts).catch((e: Error) => `error: ${e.message}`);
      },
      {
        config: checkpointText ? undefined : config,
        checkpointText,
        generations: args.generations,
        probe: b.probe,
        emitCheckpoints: true,
      },
    );
    const timeout = new Promise<string>((resolve) => {
      if (b.timeoutS) timer = setTimeout(() => resolve('timeout'), b.timeoutS * 1000);
    });
    const pageDied = new Promise<string>((resolve) => {
      page.once('error', (e) => resolve(`page crashed: ${e.message}`));
      page.once('close', () => resolve('page closed'));
    });
    const outcome = await Promise.race([done, timeout, pageDied]);
    bar.end();
    if (outcome === 'timeout') throw new BrowserRunError(`gave up after --timeout ${b.timeoutS} s`);
    if (outcome !== 'completed' && outcome !== 'stopped') throw new BrowserRunError(failure ?? outcome);
    if (session.pageErrors.length)
      throw new BrowserRunError(`the page reported errors:\n  ${session.pageErrors.join('\n  ')}`);
    const share: ShareResult & { url: string } = await page.evaluate((bits) => window.vsmlApp.share(bits), b.shareBits);
    const site = b.site ?? (b.dist ? PREVIEW_SITE : DEV_SITE);
    const link = replayLink(site, share.fragment);
    const serve = serveCommand(site);
    writeFileAtomic(join(outDir, 'share.txt'), `${link}\n`);
    const generation = last ? last.generation + 1 : startGeneration;
    console.log(
      [
        outcome === 'completed'
          ? `Finished ${generation} generations in ${formatDuration(performance.now() - wallStart)} (headless Chromium).`
          : `Stopped at generation ${generation} of ${config.generations}.`,
        ...(last
          ? [
              `  last generation: fitness (${last.fitnessKind}) best ${last.fitness.best.toFixed(4)} mean ${last.fitness.mean.toFixed(4)}`,
            ]
          : []),
        `  learner:    ${describeVsmlConfig(config.learner)}`,
        `  checkpoint: ${checkpointPath}`,
        `  metrics:    ${metricsPath} (one JSON object per generation)`,
        `  share link: ${link}`,
        `              (${share.sizes.fragmentChars} characters${share.exact ? ', exact parameters' : ', quantised parameters'}; saved in ${join(outDir, 'share.txt')})`,
        serve
          ? `              serve ${site} with: ${serve}`
          : `              (it opens where ${site} hosts a build of this site: npm run build)`,
        ...(outcome === 'stopped' ? [`Continue with: npm run train:browser -- --resume ${checkpointPath}`] : []),
      ].join('\n'),
    );
    return 0;
  } catch (e) {
    bar.end();
    console.error(`\n${(e as Error).name}: ${(e as Error).message}`);
    if (existsSync(checkpointPath))
      console.error(
        `The last checkpoint is ${checkpointPath}; continue with: npm run train:browser -- --resume ${checkpointPath}`,
      );
    return 1;
  } finally {
    if (timer) clearTimeout(timer);
    interrupt.dispose();
    metrics?.close();
    await session?.chromium.close();
    await session?.server.close();
  }
}

declare global {
  interface Window {
    vsmlApp: TrainPageApi;
    __vsmlRun?: Promise<unknown>;
  }
}

if (/src[\\/]cli[\\/]train-browser\.ts$/.test(process.argv[1] ?? '')) {
  process.exitCode = await trainBrowserMain(process.argv.slice(2));
  // Vite and puppeteer may leave handles behind; everything is closed, so leave now.
  process.exit(process.exitCode);
}
