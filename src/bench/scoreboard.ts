/**
 * The four-axis scoreboard: rows per method, rendered as a console table, Markdown and JSON.
 * Every row carries all four axes (quality, compute, learned state, algorithm size), the wall
 * time beside the FLOPs, and the adapter it ran on.
 */
import type { ByteItem } from '../inner/learner';
import type { CurvePoint, StreamOrder } from './ordered-mnist';

export interface ScoreRow {
  id: string;
  method: string;
  describe: string;
  config: string;
  order: StreamOrder;
  /** True for rows that are not OrderedMNIST results (shuffled references). */
  reference: boolean;
  adapter: string;
  accuracy: number;
  perClassAccuracy: number[];
  confusion: number[][];
  trainFlops: number;
  testFlops: number;
  learnFlops: number;
  freezeFlops: number;
  stateBytes: number;
  stateBreakdown: ByteItem[];
  algorithmBytes: number;
  algorithmBreakdown: ByteItem[];
  learnMs: number;
  testMs: number;
  curve: CurvePoint[];
  curveFlops: number;
  curveMs: number;
}

export interface Scoreboard {
  benchmark: 'OrderedMNIST protocol';
  dataset: string;
  trainName: string;
  testName: string;
  trainCount: number;
  testCount: number;
  numClasses: number;
  /** Order of the run (methods with @shuffled override it per row). */
  order: StreamOrder;
  curvePerClass: number;
  command: string;
  date: string;
  machine: string;
  gpuAdapter: string | null;
  wallSeconds: number;
  rows: ScoreRow[];
}

/** 1234567 -> "1.23e6"; small integers stay plain. */
export function fmtFlops(f: number): string {
  if (f === 0) return '0';
  if (f < 1e4) return String(Math.round(f));
  const e = Math.floor(Math.log10(f));
  return `${(f / 10 ** e).toFixed(2)}e${e}`;
}

/** Bytes with SI units (1 kB = 1000 B), exact below 10 kB. */
export function fmtBytes(b: number): string {
  if (b < 10_000) return `${b} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = b / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function fmtPct(a: number, digits = 2): string {
  return Number.isFinite(a) ? `${(100 * a).toFixed(digits)}%` : 'n/a';
}

export function fmtSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 600) return `${s.toFixed(1)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

/** Per-class accuracies as whole percentages, e.g. "99 98 0 ...". */
export function fmtPerClass(a: number[]): string {
  return a.map((v) => (Number.isFinite(v) ? String(Math.round(100 * v)) : '-')).join(' ');
}

export const COLUMNS = [
  'method',
  'accuracy',
  'per-class accuracy (%)',
  'training FLOPs',
  'test FLOPs',
  'learned state',
  'algorithm',
  'wall time (learn + test)',
  'adapter',
] as const;

export function rowCells(r: ScoreRow): string[] {
  const name = r.reference ? `${r.id} (reference: shuffled, NOT the benchmark)` : r.id;
  return [
    name,
    fmtPct(r.accuracy),
    fmtPerClass(r.perClassAccuracy),
    fmtFlops(r.trainFlops),
    fmtFlops(r.testFlops),
    fmtBytes(r.stateBytes),
    fmtBytes(r.algorithmBytes),
    `${fmtSeconds(r.learnMs)} + ${fmtSeconds(r.testMs)}`,
    r.adapter,
  ];
}

/** Plain-text table for the console. */
export function consoleTable(rows: ScoreRow[]): string {
  const cells = [COLUMNS.slice() as string[], ...rows.map(rowCells)];
  const widths = COLUMNS.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((v, c) => v.padEnd(widths[c])).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const esc = (s: string) => s.replace(/\|/g, '\\|');

function mdTable(header: string[], body: string[][]): string {
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** Benchmark rows first (best accuracy first), then references. */
export function sortRows(rows: ScoreRow[]): ScoreRow[] {
  return [...rows].sort((a, b) => Number(a.reference) - Number(b.reference) || b.accuracy - a.accuracy);
}

/** The Markdown report: main table, curve table, byte breakdowns, definitions. */
export function markdownReport(sb: Scoreboard): string {
  const rows = sortRows(sb.rows);
  const out: string[] = [];
  out.push(`# OrderedMNIST scoreboard: ${sb.dataset}`);
  out.push('');
  out.push(
    `Train ${sb.trainName} (${sb.trainCount} examples, one pass, ${sb.order === 'sorted' ? 'sorted by class, file order within a class' : 'SHUFFLED: a reference run, NOT the benchmark'}), ` +
      `test ${sb.testName} (${sb.testCount} images, state frozen). Command: \`${sb.command}\`. ${sb.date}. Machine: ${sb.machine}. Total wall time ${fmtSeconds(sb.wallSeconds * 1000)}.`,
  );
  out.push('');
  out.push(mdTable(COLUMNS.slice() as string[], rows.map(rowCells)));
  out.push('');
  out.push('Configurations:');
  out.push('');
  for (const r of rows) out.push(`- \`${r.id}\`: ${r.describe}; ${r.config}.`);
  out.push('');
  if (rows.some((r) => r.curve.length > 0)) {
    out.push(
      `## Accuracy on the classes seen so far (forgetting curve, ${sb.curvePerClass} probe test images per class)`,
    );
    out.push('');
    const maxPts = Math.max(...rows.map((r) => r.curve.length));
    const header = [
      'method',
      ...Array.from({ length: maxPts }, (_, i) => `after ${i + 1}`),
      'probe FLOPs',
      'probe time',
    ];
    // Rows run without a curve (--curve-per-class 0, e.g. merged in later) are left out of this table.
    const body = rows
      .filter((r) => r.curve.length > 0)
      .map((r) => [
        r.id,
        ...Array.from({ length: maxPts }, (_, i) => (r.curve[i] ? fmtPct(r.curve[i].accuracy, 1) : '')),
        fmtFlops(r.curveFlops),
        fmtSeconds(r.curveMs),
      ]);
    out.push(mdTable(header, body));
    out.push('');
    out.push(
      'Column "after c": after the last training example of the c-th class of the stream (sorted order) or after c tenths of the stream (shuffled), the learner is frozen and predicts the probe set; the accuracy is over the probe images of the classes seen so far. This costs one freeze and one probe prediction per point, counted in "probe FLOPs", not in the learner\'s training or test FLOPs.',
    );
    out.push('');
  }
  out.push('## Byte accounting');
  out.push('');
  out.push(
    mdTable(
      ['method', 'learned state (exact bytes)', 'algorithm (exact bytes)'],
      rows.map((r) => [
        r.id,
        `${r.stateBytes}: ${r.stateBreakdown.map((b) => `${b.name} ${b.bytes}`).join(', ')}`,
        `${r.algorithmBytes}${r.algorithmBreakdown.length ? `: ${r.algorithmBreakdown.map((b) => `${b.name} ${b.bytes}`).join(', ')}` : ''}`,
      ]),
    ),
  );
  out.push('');
  out.push(
    'Definitions: accuracy on the whole test split; training FLOPs = all learn steps plus the final switch to test mode; test FLOPs = predicting every test image (analytic counts, conventions in src/inner/flops.ts); learned state = everything carried from one example to the next, after the last example; algorithm = bytes needed before any data (meta-parameters, pretrained weights, seeds at 4 bytes, each scalar hyperparameter at 4 bytes; code not counted). See docs/benchmark.md.',
  );
  out.push('');
  return out.join('\n');
}

/**
 * `--merge`: the rows of `old` that `fresh` did not redo, then `fresh`'s rows. A CPU-only rerun
 * keeps the GPU adapter of the rows it merges with (each row also names its own adapter), and rows
 * merged without a curve keep the probe size of the rows that have one.
 */
export function mergeRerun(old: Scoreboard, fresh: Scoreboard): Scoreboard {
  const redone = new Set(fresh.rows.map((r) => r.id));
  return {
    ...fresh,
    rows: [...old.rows.filter((r) => !redone.has(r.id)), ...fresh.rows],
    command: `${old.command}; then ${fresh.command}`,
    wallSeconds: fresh.wallSeconds + old.wallSeconds,
    curvePerClass: fresh.curvePerClass === 0 ? old.curvePerClass : fresh.curvePerClass,
    gpuAdapter: fresh.gpuAdapter ?? old.gpuAdapter,
  };
}

/** Rows of `from` scoreboards added to `into` (a row id present in both: the `from` row wins). */
export function mergeScoreboards(into: Scoreboard, from: Scoreboard[], note: string): Scoreboard {
  const out: Scoreboard = { ...into, rows: [...into.rows] };
  for (const f of from) {
    if (f.trainName !== into.trainName || f.testName !== into.testName) {
      throw new Error(
        `--merge-from: a scoreboard of ${f.trainName}/${f.testName} cannot join one of ${into.trainName}/${into.testName}`,
      );
    }
    const ids = new Set(f.rows.map((r) => r.id));
    out.rows = [...out.rows.filter((r) => !ids.has(r.id)), ...f.rows];
    out.command = `${out.command}; ${f.command}`;
    out.wallSeconds += f.wallSeconds;
    out.gpuAdapter = out.gpuAdapter ?? f.gpuAdapter;
  }
  out.command = `${out.command}; then ${note}`;
  return out;
}
