/** Throttled progress lines on stderr for long scoreboard runs: phase, count, elapsed, ETA. */
import type { ProgressEvent } from './ordered-mnist';

export function progressPrinter(intervalMs = 5000, write: (s: string) => void = (s) => process.stderr.write(s)) {
  let last = 0;
  // First time each (method, phase) was seen: learning alternates with curve probes, so rates
  // are taken over the whole phase so far (curve time included in the learning ETA).
  const started = new Map<string, number>();
  const lastDone = new Map<string, number>();
  return (method: string, p: ProgressEvent): void => {
    const t = performance.now();
    const key = `${method}/${p.phase}`;
    // A count that goes back (a replay restarting for the next probe point) starts a new run: time it on its own.
    if (!started.has(key) || p.done < (lastDone.get(key) ?? 0)) started.set(key, t);
    lastDone.set(key, p.done);
    const finished = p.done >= p.total;
    if (!finished && t - last < intervalMs) return;
    last = t;
    const el = (t - started.get(key)!) / 1000;
    const eta =
      p.done > 0 && !finished && p.phase !== 'curve'
        ? `, eta ${(((p.total - p.done) * el) / p.done).toFixed(0)} s`
        : '';
    const what =
      p.phase === 'curve' ? `forgetting-curve point ${p.done}/${p.total}` : `${p.phase} ${p.done}/${p.total}`;
    write(`[${new Date().toISOString().slice(11, 19)}] ${method}: ${what} (${el.toFixed(0)} s${eta})\n`);
  };
}
