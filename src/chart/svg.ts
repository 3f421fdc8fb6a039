/**
 * Dependency-free SVG primitives shared by every chart of the project (scoreboard, training
 * curves, speed report, browser pages): plain strings that render on GitHub and in the browser.
 */

export const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const PALETTE = [
  '#1f77b4',
  '#d62728',
  '#2ca02c',
  '#9467bd',
  '#ff7f0e',
  '#8c564b',
  '#e377c2',
  '#17becf',
  '#bcbd22',
  '#7f7f7f',
];

/** A "nice" tick step for a span: 1, 2 or 5 times a power of ten, about `ticks` per span. */
export function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const r = raw / mag;
  return (r <= 1 ? 1 : r <= 2 ? 2 : r <= 5 ? 5 : 10) * mag;
}

export interface LineSeries {
  name: string;
  /** [x, y] points; non-finite y values break the line. */
  points: [number, number][];
  color?: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  /** Fixed y range (default: the data's, padded 5%). */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

/** A plain multi-series line chart (linear axes) with a legend on the right. */
export function lineChartSvg(o: LineChartOptions): string {
  const W = o.width ?? 760;
  const H = o.height ?? 360;
  const m = { l: 64, r: 230, t: 36, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs = o.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = o.series.flatMap((s) => s.points.map((p) => p[1])).filter(Number.isFinite);
  const x0 = xs.length ? Math.min(...xs) : 0;
  const x1 = xs.length ? Math.max(...xs) : 1;
  let [y0, y1] = o.yRange ?? [ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1];
  if (!o.yRange) {
    const pad = (y1 - y0 || Math.abs(y0) || 1) * 0.05;
    y0 -= pad;
    y1 += pad;
  }
  const x = (v: number) => m.l + (x1 === x0 ? pw / 2 : ((v - x0) / (x1 - x0)) * pw);
  const y = (v: number) => m.t + (1 - (v - y0) / (y1 - y0 || 1)) * ph;
  const tick = (lo: number, hi: number) => {
    const step = niceStep(hi - lo || 6, 6); // a zero span (one generation) gets unit steps
    const out: number[] = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
    return out;
  };
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(o.title)}</text>`);
  for (const v of tick(y0, y1)) {
    parts.push(`<line x1="${m.l}" y1="${y(v).toFixed(1)}" x2="${m.l + pw}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`);
  }
  for (const v of tick(x0, x1))
    parts.push(`<text x="${x(v).toFixed(1)}" y="${m.t + ph + 16}" text-anchor="middle">${v}</text>`);
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`,
  );
  o.series.forEach((s, i) => {
    const col = s.color ?? PALETTE[i % PALETTE.length];
    // Split at non-finite values so a NaN generation shows as a gap, not a dive to the axis.
    let run: string[] = [];
    const flush = () => {
      if (run.length)
        parts.push(
          `<polyline points="${run.join(' ')}" fill="none" stroke="${col}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
        );
      run = [];
    };
    for (const [px, py] of s.points) {
      if (Number.isFinite(py)) run.push(`${x(px).toFixed(1)},${y(py).toFixed(1)}`);
      else flush();
    }
    flush();
    parts.push(
      `<line x1="${m.l + pw + 10}" y1="${m.t + 10 + i * 16}" x2="${m.l + pw + 28}" y2="${m.t + 10 + i * 16}" stroke="${col}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
    parts.push(`<text x="${m.l + pw + 32}" y="${m.t + 14 + i * 16}" fill="${col}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
