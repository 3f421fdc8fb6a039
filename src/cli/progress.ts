/** Terminal progress for training: one rewritten line on a TTY, periodic log lines otherwise. */
import type { GenerationMetrics } from '../meta/trainer';

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return '?';
  if (x >= 1e6) return `${(x / 1e6).toFixed(1)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
}

/**
 * A status provider appended to every progress line and redrawn every second while set (the
 * distributed coordinator shows workers alive and slices outstanding with it).
 */
let statusProvider: (() => string) | undefined;
export function setProgressStatus(fn: (() => string) | undefined): void {
  statusProvider = fn;
}

const f3 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '  nan' : x.toFixed(3));

export interface ProgressOptions {
  total: number;
  /** Generation the session started at (resume), for the ETA. */
  startGeneration: number;
  stream?: NodeJS.WriteStream;
  /** Non-TTY: print a line at most this often (ms). */
  logEveryMs?: number;
  quiet?: boolean;
}

export class ProgressBar {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private readonly started = performance.now();
  private lastLog = 0;
  private drawn = false;
  private lastText = '';
  private lastStatus = '';
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    if (statusProvider && !opts.quiet) {
      this.timer = setInterval(() => this.refresh(), 1000);
      this.timer.unref?.();
    }
  }

  private status(): string {
    return statusProvider ? ` | ${statusProvider()}` : '';
  }

  /** Redraw the last line with a fresh status (TTY), or log the status when it changed (at most every logEveryMs). */
  private refresh(): void {
    if (!statusProvider) return;
    const status = this.status();
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${this.lastText || `gen ${this.opts.startGeneration}/${this.opts.total}`}${status}`);
      this.drawn = true;
    } else if (status !== this.lastStatus && performance.now() - this.lastLog >= (this.opts.logEveryMs ?? 10_000)) {
      this.stream.write(`status:${status.slice(2)}\n`);
      this.lastLog = performance.now();
      this.lastStatus = status;
    }
  }

  line(m: GenerationMetrics): string {
    const done = m.generation + 1;
    const { total, startGeneration } = this.opts;
    const width = 20;
    const filled = Math.round((done / total) * width);
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
    const perGen = (performance.now() - this.started) / Math.max(1, done - startGeneration);
    const eta = perGen * (total - done);
    const centre = m.centre ? ` ${m.centre.role} ${f3(m.centre.fitness)}` : '';
    const failed = m.fitness.nonFinite ? ` failed ${m.fitness.nonFinite}` : '';
    return (
      `gen ${String(done).padStart(String(total).length)}/${total} [${bar}] ` +
      `fitness best ${f3(m.fitness.best)} mean ${f3(m.fitness.mean)}${centre}${failed} | ` +
      `acc ${f3(m.queryAccuracy.mean)} | ${formatRate(m.stepsPerSecond)} steps/s | ${(m.timeMs.total / 1000).toFixed(2)} s/gen | ETA ${formatDuration(eta)}`
    );
  }

  update(m: GenerationMetrics): void {
    if (this.opts.quiet) return;
    this.lastText = this.line(m);
    const text = this.lastText + this.status();
    if (this.tty) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.drawn = true;
    } else {
      const t = performance.now();
      const last = m.generation + 1 === this.opts.total;
      if (last || t - this.lastLog >= (this.opts.logEveryMs ?? 10_000) || this.lastLog === 0) {
        this.stream.write(`${text}\n`);
        this.lastLog = t;
      }
    }
  }

  /** Print a message without garbling the bar. */
  log(message: string): void {
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${message}\n`);
    this.drawn = false;
  }

  end(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
