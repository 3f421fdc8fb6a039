/**
 * One Ctrl-C stops a training run after the current generation with a checkpoint of it, also when
 * SIGINT reaches every process of the group (npm, its shell, tsx, node) and copies of it arrive
 * moments apart; a genuinely later second Ctrl-C still exits at once (src/cli/interrupt.ts).
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { onInterrupt } from '../src/cli/interrupt';

const dir = mkdtempSync(join(tmpdir(), 'vsml-sigint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Ctrl-C handler', () => {
  it('copies within the grace window are one Ctrl-C; a later one exits 130', () => {
    const target = new EventEmitter();
    let t = 0;
    const exits: number[] = [];
    const logs: string[] = [];
    let stops = 0;
    const i = onInterrupt({
      message: 'stopping',
      target: target as unknown as NodeJS.Process,
      now: () => t,
      exit: (c) => exits.push(c),
      log: (s) => logs.push(s),
      onStop: () => stops++,
    });
    expect(i.stopRequested).toBe(false);
    target.emit('SIGINT');
    t = 40; // the same Ctrl-C relayed by tsx's parent
    target.emit('SIGINT');
    expect(i.stopRequested).toBe(true);
    expect([exits, stops, logs.length]).toEqual([[], 1, 1]);
    t = 2500; // a second Ctrl-C
    target.emit('SIGINT');
    expect(exits).toEqual([130]);
    expect(logs[1]).toMatch(/second Ctrl-C/);
    i.dispose();
    expect(target.listenerCount('SIGINT')).toBe(0);
  });

  it('a job that stops within the grace window still swallows the late copy (no death by SIGINT after a clean stop)', () => {
    vi.useFakeTimers();
    try {
      const target = new EventEmitter();
      let t = 0;
      const exits: number[] = [];
      const i = onInterrupt({
        message: 'stopping',
        target: target as unknown as NodeJS.Process,
        now: () => t,
        exit: (c) => exits.push(c),
        log: () => {},
        graceMs: 1000,
      });
      target.emit('SIGINT');
      t = 20;
      i.dispose(); // the job checkpointed and returned 20 ms after the Ctrl-C
      expect(target.listenerCount('SIGINT')).toBe(1);
      t = 50; // tsx's relayed copy
      target.emit('SIGINT');
      expect(exits).toEqual([]);
      vi.advanceTimersByTime(980);
      expect(target.listenerCount('SIGINT')).toBe(0); // the default behaviour is back
    } finally {
      vi.useRealTimers();
    }
  });
});

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
}

/**
 * A tiny training run in its own process group; SIGINT to the group (each of `delays` ms after the
 * first generation). `slow` lengthens each generation (~0.25 s on SwiftShader) so that copies a few
 * tens of ms apart reach the process while the generation still runs, as in a real run.
 */
function interruptedRun(
  command: string,
  args: string[],
  out: string,
  delays: number[],
  slow = false,
): Promise<Outcome> {
  const longer = slow
    ? ['--set', 'tasks.learnLength=300', '--set', 'tasks.maxLearnLength=300', '--set', 'tasks.queryLength=100']
    : [];
  const train = ['--preset', 'tiny', '--generations', '500', '--checkpoint-every', '0', ...longer, '--out', out];
  const p = spawn(command, [...args, ...train], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let sent = false;
  const onData = (d: Buffer) => {
    text += d;
    if (!sent && /gen +\d+\/500/.test(text)) {
      sent = true;
      for (const ms of delays) setTimeout(() => process.kill(-p.pid!, 'SIGINT'), ms);
    }
  };
  p.stdout.on('data', onData);
  p.stderr.on('data', onData);
  return new Promise((resolve) => p.on('close', (code, signal) => resolve({ code, signal, out: text })));
}

function expectCheckpointed(r: Outcome, out: string): void {
  expect(r.out).not.toMatch(/second Ctrl-C/);
  const stopped = /Stopped at generation (\d+) of 500/.exec(r.out);
  expect(stopped, r.out).not.toBeNull();
  const n = Number(stopped![1]);
  const printed = [...r.out.matchAll(/gen +(\d+)\/500/g)].map((m) => Number(m[1]));
  expect(n).toBeGreaterThanOrEqual(printed[printed.length - 1]);
  const ckpt = JSON.parse(readFileSync(join(out, 'checkpoint.json'), 'utf8')) as { generation: number };
  expect(ckpt.generation).toBe(n);
  expect(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(n);
}

describe('npm run train under Ctrl-C', () => {
  it('node: one SIGINT and a relayed copy 30 ms later stop cleanly (exit 0) with a checkpoint of the last generation', async () => {
    // tsx's parent relays a SIGINT its busy child has not acknowledged within 30 ms: the copy lands
    // mid-generation. The hand-written handler took it for a second Ctrl-C (exit 130, no checkpoint).
    const out = join(dir, 'node');
    const r = await interruptedRun(
      process.execPath,
      ['--import', 'tsx', '--import', './src/node/register-raw.mjs', 'src/cli/train.ts'],
      out,
      [1000, 1030],
      true,
    );
    expect(r.code, r.out).toBe(0);
    expectCheckpointed(r, out);
  }, 120_000);

  it('npm: SIGINT to the whole group (npm, sh, tsx, node) checkpoints the current generation', async () => {
    const out = join(dir, 'npm');
    const r = await interruptedRun('npm', ['run', '-s', 'train', '--'], out, [1000]);
    // node exits 0; the shell npm runs scripts in then re-raises the SIGINT it got, so npm ends by SIGINT.
    expect(r.code === 0 || r.signal === 'SIGINT' || r.code === 130, r.out).toBe(true);
    expectCheckpointed(r, out);
  }, 120_000);
});
