/** Throttled progress lines on stderr for long scoreboard runs: phase, count, rate, ETA. */
import type { ProgressEvent } from './protocol';

export function progressPrinter(intervalMs = 5000, write: (s: string) => void = (s) => process.stderr.write(s)) {
  let last = 0;
  let phaseKey = '';
  let phaseStart = 0;
  return (method: string, p: ProgressEvent): void => {
    const t = performance.now();
    const key = `${method}/${p.phase}`;
    if (key !== phaseKey) {
      phaseKey = key;
      phaseStart = t;
    }
    const finished = p.done >= p.total;
    if (!finished && t - last < intervalMs) return;
    if (finished && p.phase === 'curve' && p.done !== p.total) return;
    last = t;
    const el = (t - phaseStart) / 1000;
    const rate = p.done / Math.max(el, 1e-3);
    const eta = p.done > 0 && !finished ? ` eta ${((p.total - p.done) / rate).toFixed(0)} s` : '';
    write(`[${new Date().toISOString().slice(11, 19)}] ${method}: ${p.phase} ${p.done}/${p.total} (${el.toFixed(0)} s${eta})\n`);
  };
}
