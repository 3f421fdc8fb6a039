import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findSystemIcds, parsePreference, planAdapterAttempts } from '../src/gpu/node-adapter';

const SW = '/usr/lib/chromium/vk_swiftshader_icd.json';

describe('adapter selection policy', () => {
  it('auto tries the hardware drivers first, then SwiftShader when present', () => {
    expect(planAdapterAttempts({ preference: 'auto', userIcd: undefined, swiftshaderIcd: SW })).toEqual([
      { icd: undefined, source: 'hardware' },
      { icd: SW, source: 'swiftshader' },
    ]);
    expect(planAdapterAttempts({ preference: 'auto', userIcd: undefined, swiftshaderIcd: undefined })).toEqual([
      { icd: undefined, source: 'hardware' },
    ]);
  });

  it('honours an explicit preference and a user-set VK_ICD_FILENAMES', () => {
    expect(planAdapterAttempts({ preference: 'hardware', userIcd: undefined, swiftshaderIcd: SW })).toEqual([
      { icd: undefined, source: 'hardware' },
    ]);
    expect(planAdapterAttempts({ preference: 'swiftshader', userIcd: undefined, swiftshaderIcd: SW })).toEqual([
      { icd: SW, source: 'swiftshader' },
    ]);
    expect(planAdapterAttempts({ preference: 'swiftshader', userIcd: undefined, swiftshaderIcd: undefined })).toEqual(
      [],
    );
    expect(planAdapterAttempts({ preference: 'auto', userIcd: '/x/icd.json', swiftshaderIcd: SW })).toEqual([
      { icd: '/x/icd.json', source: 'hardware' },
    ]);
  });

  it('with the system manifests known: hardware ones only, then lavapipe, then SwiftShader; no hardware manifest, no hardware attempt', () => {
    const LVP = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
    const NV = '/usr/share/vulkan/icd.d/nvidia_icd.json';
    const RAD = '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json';
    expect(
      planAdapterAttempts({
        preference: 'auto',
        userIcd: undefined,
        swiftshaderIcd: SW,
        system: { hardware: [NV, RAD], lavapipe: LVP },
      }),
    ).toEqual([
      { icd: `${NV}:${RAD}`, source: 'hardware' },
      { icd: LVP, source: 'lavapipe' },
      { icd: SW, source: 'swiftshader' },
    ]);
    expect(
      planAdapterAttempts({
        preference: 'auto',
        userIcd: undefined,
        swiftshaderIcd: SW,
        system: { hardware: [], lavapipe: undefined },
      }),
    ).toEqual([{ icd: SW, source: 'swiftshader' }]);
    expect(
      planAdapterAttempts({
        preference: 'hardware',
        userIcd: undefined,
        swiftshaderIcd: SW,
        system: { hardware: [], lavapipe: LVP },
      }),
    ).toEqual([{ icd: undefined, source: 'hardware' }]);
    expect(
      planAdapterAttempts({
        preference: 'lavapipe',
        userIcd: undefined,
        swiftshaderIcd: SW,
        system: { hardware: [NV], lavapipe: LVP },
      }),
    ).toEqual([{ icd: LVP, source: 'lavapipe' }]);
  });

  it('finds manifests in the loader directories and tells lavapipe from hardware', () => {
    const dir = mkdtempSync(join(tmpdir(), 'icd-'));
    for (const f of ['nvidia_icd.json', 'lvp_icd.x86_64.json', 'README']) writeFileSync(join(dir, f), '{}');
    expect(findSystemIcds([dir, join(dir, 'missing')])).toEqual({
      hardware: [join(dir, 'nvidia_icd.json')],
      lavapipe: join(dir, 'lvp_icd.x86_64.json'),
    });
    rmSync(dir, { recursive: true });
  });

  it('parses VSML_ADAPTER and rejects unknown values', () => {
    expect(parsePreference(undefined)).toBe('auto');
    expect(parsePreference('SwiftShader')).toBe('swiftshader');
    expect(parsePreference('gpu')).toBe('hardware');
    expect(parsePreference('lavapipe')).toBe('lavapipe');
    expect(() => parsePreference('tpu')).toThrow(
      /VSML_ADAPTER='tpu' is not one of auto, hardware, lavapipe, swiftshader/,
    );
  });
});

/** Runs the adapter report in a fresh process (Dawn reads VK_ICD_FILENAMES once per instance). */
function report(env: Record<string, string | undefined>) {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './src/node/register-raw.mjs', 'src/cli/adapter-report.ts'],
    {
      env: { ...process.env, VK_ICD_FILENAMES: undefined, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('adapter selection on this machine (separate processes)', () => {
  it('auto picks an adapter and says which, including whether it is a fallback', () => {
    const r = report({ VSML_ADAPTER: 'auto' });
    expect(r.code, r.err).toBe(0);
    const line = r.out.split('\n').find((l) => l.startsWith('adapter: '));
    expect(line).toMatch(/adapter: .+, (hardware|software fallback), via node-dawn/);
    const json = JSON.parse(r.out.slice(0, r.out.lastIndexOf('}') + 1));
    expect(['hardware', 'swiftshader']).toContain(json.source);
    expect(json.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 << 20);
  });

  it('a forced SwiftShader adapter is reported as a software fallback', () => {
    const r = report({ VSML_ADAPTER: 'swiftshader' });
    expect(r.code, r.err).toBe(0);
    const json = JSON.parse(r.out.slice(0, r.out.lastIndexOf('}') + 1));
    expect(json.source).toBe('swiftshader');
    expect(json.isFallback).toBe(true);
    expect(json.vendor).toMatch(/google/i);
  });

  it('no adapter at all gives an error saying why and how to fix it', () => {
    const r = report({ VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Tried: Vulkan ICD \/nonexistent\/icd\.json/);
    expect(r.err).toMatch(/apt-get install chromium libvulkan1/);
  });
});
