import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LAVAPIPE_REJECTED,
  findSystemIcds,
  SOFTWARE_MAIN_NICE,
  hasGpuDeviceNode,
  mainThreadNicePolicy,
  parsePreference,
  planAdapterAttempts,
} from '../src/gpu/node-adapter';
import { classifyAdapterInfo, classifyIcdList, classifyIcdManifest } from '../src/gpu/driver-kind';

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

  it("without a GPU device node, auto skips the hardware manifests Mesa installs on CPU-only machines; 'hardware' still tries them", () => {
    const LVP = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
    const RAD = '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json';
    const system = { hardware: [RAD], lavapipe: LVP };
    const plan = (preference: 'auto' | 'hardware', gpuDeviceNode: boolean | undefined) =>
      planAdapterAttempts({ preference, userIcd: undefined, swiftshaderIcd: SW, system, gpuDeviceNode });
    expect(plan('auto', false)).toEqual([
      { icd: LVP, source: 'lavapipe' },
      { icd: SW, source: 'swiftshader' },
    ]);
    expect(plan('auto', true)[0]).toEqual({ icd: RAD, source: 'hardware' });
    expect(plan('auto', undefined)[0]).toEqual({ icd: RAD, source: 'hardware' });
    expect(plan('hardware', false)).toEqual([{ icd: RAD, source: 'hardware' }]);
  });

  it('GPU device nodes: DRM render or card nodes, NVIDIA, WSL; none on a CPU-only machine', () => {
    const fs = (tree: Record<string, string[]>) => (dir: string) => tree[dir] ?? [];
    expect(hasGpuDeviceNode(fs({ '/dev': ['null', 'nvidiactl', 'tty0'] }))).toBe(false);
    expect(hasGpuDeviceNode(fs({ '/dev/dri': ['by-path'] }))).toBe(false);
    expect(hasGpuDeviceNode(fs({ '/dev/dri': ['renderD128'] }))).toBe(true);
    expect(hasGpuDeviceNode(fs({ '/dev/dri': ['card0'] }))).toBe(true);
    expect(hasGpuDeviceNode(fs({ '/dev': ['nvidia0', 'nvidiactl'] }))).toBe(true);
    expect(hasGpuDeviceNode(fs({ '/dev': ['dxg'] }))).toBe(true);
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

  it("the main thread's nice value: 19 on the CPU adapters, untouched on hardware, VSML_MAIN_NICE overrides", () => {
    expect(SOFTWARE_MAIN_NICE).toBe(19);
    expect(mainThreadNicePolicy(undefined)('lavapipe')).toBe(19);
    expect(mainThreadNicePolicy('')('swiftshader')).toBe(19);
    expect(mainThreadNicePolicy(undefined)('hardware')).toBe(0);
    expect(mainThreadNicePolicy(undefined)('browser')).toBe(0);
    expect(mainThreadNicePolicy('0')('lavapipe')).toBe(0);
    expect(mainThreadNicePolicy(' 7 ')('hardware')).toBe(7);
    for (const bad of ['-1', '20', '2.5', 'high'])
      expect(() => mainThreadNicePolicy(bad)('lavapipe')).toThrow(/VSML_MAIN_NICE='.*' is not an integer from 0/);
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
    expect(['hardware', 'lavapipe', 'swiftshader']).toContain(json.source);
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

  it("a CPU adapter raises the main thread's nice value to 19 (VSML_MAIN_NICE=0 leaves it; a bad value is refused)", () => {
    const nice = (out: string) => {
      const m = /main thread nice: (-?\d+) -> (-?\d+)/.exec(out);
      expect(m, out).not.toBeNull();
      return [Number(m![1]), Number(m![2])];
    };
    const raised = report({ VSML_ADAPTER: 'swiftshader' });
    expect(raised.code, raised.err).toBe(0);
    const [before, after] = nice(raised.out);
    expect(after).toBe(Math.max(before, 19));
    const kept = report({ VSML_ADAPTER: 'swiftshader', VSML_MAIN_NICE: '0' });
    expect(kept.code, kept.err).toBe(0);
    const [b0, a0] = nice(kept.out);
    expect(a0).toBe(b0);
    const bad = report({ VSML_ADAPTER: 'swiftshader', VSML_MAIN_NICE: 'high' });
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/VSML_MAIN_NICE='high' is not an integer from 0/);
  });

  it('no adapter at all gives an error saying why and how to fix it', () => {
    // auto: under an explicit VSML_ADAPTER of another driver the plan would skip this manifest
    const r = report({ VSML_ADAPTER: 'auto', VK_ICD_FILENAMES: '/nonexistent/icd.json' });
    expect(r.code).not.toBe(0);
    expect(r.err).toMatch(/Tried: Vulkan ICD \/nonexistent\/icd\.json/);
    expect(r.err).toMatch(/apt-get install chromium libvulkan1/);
  });
});

describe('driver classification (fabricated inputs)', () => {
  it('names the driver from the adapter info strings', () => {
    expect(
      classifyAdapterInfo({
        vendor: 'mesa',
        architecture: 'software',
        device: 'llvmpipe-llvm-15-0-6-256-bits-',
        description: 'llvmpipe: Mesa 25.0.7-2~bpo12+1 (LLVM 15.0.6) 0.0.1',
      }),
    ).toBe('lavapipe');
    expect(
      classifyAdapterInfo({
        vendor: 'google',
        architecture: 'swiftshader',
        device: '',
        description: 'SwiftShader driver 5.0.0',
      }),
    ).toBe('swiftshader');
    expect(classifyAdapterInfo({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' })).toBe(
      'hardware',
    );
    expect(classifyAdapterInfo({})).toBe('hardware');
  });

  it('names the driver an ICD manifest loads, by its library first, else by the file name', () => {
    const manifest = (lib: string) => JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: lib } });
    expect(classifyIcdManifest('/opt/mesa/any.json', manifest('/opt/mesa/lib/libvulkan_lvp.so'))).toBe('lavapipe');
    expect(classifyIcdManifest('/x/renamed.json', manifest('./libvk_swiftshader.so'))).toBe('swiftshader');
    expect(classifyIcdManifest('/x/nvidia_icd.json', manifest('libGLX_nvidia.so.0'))).toBe('hardware');
    // unreadable or not JSON: the file name decides
    expect(classifyIcdManifest('/usr/share/vulkan/icd.d/lvp_icd.x86_64.json', undefined)).toBe('lavapipe');
    expect(classifyIcdManifest('/usr/lib/chromium/vk_swiftshader_icd.json', 'not json')).toBe('swiftshader');
    expect(classifyIcdManifest('/x/radeon_icd.x86_64.json', undefined)).toBe('hardware');
  });

  it('a VK_ICD_FILENAMES list is one software driver only when every manifest is that driver', () => {
    const texts: Record<string, string> = {
      '/a/lvp.json': JSON.stringify({ ICD: { library_path: 'libvulkan_lvp.so' } }),
      '/b/lvp2.json': JSON.stringify({ ICD: { library_path: '/opt/libvulkan_lvp.so' } }),
      '/c/nv.json': JSON.stringify({ ICD: { library_path: 'libGLX_nvidia.so.0' } }),
    };
    const read = (p: string) => texts[p];
    expect(classifyIcdList('/a/lvp.json', read)).toBe('lavapipe');
    expect(classifyIcdList('/a/lvp.json:/b/lvp2.json', read)).toBe('lavapipe');
    expect(classifyIcdList('/a/lvp.json:/c/nv.json', read)).toBe('hardware');
    expect(classifyIcdList('/usr/lib/chromium/vk_swiftshader_icd.json', read)).toBe('swiftshader');
  });

  it('a user VK_ICD_FILENAMES counts as its driver; a conflicting explicit preference wins', () => {
    const LVP = '/opt/mesa25/lvp_icd.json';
    expect(
      planAdapterAttempts({ preference: 'auto', userIcd: LVP, userIcdKind: 'lavapipe', swiftshaderIcd: SW }),
    ).toEqual([{ icd: LVP, source: 'lavapipe' }]);
    expect(
      planAdapterAttempts({ preference: 'lavapipe', userIcd: LVP, userIcdKind: 'lavapipe', swiftshaderIcd: SW }),
    ).toEqual([{ icd: LVP, source: 'lavapipe' }]);
    expect(
      planAdapterAttempts({ preference: 'swiftshader', userIcd: LVP, userIcdKind: 'lavapipe', swiftshaderIcd: SW }),
    ).toEqual([{ icd: SW, source: 'swiftshader' }]);
  });

  it('classifies system manifests by their library and puts a private lavapipe ($VSML_LAVAPIPE_ICD) first', () => {
    const dir = mkdtempSync(join(tmpdir(), 'icd-'));
    writeFileSync(join(dir, 'a_renamed.json'), JSON.stringify({ ICD: { library_path: 'libvulkan_lvp.so' } }));
    writeFileSync(join(dir, 'nvidia_icd.json'), JSON.stringify({ ICD: { library_path: 'libGLX_nvidia.so.0' } }));
    expect(findSystemIcds([dir])).toEqual({
      hardware: [join(dir, 'nvidia_icd.json')],
      lavapipe: join(dir, 'a_renamed.json'),
    });
    expect(findSystemIcds([dir], undefined, '/opt/mesa25/lvp_icd.json').lavapipe).toBe('/opt/mesa25/lvp_icd.json');
    rmSync(dir, { recursive: true });
  });
});

/**
 * A usable lavapipe on this machine: $VSML_LAVAPIPE_ICD, a lavapipe VK_ICD_FILENAMES, or a system
 * manifest. Which Mesa it is decides whether Dawn accepts it (25+), so both outcomes are checked.
 */
const LAVAPIPE_ICD =
  process.env.VSML_LAVAPIPE_ICD ||
  (process.env.VK_ICD_FILENAMES &&
  classifyIcdList(process.env.VK_ICD_FILENAMES, (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  }) === 'lavapipe'
    ? process.env.VK_ICD_FILENAMES
    : undefined) ||
  findSystemIcds().lavapipe;

describe('lavapipe on this machine (separate processes)', () => {
  it.skipIf(!LAVAPIPE_ICD)(
    `VSML_ADAPTER=lavapipe gives a lavapipe adapter named as such, or one plain rejection line (${LAVAPIPE_ICD ? 'manifest ' + LAVAPIPE_ICD : 'skipped: no lavapipe manifest; set VSML_LAVAPIPE_ICD'})`,
    () => {
      const r = report({ VSML_ADAPTER: 'lavapipe', VSML_LAVAPIPE_ICD: LAVAPIPE_ICD });
      if (r.code === 0) {
        const json = JSON.parse(r.out.slice(0, r.out.lastIndexOf('}') + 1));
        expect(json.source).toBe('lavapipe');
        expect(json.isFallback).toBe(true);
        expect(json.description).toMatch(/llvmpipe/);
      } else {
        // Dawn rejected an older Mesa: said once, plainly
        expect(r.err.split(LAVAPIPE_REJECTED).length - 1, r.err).toBe(1);
      }
    },
  );
});
