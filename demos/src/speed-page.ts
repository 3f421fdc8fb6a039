/**
 * The bench:speed page: runs src/bench/speed/run.ts (the same module as `npm run bench:speed`) on
 * this browser's WebGPU and prints the same table. Options come from the form or the URL
 * (?configs=..&learners=..&repeats=..&steps=..&generations=..|none&tfjs=0&run). When done, the
 * report is in window.speedReport and body[data-state] is 'done' (or 'error').
 */
import { subsetSplit } from '../../src/data/dataset';
import { loadIdxUrl } from '../../src/data/load-url';
import { acquireGpu } from '../../src/gpu/acquire';
import { formatSpeedReport } from '../../src/bench/speed/report';
import { type SpeedOptions, type SpeedReport, runSpeedBench } from '../../src/bench/speed/run';
import { $, dataBaseUrl, hasWebGpu, noWebGpuMessage } from './page-util';

declare global {
  interface Window {
    speedReport?: SpeedReport;
  }
}

const params = new URLSearchParams(location.search);
const input = (id: string) => $(id) as HTMLInputElement;
for (const id of ['configs', 'learners', 'repeats', 'generations']) {
  const v = params.get(id);
  if (v !== null) input(id).value = v;
}
if (params.get('tfjs') === '0') input('tfjs').checked = false;

const list = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const out = $('out');

async function run(): Promise<void> {
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(l);
    out.textContent = lines.join('\n');
  };
  document.body.dataset.state = 'running';
  ($('start') as HTMLButtonElement).disabled = true;
  try {
    if (!hasWebGpu()) throw new Error(noWebGpuMessage());
    const gens = input('generations').value.trim();
    const steps = params.get('steps');
    const opts: SpeedOptions = {
      configs: list(input('configs').value),
      learners: list(input('learners').value).map(Number),
      repeats: Number(input('repeats').value) || 3,
      generations: gens === '' || gens === 'none' ? [] : list(gens),
      tfjs: input('tfjs').checked,
      steps: steps ? Number(steps) : undefined,
      generationRepeats: params.get('generation-repeats') ? Number(params.get('generation-repeats')) : undefined,
      log,
    };
    log('loading MNIST...');
    const ds = await loadIdxUrl(dataBaseUrl(), 'mnist');
    const gpu = await acquireGpu();
    try {
      const report = await runSpeedBench(
        gpu,
        { train: subsetSplit(ds.train, 10000), test: subsetSplit(ds.test, 2000) },
        opts,
      );
      report.environment = { userAgent: navigator.userAgent, hardwareConcurrency: navigator.hardwareConcurrency };
      window.speedReport = report;
      out.textContent = `${formatSpeedReport(report)}\n\n(log)\n${lines.join('\n')}`;
      document.body.dataset.state = 'done';
    } finally {
      gpu.destroy();
    }
  } catch (e) {
    log(`error: ${(e as Error).message}`);
    document.body.dataset.state = 'error';
  } finally {
    ($('start') as HTMLButtonElement).disabled = false;
  }
}

$('form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void run();
});
if (params.has('run')) void run();
