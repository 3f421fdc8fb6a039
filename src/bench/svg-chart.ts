/**
 * The scoreboard's SVG charts: accuracy against learned-state bytes (log x),
 * and the forgetting curves. Plain strings, so they render on GitHub and in the browser alike.
 */
import type { ScoreRow } from './scoreboard';
import { fmtBytes } from './scoreboard';
import { PALETTE, esc } from '../chart/svg';

/** Rows that are baselines: benchmark rows (not shuffled references) of any method but the VSML learner. */
export const isBaseline = (r: ScoreRow): boolean => !r.reference && r.method !== 'vsml' && r.method !== 'vsml-hidden';

/**
 * The Pareto front of the baselines on (learned state, accuracy): every baseline row that no other
 * baseline beats on both axes at once (no more state and at least the accuracy, one of them
 * strictly), ordered by state. Along it, more state buys more accuracy.
 */
export function paretoFront(rows: ScoreRow[]): ScoreRow[] {
  const base = rows.filter(isBaseline);
  const dominated = (r: ScoreRow) =>
    base.some(
      (o) =>
        o !== r &&
        o.stateBytes <= r.stateBytes &&
        o.accuracy >= r.accuracy &&
        (o.stateBytes < r.stateBytes || o.accuracy > r.accuracy),
    );
  // Exact duplicates on both axes (e.g. kmeans:k=1 and ncm) both stay: neither beats the other.
  return base.filter((r) => !dominated(r)).sort((a, b) => a.stateBytes - b.stateBytes || a.accuracy - b.accuracy);
}

export function accuracyVsStateSvg(rows: ScoreRow[], title: string): string {
  // Tall, because most rows crowd into the top fifth (80-100%) and every label must stay readable.
  const W = 860;
  const H = 760;
  const m = { l: 64, r: 24, t: 40, b: 56 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const bytes = rows.map((r) => Math.max(1, r.stateBytes));
  const lo = Math.floor(Math.log10(Math.min(...bytes, 1e3)));
  const hi = Math.ceil(Math.log10(Math.max(...bytes, 1e4)));
  const x = (b: number) => m.l + ((Math.log10(Math.max(1, b)) - lo) / (hi - lo)) * pw;
  const y = (a: number) => m.t + (1 - a) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (let e = lo; e <= hi; e++) {
    const px = x(10 ** e);
    parts.push(`<line x1="${px}" y1="${m.t}" x2="${px}" y2="${m.t + ph}" stroke="#ddd"/>`);
    parts.push(`<text x="${px}" y="${m.t + ph + 16}" text-anchor="middle">${esc(fmtBytes(10 ** e))}</text>`);
  }
  for (let a = 0; a <= 10; a++) {
    const py = y(a / 10);
    parts.push(`<line x1="${m.l}" y1="${py}" x2="${m.l + pw}" y2="${py}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${py + 4}" text-anchor="end">${a * 10}%</text>`);
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">learned state after the stream (bytes, log scale)</text>`,
  );
  parts.push(`<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">test accuracy</text>`);
  // The baselines' Pareto front as a staircase: from each front point right to the next one's state,
  // then up; after the last, right to the edge. Everything below and right of it is beaten by a baseline.
  const front = paretoFront(rows);
  if (front.length > 0) {
    const pts: string[] = [];
    front.forEach((r, i) => {
      const px = x(r.stateBytes);
      const py = y(r.accuracy);
      if (i > 0) pts.push(`${px.toFixed(1)},${y(front[i - 1].accuracy).toFixed(1)}`);
      pts.push(`${px.toFixed(1)},${py.toFixed(1)}`);
    });
    pts.push(`${(m.l + pw).toFixed(1)},${y(front[front.length - 1].accuracy).toFixed(1)}`);
    parts.push(
      `<polyline class="pareto" points="${pts.join(' ')}" fill="none" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`,
    );
  }
  // Labels: try a few positions around each point and keep the first that overlaps no label or
  // point placed so far (text width estimated at 6.6 px per character).
  const boxes: { x0: number; y0: number; x1: number; y1: number }[] = rows.map((r) => {
    const px = x(r.stateBytes);
    const py = y(r.accuracy);
    return { x0: px - 6, y0: py - 6, x1: px + 6, y1: py + 6 };
  });
  const hits = (b: { x0: number; y0: number; x1: number; y1: number }) =>
    boxes.filter((o) => b.x0 < o.x1 && o.x0 < b.x1 && b.y0 < o.y1 && o.y0 < b.y1).length;
  rows.forEach((r, i) => {
    const px = x(r.stateBytes);
    const py = y(r.accuracy);
    const col = PALETTE[i % PALETTE.length];
    const fill = r.reference ? 'white' : col;
    parts.push(
      `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="6" fill="${fill}" stroke="${col}" stroke-width="2"><title>${esc(`${r.id}: ${(100 * r.accuracy).toFixed(2)}%, ${fmtBytes(r.stateBytes)}`)}</title></circle>`,
    );
  });
  // Benchmark rows get the first pick of label positions, shuffled references the leftovers.
  const labelOrder = rows
    .map((r, i) => ({ r, i }))
    .sort((a, b) => Number(a.r.reference) - Number(b.r.reference) || a.i - b.i);
  labelOrder.forEach(({ r, i }) => {
    const px = x(r.stateBytes);
    const py = y(r.accuracy);
    const col = PALETTE[i % PALETTE.length];
    const label = r.reference ? `${r.id} (ref.)` : r.id; // the id already says @shuffled
    const w = label.length * 6.6;
    const candidates: [number, number][] = [];
    for (const dy of [0, -14, 14, -28, 28, -42, 42, -56, 56, -70, 70, -84, 84]) candidates.push([9, dy], [-9 - w, dy]);
    // The first position that overlaps nothing; if every one does, the one that overlaps least.
    let chosen = candidates[0];
    let fewest = Infinity;
    for (const [dx, dy] of candidates) {
      const b = { x0: px + dx, y0: py + dy - 9, x1: px + dx + w, y1: py + dy + 4 };
      if (b.x0 < m.l || b.x1 > m.l + pw || b.y0 < m.t || b.y1 > m.t + ph) continue;
      const n = hits(b);
      if (n < fewest) {
        fewest = n;
        chosen = [dx, dy];
        if (n === 0) break;
      }
    }
    const [dx, dy] = chosen;
    boxes.push({ x0: px + dx, y0: py + dy - 9, x1: px + dx + w, y1: py + dy + 4 });
    if (dy !== 0)
      parts.push(
        `<line x1="${px.toFixed(1)}" y1="${py.toFixed(1)}" x2="${(px + dx + (dx < 0 ? w : 0)).toFixed(1)}" y2="${(py + dy - 3).toFixed(1)}" stroke="${col}" stroke-width="0.6"/>`,
      );
    parts.push(`<text x="${(px + dx).toFixed(1)}" y="${(py + dy + 1).toFixed(1)}" fill="${col}">${esc(label)}</text>`);
  });
  parts.push(
    `<text x="${m.l + 6}" y="${m.t + ph - 22}" fill="#555">dashed: Pareto front of the baselines (no baseline has more accuracy with less state)</text>`,
  );
  parts.push(
    `<text x="${m.l + 6}" y="${m.t + ph - 8}" fill="#555">filled: OrderedMNIST (sorted stream); hollow: shuffled reference, not the benchmark</text>`,
  );
  parts.push('</svg>');
  return parts.join('\n');
}

export function forgettingSvg(allRows: ScoreRow[], title: string): string {
  const rows = allRows.filter((r) => r.curve.length > 0);
  const W = 760;
  const H = 440;
  const m = { l: 56, r: 220, t: 40, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const n = Math.max(1, ...rows.map((r) => r.curve.length));
  const x = (i: number) => m.l + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
  const y = (a: number) => m.t + (1 - a) * ph;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  for (let a = 0; a <= 10; a++) {
    parts.push(`<line x1="${m.l}" y1="${y(a / 10)}" x2="${m.l + pw}" y2="${y(a / 10)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${y(a / 10) + 4}" text-anchor="end">${a * 10}%</text>`);
  }
  for (let i = 0; i < n; i++) parts.push(`<text x="${x(i)}" y="${m.t + ph + 16}" text-anchor="middle">${i + 1}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(
    `<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">checkpoint: c-th class boundary (sorted stream) or c tenths of the stream (shuffled)</text>`,
  );
  rows.forEach((r, i) => {
    const col = PALETTE[i % PALETTE.length];
    const pts = r.curve
      .map((p, k) => `${x(k).toFixed(1)},${y(Number.isFinite(p.accuracy) ? p.accuracy : 0).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${col}" stroke-width="2"${r.reference ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
    parts.push(
      `<text x="${m.l + pw + 10}" y="${m.t + 14 + i * 16}" fill="${col}">${esc(r.reference ? `${r.id} (shuffled ref.)` : r.id)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
