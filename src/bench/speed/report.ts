/**
 * `npm run bench:speed` output: a console table, a Markdown table (for docs/perf.md) and an SVG
 * chart of achieved GFLOP/s against the number of learners, with the FMA ceiling drawn across.
 * Runtime-agnostic (the browser page prints the same table).
 */
import { lineChartSvg, type LineSeries } from '../../chart/svg';
import type { SpeedReport } from './run';

const f = (x: number | undefined, d: number) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const pct = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(x < 0.1 ? 2 : 1)}%`;
const rate = (x: number | undefined) =>
  x === undefined || !Number.isFinite(x) ? '-' : x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);

function grid(header: string[], rows: string[][]): string {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function stepCells(r: SpeedReport['rows'][number], peak = false, python = false): string[] {
  return [
    r.config,
    String(r.learners),
    f(r.flopsPerLearnExample / 1e6, 3),
    `${rate(r.learnStepsPerSecond)}${r.rateBasis === 'episode' ? '*' : ''}`,
    f(r.learnGflops, 3),
    pct(r.fmaFraction),
    f(r.fmaCeilingGflops, 2),
    ...(peak ? [pct(r.peakFraction)] : []),
    pct(r.copyFraction),
    rate(r.learnEpisodeStepsPerSecond),
    f(r.episodeOverheadMs, 1),
    rate(r.queryStepsPerSecond),
    rate(r.tfjs?.learnStepsPerSecond),
    f(r.tfjs?.learnGflops, 3),
    f(r.oursOverTfjs, 2),
    ...(python ? [rate(r.python?.learnStepsPerSecond), f(r.python?.learnGflops, 3), f(r.oursOverPython, 2)] : []),
  ];
}

const hasPeak = (r: SpeedReport) => Number.isFinite(r.options.peakGflops ?? NaN);

function genHeader(r: SpeedReport, phases: readonly string[]): string[] {
  return [
    'preset',
    'members x tasks',
    'learn+query',
    ...phases,
    'learner-steps/s',
    'GFLOP/s',
    'of FMA',
    ...(hasPeak(r) ? ['of peak'] : []),
  ];
}

function genCells(r: SpeedReport, g: SpeedReport['generations'][number]): string[] {
  return [
    g.preset,
    `${g.members} x ${g.tasksPerMember}`,
    `${g.learnLength}+${g.queryLength}`,
    ...PHASES.map((p) => f(g.medianMs[p], p === 'rank' ? 3 : 0)),
    rate(g.learnerStepsPerSecond),
    f(g.gflops, 3),
    pct(g.fmaFraction),
    ...(hasPeak(r) ? [pct(g.peakFraction)] : []),
  ];
}

const STEP_HEADER = [
  'config',
  'learners',
  'MFLOP/step',
  'ours steps/s',
  'GFLOP/s',
  'of FMA',
  'FMA GFLOP/s',
  'state of copy',
  'episode steps/s',
  'episode ms',
  'query steps/s',
  'TF.js steps/s',
  'TF.js GFLOP/s',
  'ours/TF.js',
];

/** Whether the report has the Python peer's columns (reports from before it have none). */
const hasPython = (r: SpeedReport) => r.rows.some((x) => x.python);

const stepHeader = (r: SpeedReport) => [
  ...(hasPeak(r) ? [...STEP_HEADER.slice(0, 7), 'of peak', ...STEP_HEADER.slice(7)] : STEP_HEADER),
  ...(hasPython(r) ? ['python steps/s', 'python GFLOP/s', 'ours/python'] : []),
];

const cellsOf = (r: SpeedReport) => r.rows.map((x) => stepCells(x, hasPeak(r), hasPython(r)));

/** One line naming the Python peer's backend, or why it did not run. */
function pythonLine(r: SpeedReport): string | undefined {
  if (!r.python) return undefined;
  return 'description' in r.python
    ? `python peer: ${r.python.description}`
    : `python peer skipped: ${r.python.skipped}`;
}

/** What the step table's columns mean (console and Markdown). */
const STEP_COLUMNS =
  'Ours steps/s, GFLOP/s and query steps/s are marginal, (t(N) - t(1)) / (N - 1); episode steps/s counts whole episodes (initial state and readback included), episode ms is what an episode costs besides its steps; of FMA is against the FMA ceiling measured just before and after the row (FMA GFLOP/s)';

const PHASES = ['tasks', 'build', 'episodes', 'rank', 'update', 'other', 'total'] as const;

/** The whole report as plain text tables (console, browser page). */
export function formatSpeedReport(r: SpeedReport): string {
  const out: string[] = [];
  out.push(`adapter: ${r.adapter}`);
  const env = Object.entries(r.environment).map(
    ([k, v]) => `${k} ${Array.isArray(v) ? v.map((x) => (typeof x === 'number' ? x.toFixed(2) : x)).join(' ') : v}`,
  );
  if (env.length) out.push(env.join('; '));
  out.push(`timing: ${r.timing}; medians of ${r.options.repeats} timed runs after warm-up`);
  out.push('');
  const c = r.ceilings;
  if (hasPeak(r))
    out.push(
      `fp32 peak (${r.options.peakSource ?? 'given with --peak-gflops'}): ${f(r.options.peakGflops, 0)} GFLOP/s`,
    );
  out.push(
    `ceilings: FMA ${f(c.fmaGflops, 2)} GFLOP/s (runs ${[...c.start.fmaRuns, ...(c.end?.fmaRuns ?? [])].map((x) => x.toFixed(2)).join(' ')}), copy ${f(c.copyGBps, 2)} GB/s (runs ${[...c.start.copyRuns, ...(c.end?.copyRuns ?? [])].map((x) => x.toFixed(2)).join(' ')})`,
  );
  out.push('');
  out.push(
    'learner-example steps (learning), ours vs TensorFlow.js on the same device (and the Python peer on the CPU).',
  );
  const py = pythonLine(r);
  if (py) out.push(py);
  out.push(`${STEP_COLUMNS}:`);
  out.push(grid(stepHeader(r), cellsOf(r)));
  if (r.checks.length) {
    out.push('');
    out.push('outputs checked (worst scaled error over states, messages and cross-entropy sums; tests hold 2e-3):');
    out.push(
      grid(
        ['config', 'learners', 'steps+queries', 'ours/TF.js', 'ours/ref', 'TF.js/ref'],
        r.checks.map((k) => [
          k.config,
          String(k.learners),
          `${k.learnSteps}+${k.queries}`,
          k.oursVsTfjs.toExponential(1),
          k.oursVsReference.toExponential(1),
          k.tfjsVsReference.toExponential(1),
        ]),
      ),
    );
  }
  if (r.pythonChecks?.length) {
    out.push('');
    out.push(
      `Python peer vs the float64 reference (worst scaled error over states, messages and CE sums; the run fails above ${r.pythonChecks[0].tolerance}):`,
    );
    out.push(
      grid(
        ['config', 'learners', 'steps+queries', 'python/ref', 'worst at'],
        r.pythonChecks.map((k) => [
          k.config,
          String(k.learners),
          `${k.learnSteps}+${k.queries}`,
          k.vsReference.toExponential(1),
          k.where,
        ]),
      ),
    );
  }
  if (r.generations.length) {
    out.push('');
    out.push('one whole generation (ms, medians):');
    out.push(
      grid(
        genHeader(r, PHASES),
        r.generations.map((g) => genCells(r, g)),
      ),
    );
  }
  if (r.rows.some((x) => x.rateBasis === 'episode'))
    out.push('note: * whole-episode rate: the episodes were too short for the marginal one (t(N) <= t(1))');
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(`(${r.seconds.toFixed(0)} s)`);
  return out.join('\n');
}

/** Markdown tables of the same numbers, for docs/perf.md. */
export function markdownSpeedReport(r: SpeedReport): string {
  const md = (h: string[], rows: string[][]) =>
    [`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`, ...rows.map((x) => `| ${x.join(' | ')} |`)].join(
      '\n',
    );
  const out = [
    `Adapter: ${r.adapter}. Ceilings: FMA ${f(r.ceilings.fmaGflops, 2)} GFLOP/s, copy ${f(r.ceilings.copyGBps, 2)} GB/s.`,
    `${STEP_COLUMNS}; the line above gives the run's start and end ceilings.`,
    ...(pythonLine(r) ? [`${pythonLine(r)}.`] : []),
    '',
    md(stepHeader(r), cellsOf(r)),
  ];
  if (r.pythonChecks?.length)
    out.push(
      '',
      `Python peer vs the float64 reference, worst scaled error: ${r.pythonChecks.map((k) => `${k.config} ${k.vsReference.toExponential(1)}`).join(', ')} (the run fails above ${r.pythonChecks[0].tolerance}).`,
    );
  if (r.generations.length) {
    out.push(
      '',
      md(
        genHeader(
          r,
          PHASES.map((p) => `${p} ms`),
        ),
        r.generations.map((g) => genCells(r, g)),
      ),
    );
  }
  return out.join('\n');
}

/** GFLOP/s vs log2(learners) per configuration: ours solid, TensorFlow.js dashed, the FMA ceiling grey. */
export function speedChartSvg(r: SpeedReport): string {
  const series: LineSeries[] = [];
  const configs = [...new Set(r.rows.map((x) => x.config))];
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  configs.forEach((c, i) => {
    const rows = r.rows.filter((x) => x.config === c);
    series.push({
      name: `${c} (ours)`,
      color: colors[i % colors.length],
      points: rows.map((x) => [Math.log2(x.learners), x.learnGflops]),
    });
    if (rows.some((x) => x.tfjs))
      series.push({
        name: `${c} (TF.js)`,
        color: colors[i % colors.length],
        dashed: true,
        points: rows.map((x) => [Math.log2(x.learners), x.tfjs?.learnGflops ?? NaN]),
      });
  });
  const xs = r.rows.map((x) => Math.log2(x.learners));
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  series.push({
    name: `FMA ceiling ${f(r.ceilings.fmaGflops, 2)}`,
    color: '#888',
    points: [
      [x0, r.ceilings.fmaGflops],
      [x1, r.ceilings.fmaGflops],
    ],
  });
  const ys = series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  return lineChartSvg({
    title: `bench:speed, learning steps: ${r.adapter.split(',')[0]}`,
    xLabel: 'log2(learners)',
    yLabel: 'achieved GFLOP/s (cost model)',
    series,
    yRange: [0, Math.max(...ys, 0) * 1.08 || 1],
  });
}
