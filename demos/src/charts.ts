/**
 * Small dependency-free SVG charts for the live pages: a multi-series line chart (fitness and
 * throughput per generation) and a bar chart (per-class accuracy). They redraw from plain arrays,
 * skip non-finite points, and mark themselves with data-points so tests can see them update.
 *
 * The drawing is as wide (in SVG units) as its box is in CSS pixels and redraws when the box
 * resizes, so a 12-unit label is 12 px on a phone as on a desktop (a fixed viewBox scaled down to
 * a 390 px screen shrank labels to ~4 px). Each chart writes its latest values as text into a
 * caption under it: the text alternative for screen readers and for readers of a screenshot.
 */

import { niceStep } from '../../src/chart/svg';

const SVG_NS = 'http://www.w3.org/2000/svg';

export interface Series {
  name: string;
  color: string;
  points: { x: number; y: number }[];
}

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** Tick label; `step` (the tick spacing) sets the decimals so neighbouring ticks never print alike. */
export function formatTick(v: number, step = 0): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  if (step > 0 && step < 1) return v.toFixed(Math.min(8, Math.ceil(-Math.log10(step) - 1e-9)));
  if (a === 0 || a >= 1) return String(Math.round(v * 100) / 100);
  return v.toPrecision(2);
}

/** SVG + caption in `host`, redrawn at the host's width (in CSS px, at least 240). */
class ChartBase {
  readonly svg: SVGSVGElement;
  /** The text alternative: the chart's latest values in words. */
  readonly caption: HTMLElement;
  protected W: number;

  constructor(
    host: HTMLElement,
    title: string,
    private readonly fallbackWidth: number,
    protected readonly H: number,
    private readonly redraw: () => void,
  ) {
    this.W = this.hostWidth(host);
    const id = `${host.id || 'chart'}-caption`;
    this.svg = el('svg', {
      viewBox: `0 0 ${this.W} ${H}`,
      width: '100%',
      role: 'img',
      'aria-label': title,
      'aria-describedby': id,
      class: 'chart',
    });
    this.caption = Object.assign(document.createElement('p'), { id, className: 'chart-text' });
    this.caption.setAttribute('aria-live', 'polite');
    host.append(this.svg, this.caption);
    if (typeof ResizeObserver !== 'undefined') {
      new ResizeObserver(() => {
        const w = this.hostWidth(host);
        if (Math.abs(w - this.W) >= 1) {
          this.W = w;
          this.svg.setAttribute('viewBox', `0 0 ${w} ${H}`);
          this.redraw();
        }
      }).observe(host);
    }
  }

  private hostWidth(host: HTMLElement): number {
    const w = Math.floor(host.clientWidth);
    return w > 0 ? Math.max(240, w) : this.fallbackWidth;
  }
}

function fmtValue(v: number): string {
  if (!Number.isFinite(v)) return 'none';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

export class LineChart extends ChartBase {
  private series: Series[] = [];

  constructor(
    host: HTMLElement,
    private readonly opts: {
      title: string;
      xLabel: string;
      yLabel: string;
      width?: number;
      height?: number;
      yMin?: number;
      yMax?: number;
    },
  ) {
    super(host, opts.title, opts.width ?? 560, opts.height ?? 260, () => this.draw());
    this.draw();
  }

  setSeries(series: Series[]): void {
    this.series = series;
    this.draw();
  }

  /** "title: no data yet" or "title, latest at x = 12: best 0.61, mean 0.55". */
  private describe(): string {
    const last = this.series
      .map((s) => ({ s, p: [...s.points].reverse().find((q) => Number.isFinite(q.x) && Number.isFinite(q.y)) }))
      .filter((x) => x.p);
    if (last.length === 0) return `${this.opts.title}: no data yet.`;
    const x = Math.max(...last.map((l) => l.p!.x));
    return `${this.opts.title}, latest at ${this.opts.xLabel} ${fmtValue(x)}: ${last.map((l) => `${l.s.name} ${fmtValue(l.p!.y)}`).join(', ')} (${this.opts.yLabel}).`;
  }

  private draw(): void {
    const { svg, opts } = this;
    const W = this.W;
    const H = this.H;
    this.caption.textContent = this.describe();
    const m = { l: 52, r: 12, t: 26, b: 38 };
    // Legend beside the title when both fit (about 8 px per title character), else on a line below it.
    const legendWidth = this.series.reduce((w, s) => w + 26 + 7 * s.name.length, 0);
    const legendBelow = this.series.length > 0 && m.l + 8 * opts.title.length + legendWidth > W - m.r;
    if (legendBelow) m.t += 16;
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;
    svg.replaceChildren();
    const pts = this.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    svg.dataset.points = String(pts.length);
    const x0 = Math.min(0, ...pts.map((p) => p.x));
    let x1 = Math.max(1, ...pts.map((p) => p.x));
    let y0 = opts.yMin ?? Math.min(...pts.map((p) => p.y), Infinity);
    let y1 = opts.yMax ?? Math.max(...pts.map((p) => p.y), -Infinity);
    if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [0, 1];
    if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
    if (x1 - x0 < 1e-9) x1 = x0 + 1;
    const pad = (y1 - y0) * 0.05;
    if (opts.yMin === undefined) y0 -= pad;
    if (opts.yMax === undefined) y1 += pad;
    const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
    const Y = (y: number) => m.t + (1 - (y - y0) / (y1 - y0)) * ph;
    svg.appendChild(el('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }));
    svg.appendChild(el('text', { x: m.l, y: 17, 'font-size': 14, 'font-weight': 600, fill: '#222' }, opts.title));
    const ys = niceStep(y1 - y0, 5);
    for (let v = Math.ceil(y0 / ys) * ys; v <= y1 + 1e-12; v += ys) {
      svg.appendChild(el('line', { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v), stroke: '#eee' }));
      svg.appendChild(
        el('text', { x: m.l - 5, y: Y(v) + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' }, formatTick(v, ys)),
      );
    }
    const xs = Math.max(1, niceStep(x1 - x0, 6));
    for (let v = Math.ceil(x0 / xs) * xs; v <= x1 + 1e-12; v += xs) {
      svg.appendChild(
        el(
          'text',
          { x: X(v), y: m.t + ph + 15, 'text-anchor': 'middle', 'font-size': 11, fill: '#555' },
          formatTick(v, xs),
        ),
      );
    }
    svg.appendChild(el('rect', { x: m.l, y: m.t, width: pw, height: ph, fill: 'none', stroke: '#999' }));
    svg.appendChild(
      el('text', { x: m.l + pw / 2, y: H - 5, 'text-anchor': 'middle', 'font-size': 11, fill: '#333' }, opts.xLabel),
    );
    svg.appendChild(
      el(
        'text',
        {
          transform: `translate(12 ${m.t + ph / 2}) rotate(-90)`,
          'text-anchor': 'middle',
          'font-size': 11,
          fill: '#333',
        },
        opts.yLabel,
      ),
    );
    let legendX = W - m.r;
    for (const s of [...this.series].reverse()) {
      const t = el(
        'text',
        { x: legendX, y: legendBelow ? 34 : 17, 'text-anchor': 'end', 'font-size': 12, fill: s.color },
        `● ${s.name}`,
      );
      svg.appendChild(t);
      legendX -= 26 + 7 * s.name.length;
    }
    for (const s of this.series) {
      const good = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
      if (good.length === 0) continue;
      const d = good.map((p, i) => `${i ? 'L' : 'M'}${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join('');
      svg.appendChild(el('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
      if (good.length < 60)
        for (const p of good) svg.appendChild(el('circle', { cx: X(p.x), cy: Y(p.y), r: 2.5, fill: s.color }));
    }
  }
}

export class BarChart extends ChartBase {
  private last: { values: number[]; note: string; labels: string[] };

  constructor(
    host: HTMLElement,
    private readonly opts: { title: string; labels: string[]; width?: number; height?: number; color?: string },
  ) {
    super(host, opts.title, opts.width ?? 560, opts.height ?? 220, () =>
      this.set(this.last.values, this.last.note, this.last.labels),
    );
    this.last = { values: opts.labels.map(() => NaN), note: '', labels: opts.labels };
    this.set(this.last.values);
  }

  /** Values in [0, 1] (NaN: no data yet); `note` is shown under the title. */
  set(values: number[], note = '', labels = this.opts.labels): void {
    this.last = { values, note, labels };
    const { svg, opts } = this;
    const W = this.W;
    const H = this.H;
    const shown = values
      .map((v, i) => (Number.isFinite(v) ? `${labels[i] ?? i}: ${Math.round(v * 100)}%` : null))
      .filter((x) => x !== null);
    this.caption.textContent = `${opts.title}${note ? ` (${note})` : ''}: ${shown.length ? shown.join(', ') : 'no data yet'}.`;
    const m = { l: 40, r: 10, t: note ? 44 : 30, b: 24 };
    const pw = W - m.l - m.r;
    const ph = H - m.t - m.b;
    svg.replaceChildren();
    svg.dataset.values = values.map((v) => (Number.isFinite(v) ? v.toFixed(4) : 'nan')).join(',');
    svg.appendChild(el('rect', { x: 0, y: 0, width: W, height: H, fill: '#fff' }));
    svg.appendChild(el('text', { x: m.l, y: 17, 'font-size': 14, 'font-weight': 600, fill: '#222' }, opts.title));
    if (note) svg.appendChild(el('text', { x: m.l, y: 33, 'font-size': 12, fill: '#555' }, note));
    for (let a = 0; a <= 4; a++) {
      const y = m.t + (1 - a / 4) * ph;
      svg.appendChild(el('line', { x1: m.l, x2: m.l + pw, y1: y, y2: y, stroke: '#eee' }));
      svg.appendChild(
        el('text', { x: m.l - 4, y: y + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#555' }, `${a * 25}%`),
      );
    }
    const n = Math.max(1, values.length);
    const bw = pw / n;
    values.forEach((v, i) => {
      const x = m.l + i * bw;
      if (Number.isFinite(v)) {
        const h = Math.max(0, Math.min(1, v)) * ph;
        svg.appendChild(
          el('rect', { x: x + bw * 0.15, y: m.t + ph - h, width: bw * 0.7, height: h, fill: opts.color ?? '#3b7dd8' }),
        );
        // Inside the bar when it is tall, above it otherwise.
        const ty = h > 16 ? m.t + ph - h + 13 : m.t + ph - h - 3;
        svg.appendChild(
          el(
            'text',
            { x: x + bw / 2, y: ty, 'text-anchor': 'middle', 'font-size': 11, fill: h > 16 ? '#fff' : '#333' },
            `${Math.round(v * 100)}%`,
          ),
        );
      }
      svg.appendChild(
        el(
          'text',
          { x: x + bw / 2, y: H - 8, 'text-anchor': 'middle', 'font-size': 11, fill: '#333' },
          labels[i] ?? String(i),
        ),
      );
    });
    svg.appendChild(el('rect', { x: m.l, y: m.t, width: pw, height: ph, fill: 'none', stroke: '#999' }));
  }
}
