import { describe, expect, it } from 'vitest';
import { DEFAULT_METHODS, parseMethod, parseMethodList } from '../src/bench/methods';
import { runScoreboard } from '../src/bench/run';
import {
  COLUMNS,
  type ScoreRow,
  consoleTable,
  fmtBytes,
  fmtFlops,
  markdownReport,
  mergeRerun,
  mergeScoreboards,
} from '../src/bench/scoreboard';
import { accuracyVsStateSvg, forgettingSvg, paretoFront } from '../src/bench/svg-chart';
import { clusterSplit } from '../src/bench/synthetic';

describe('method specs', () => {
  it('parses names, parameters and the shuffled-reference suffix', () => {
    expect(parseMethod('knn:k=3')).toMatchObject({ name: 'knn', params: { k: '3' }, order: undefined });
    expect(parseMethod('mlp:hidden=32:lr=0.1@shuffled')).toMatchObject({
      name: 'mlp',
      params: { hidden: '32', lr: '0.1' },
      order: 'shuffled',
    });
    expect(parseMethodList(' ncm, slda ,').map((s) => s.name)).toEqual(['ncm', 'slda']);
    expect(() => parseMethod('nope')).toThrow(/unknown method/);
    expect(() => parseMethod('knn:q=1')).toThrow(/no parameter 'q'/);
    expect(() => parseMethod('ncm@random')).toThrow(/@sorted or @shuffled/);
    // label=NAME names the row (two rows of one method on one scoreboard) and is not a parameter.
    expect(parseMethod('vsml:label=vsml-5way')).toMatchObject({ id: 'vsml-5way', name: 'vsml', params: {} });
    expect(parseMethod('knn:k=3:label=k3@shuffled')).toMatchObject({
      id: 'k3@shuffled',
      params: { k: '3' },
      order: 'shuffled',
    });
    expect(() => parseMethod('ncm:label=a b')).toThrow(/label must be/);
  });
});

describe('scoreboard end to end on a synthetic dataset (every default method)', async () => {
  const ds = {
    name: 'synthetic',
    train: clusterSplit('syn/train', 12, 3, 4, 4, 0, 60),
    test: clusterSplit('syn/test', 6, 3, 4, 4, 5, 60),
  };
  const specs = parseMethodList([...DEFAULT_METHODS, 'replay-logreg:buffer=5', 'mlp:hidden=8'].join(','));
  const sb = await runScoreboard(ds, specs, {
    order: 'sorted',
    curvePerClass: 2,
    shuffleSeed: 1,
    command: 'test',
    machine: 'test',
    gpu: () => Promise.reject(new Error('no GPU method in this list')),
  });

  it('has one row per method with all four axes, the adapter, and shuffled rows marked as references', () => {
    expect(sb.rows.map((r) => r.id)).toEqual(specs.map((s) => s.id));
    for (const r of sb.rows) {
      expect(r.accuracy).toBeGreaterThanOrEqual(0);
      expect(r.perClassAccuracy).toHaveLength(3);
      expect(r.trainFlops + r.testFlops).toBeGreaterThan(0);
      expect(r.stateBytes).toBe(r.stateBreakdown.reduce((s, b) => s + b.bytes, 0));
      expect(r.algorithmBytes).toBe(r.algorithmBreakdown.reduce((s, b) => s + b.bytes, 0));
      expect(r.adapter).toMatch(/CPU/);
      expect(r.curve).toHaveLength(3);
      expect(r.reference).toBe(r.id.endsWith('@shuffled'));
    }
    // Well-separated clusters: the order-invariant methods get everything right.
    for (const id of ['ncm', 'knn:k=1', 'knn:k=3', 'slda'])
      expect(sb.rows.find((r) => r.id === id)!.accuracy, id).toBe(1);
    // kNN keeps every example: state = 36 x (16 + 1) bytes.
    expect(sb.rows.find((r) => r.id === 'knn:k=1')!.stateBytes).toBe(36 * 17);
  });

  it('merging another run adds its rows, replaces rows of the same id, and refuses another dataset', () => {
    const other = {
      ...sb,
      command: 'other',
      wallSeconds: 2,
      rows: [
        { ...sb.rows[0], accuracy: 0.5 },
        { ...sb.rows[1], id: 'extra' },
      ],
    };
    const m = mergeScoreboards(sb, [other], 'merge');
    expect(m.rows.length).toBe(sb.rows.length + 1);
    expect(m.rows.find((r) => r.id === sb.rows[0].id)!.accuracy).toBe(0.5);
    expect(m.rows.some((r) => r.id === 'extra')).toBe(true);
    expect(m.wallSeconds).toBe(sb.wallSeconds + 2);
    expect(sb.rows.find((r) => r.id === sb.rows[0].id)!.accuracy).not.toBe(0.5); // inputs untouched
    expect(() => mergeScoreboards(sb, [{ ...other, trainName: 'x' }], 'merge')).toThrow(/cannot join/);
  });

  it('--merge (mergeRerun) replaces redone rows, keeps the others, and a CPU-only rerun keeps the GPU adapter', () => {
    const old = {
      ...sb,
      command: 'first',
      wallSeconds: 5,
      curvePerClass: 2,
      gpuAdapter: 'some GPU',
      rows: [
        { ...sb.rows[0], accuracy: 0.25 },
        { ...sb.rows[1], id: 'gpu-row' },
      ],
    };
    const fresh = { ...sb, command: 'second', wallSeconds: 1, curvePerClass: 0, gpuAdapter: null, rows: [sb.rows[0]] };
    const m = mergeRerun(old, fresh);
    expect(m.rows.map((r) => r.id)).toEqual(['gpu-row', sb.rows[0].id]);
    expect(m.rows[1].accuracy).toBe(sb.rows[0].accuracy);
    expect(m).toMatchObject({
      command: 'first; then second',
      wallSeconds: 6,
      curvePerClass: 2,
      gpuAdapter: 'some GPU',
    });
    expect(mergeRerun(old, { ...fresh, gpuAdapter: 'other GPU' }).gpuAdapter).toBe('other GPU');
    expect(mergeScoreboards({ ...fresh, gpuAdapter: null }, [old], 'merge').gpuAdapter).toBe('some GPU');
  });

  it('renders a table, Markdown and SVG with every method on them', () => {
    const table = consoleTable(sb.rows);
    const md = markdownReport(sb);
    for (const col of COLUMNS) {
      expect(table).toContain(col);
      expect(md).toContain(col);
    }
    for (const r of sb.rows) {
      expect(table).toContain(r.id);
      expect(md).toContain(`| ${r.id}`);
    }
    expect(md).toContain('NOT the benchmark');
    const svg = accuracyVsStateSvg(sb.rows, 't');
    expect(svg.match(/<circle /g)).toHaveLength(sb.rows.length);
    // x grows with log(state bytes): kNN (612 B) right of NCM (208 B).
    const cx = (id: string) =>
      Number(new RegExp(`<circle cx="([0-9.]+)"[^>]*><title>${id.replace(/[:@]/g, '.')}:`).exec(svg)![1]);
    expect(cx('knn:k=1')).toBeGreaterThan(cx('ncm'));
    expect(forgettingSvg(sb.rows, 't').match(/<polyline /g)).toHaveLength(sb.rows.length);
  });
});

describe('Pareto front of the baselines', () => {
  // Only the fields the front and the chart read.
  const row = (id: string, stateBytes: number, accuracy: number): ScoreRow =>
    ({ id, method: id.split(':')[0], reference: false, stateBytes, accuracy, curve: [] }) as unknown as ScoreRow;
  const rows = [
    row('ncm', 31_400, 0.82),
    row('kmeans:k=1', 31_400, 0.82), // ties ncm on both axes: both on the front
    row('kmeans:k=5', 157_000, 0.9),
    row('mlp', 318_000, 0.1), // more state, less accuracy than kmeans:k=5: dominated
    row('slda', 2_500_000, 0.88), // dominated by kmeans:k=5 (less state, more accuracy)
    row('knn:k=1', 47_100_000, 0.97),
    { ...row('vsml', 5_300, 0.99), method: 'vsml' }, // not a baseline: never on the front, dominates nothing
    { ...row('mlp@shuffled', 318_000, 0.96), reference: true }, // a reference: never on the front
  ];
  it('keeps exactly the baselines that no other baseline beats on both axes, ordered by state', () => {
    expect(paretoFront(rows).map((r) => r.id)).toEqual(['ncm', 'kmeans:k=1', 'kmeans:k=5', 'knn:k=1']);
  });
  it('is drawn as a staircase through the front points, ending at the right edge', () => {
    const svg = accuracyVsStateSvg(rows, 't');
    const pts = /<polyline class="pareto" points="([^"]+)"/
      .exec(svg)![1]
      .split(' ')
      .map((p) => p.split(',').map(Number));
    // 4 front points, a corner before each but the first, and the edge: 4 + 3 + 1.
    expect(pts).toHaveLength(8);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i][0]).toBeGreaterThanOrEqual(pts[i - 1][0]); // never goes left
      expect(pts[i][1]).toBeLessThanOrEqual(pts[i - 1][1]); // never goes down (svg y grows downward)
      expect(pts[i][0] === pts[i - 1][0] || pts[i][1] === pts[i - 1][1]).toBe(true); // axis-parallel steps
    }
  });
});

describe('formatting', () => {
  it('FLOPs and bytes', () => {
    expect(fmtFlops(0)).toBe('0');
    expect(fmtFlops(4.7e11)).toBe('4.70e11');
    expect(fmtBytes(9999)).toBe('9999 B');
    expect(fmtBytes(47_100_000)).toBe('47.1 MB');
    expect(fmtBytes(1_003_840)).toBe('1.0 MB');
  });
});
