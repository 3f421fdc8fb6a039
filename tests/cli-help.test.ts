/**
 * Every npm script that runs an entry script (src/cli) answers --help: exit 0, a usage line naming
 * the script, and nothing else happens (no files or directories appear or change in the repo, e.g.
 * device:bundle does not pack a bundle into a directory named --help; the benchmarks do not start).
 * Also: a bad option is exit 2 with the flag named. One child process per case, three at a time.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

/** Scripts that do not run an entry script, and why they are skipped. */
const NOT_ENTRY_SCRIPTS: Record<string, string> = {
  test: 'vitest, not an entry script',
  typecheck: 'tsc, not an entry script',
  dev: 'the Vite dev server',
  build: 'vite build',
  preview: 'vite preview (a server)',
  'check:layers': 'dependency-cruiser',
  lint: 'eslint',
  format: 'prettier',
  'format:check': 'prettier',
  screenshots: 'vitest (regenerates the README screenshots)',
};

const ENTRY = /^tsx (--import \S+ )*(src\/cli\/[\w-]+\.ts)$/;

interface Run {
  code: number | null;
  out: string;
}

/** The script's command run directly (npm adds nothing but its own process) with `args`. */
function runScript(name: string, args: string[]): Promise<Run> {
  const m = ENTRY.exec(pkg.scripts[name]);
  if (!m)
    throw new Error(`script ${name} (${pkg.scripts[name]}) is neither an entry script nor listed in NOT_ENTRY_SCRIPTS`);
  const argv = ['--import', 'tsx', ...pkg.scripts[name].split(' ').slice(1, -1), m[2], ...args];
  return new Promise((resolve) => {
    const p = spawn(process.execPath, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (code) => resolve({ code, out }));
  });
}

/** `f` over `xs`, at most `n` at a time (on 2 shared cores, a dozen tsx processes at once thrash). */
async function pool<T, R>(xs: T[], n: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(xs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, xs.length) }, async () => {
      while (next < xs.length) {
        const i = next++;
        out[i] = await f(xs[i]);
      }
    }),
  );
  return out;
}

const entryScripts = Object.keys(pkg.scripts).filter((s) => !(s in NOT_ENTRY_SCRIPTS));

const repoState = () => ({
  status: execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' }),
  root: readdirSync('.').sort().join('\n'),
});

describe('entry scripts', () => {
  it('every script is an entry script or skipped with a reason', () => {
    for (const s of entryScripts) expect(pkg.scripts[s], s).toMatch(ENTRY);
    expect(entryScripts.length).toBeGreaterThanOrEqual(12);
  });

  it('--help: exit 0, a usage line naming the script, no side effects', async () => {
    const before = repoState();
    // -h after other options too: help is handled before anything else.
    const cases: [string, string[]][] = [
      ...entryScripts.map((s): [string, string[]] => [s, ['--help']]),
      ['device:bundle', ['out-dir', '-h']],
      ['bench:speed', ['--configs', 'small', '-h']],
    ];
    const runs = await pool(cases, 3, async ([s, args]) => ({ s, r: await runScript(s, args) }));
    for (const { s, r } of runs) {
      expect(r.code, `${s} --help:\n${r.out}`).toBe(0);
      expect(r.out, s).toMatch(new RegExp(`^Usage: npm run ${s} --`, 'm'));
      expect(r.out, s).toMatch(/-h, --help/);
    }
    const after = repoState();
    expect(after.root).toBe(before.root);
    expect(after.status).toBe(before.status);
  }, 120_000);

  it('train --help lists every preset, from the preset table', async () => {
    const { PRESETS } = await import('../src/meta/train-config');
    const r = await runScript('train', ['--help']);
    const line = r.out.split('\n').find((l) => l.startsWith('  --preset'))!;
    for (const p of Object.keys(PRESETS)) expect(line).toContain(p);
    expect(line).toContain('ordered');
  }, 60_000);

  it('an unknown option or a bad value: exit 2, the flag named, nothing started', async () => {
    const before = repoState();
    const cases: [string, string, string[]][] = [
      ...entryScripts.map((s): [string, string, string[]] => [s, '--no-such-flag', ['--no-such-flag']]),
      ['bench:step', '--weights', ['--weights', 'fast']],
      ['bench:ordered', '--order', ['--order=random']],
      ['bench:ops', '--iters', ['--iters', 'many']],
      ['train', '--preset', ['--preset', 'huge']],
      ['train', '--generations', ['--generations']],
    ];
    const runs = await pool(cases, 3, async ([s, flag, args]) => ({ s, flag, r: await runScript(s, args) }));
    for (const { s, flag, r } of runs) {
      expect(r.code, `${s} ${flag}:\n${r.out}`).toBe(2);
      expect(r.out, s).toContain(flag);
      expect(r.out, s).not.toMatch(/^\s+at /m);
    }
    expect(repoState()).toEqual(before);
  }, 120_000);
});
