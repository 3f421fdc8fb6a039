/**
 * `npm run device:bundle` (src/cli/device-bundle.ts): the packed bench:speed runs on its own, with
 * the packed Node binary and no node_modules, here on SwiftShader, and writes its report. What a
 * GPU machine would run (docs/perf.md, "On a GPU machine"), minus the GPU.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'vsml-device-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('device:bundle', () => {
  it('packs bench:speed under the carry limit and the pack runs without node_modules', () => {
    const bundle = join(dir, 'device');
    const b = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', './src/node/register-raw.mjs', 'src/cli/device-bundle.ts', bundle],
      { encoding: 'utf8', timeout: 240_000 },
    );
    expect(b.status, `${b.stdout}\n${b.stderr}`).toBe(0);
    const du = spawnSync('du', ['-sb', bundle], { encoding: 'utf8' });
    expect(Number(du.stdout.split('\t')[0])).toBeLessThan(64 * 2 ** 20);
    expect(statSync(join(bundle, 'run.sh')).mode & 0o111).not.toBe(0);

    // A clean environment: only the system's PATH, the SwiftShader ICD, and a cwd outside the repo.
    const out = join(dir, 'report');
    const r = spawnSync(
      'sh',
      [
        join(bundle, 'run.sh'),
        '--configs',
        'small',
        '--learners',
        '1',
        '--steps',
        '4',
        '--repeats',
        '1',
        '--no-tfjs',
        '--generations',
        'none',
        '--out',
        out,
      ],
      {
        cwd: dir,
        encoding: 'utf8',
        timeout: 240_000,
        env: { PATH: '/usr/bin:/bin', HOME: dir, VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json' },
      },
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(existsSync(join(bundle, 'bin', 'node'))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'speed.json'), 'utf8'));
    expect(report.adapter).toMatch(/swiftshader/i);
    expect(report.rows).toHaveLength(1);
    expect(report.rows[0].config).toBe('small');
    expect(report.rows[0].learnEpisodeStepsPerSecond).toBeGreaterThan(0);
  });
});
