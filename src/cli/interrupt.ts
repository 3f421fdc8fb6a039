/**
 * The Ctrl-C handler of every long-running command: the first Ctrl-C asks the job to stop at its
 * next safe point (a generation or slice boundary, where it checkpoints); a second one exits at once.
 *
 * A terminal's Ctrl-C sends SIGINT to the whole process group: under `npm run`, npm, tsx's parent
 * process and this node each get it, and tsx relays it once more to its child when the child does
 * not acknowledge it within 30 ms (a busy event loop). Those copies arrive within moments of the
 * first, so SIGINTs within `graceMs` of the first count as the same Ctrl-C; only a later one is a
 * second Ctrl-C.
 */

export const INTERRUPT_GRACE_MS = 1000;

/** What a training run says (npm run train, train:browser, the distributed coordinator). */
export const TRAINING_CTRL_C = {
  message: 'Ctrl-C: stopping after this generation and writing a checkpoint (Ctrl-C again to abort)',
  abortMessage: 'second Ctrl-C: exiting now; the last checkpoint is intact',
} as const;

export interface InterruptOptions {
  /** Printed on the first Ctrl-C (stderr). */
  message: string;
  /** Printed on a second Ctrl-C, just before exiting with code 130. */
  abortMessage?: string;
  /** Called on the first Ctrl-C (e.g. to forward the stop to a browser page). */
  onStop?: () => void;
  /** Signals handled (default SIGINT). */
  signals?: NodeJS.Signals[];
  graceMs?: number;
  /** Injected in tests. */
  now?: () => number;
  exit?: (code: number) => void;
  log?: (s: string) => void;
  target?: Pick<NodeJS.Process, 'on' | 'off'>;
}

export interface Interrupt {
  /** True once Ctrl-C was pressed. */
  readonly stopRequested: boolean;
  /**
   * Remove the handlers (the default signal behaviour returns); after a Ctrl-C, only once its grace
   * window has passed, so that a copy of it arriving late does not kill the process.
   */
  dispose(): void;
}

export function onInterrupt(opts: InterruptOptions): Interrupt {
  const now = opts.now ?? (() => performance.now());
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const log = opts.log ?? ((s: string) => console.error(s));
  const target = opts.target ?? process;
  const signals = opts.signals ?? ['SIGINT'];
  const grace = opts.graceMs ?? INTERRUPT_GRACE_MS;
  let first: number | undefined;
  const handler = () => {
    const t = now();
    if (first === undefined) {
      first = t;
      log(`\n${opts.message}`);
      opts.onStop?.();
      return;
    }
    // The same Ctrl-C delivered again (process group, relaying parent): not a second one.
    if (t - first < grace) return;
    log(`\n${opts.abortMessage ?? 'second Ctrl-C: exiting now'}`);
    exit(130);
  };
  for (const s of signals) target.on(s, handler);
  let disposed = false;
  const remove = () => {
    for (const s of signals) target.off(s, handler);
  };
  return {
    get stopRequested() {
      return first !== undefined;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      // A job that stops within the grace window (a fast generation) would otherwise meet the
      // relayed copy of its Ctrl-C with the default handler, and die by SIGINT after a clean
      // stop: keep swallowing copies until the window closes (the timer does not hold the process).
      const rest = first === undefined ? 0 : grace - (now() - first);
      if (rest > 0) setTimeout(remove, rest).unref?.();
      else remove();
    },
  };
}
