/**
 * Node only: WebGPU through Dawn (npm `webgpu`). Tries the hardware Vulkan drivers first and falls
 * back to SwiftShader from Debian's chromium package when no hardware adapter exists.
 */
import { existsSync } from 'node:fs';
import { GpuUnavailableError, NO_ADAPTER_HELP } from './errors';
import type { AdapterSource } from './context';

/** Where Debian's chromium ships SwiftShader's Vulkan ICD. */
export const SWIFTSHADER_ICD_PATHS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/** `VSML_ADAPTER` picks the adapter: auto (default), hardware or swiftshader. */
export type AdapterPreference = 'auto' | 'hardware' | 'swiftshader';

export interface AdapterPlanInput {
  preference: AdapterPreference;
  /** VK_ICD_FILENAMES as set by the user before we started, if any. */
  userIcd: string | undefined;
  /** First SwiftShader ICD found on disk, if any. */
  swiftshaderIcd: string | undefined;
}

/** One attempt: which ICD file to force (undefined: the system's drivers) and what it counts as. */
export interface AdapterAttempt {
  icd: string | undefined;
  source: AdapterSource;
}

/**
 * The ordered attempts for a preference. Pure, so the policy is testable without drivers.
 * A user-set VK_ICD_FILENAMES is respected as is (it may name hardware or software).
 */
export function planAdapterAttempts(input: AdapterPlanInput): AdapterAttempt[] {
  if (input.userIcd) return [{ icd: input.userIcd, source: 'hardware' }];
  const hw: AdapterAttempt = { icd: undefined, source: 'hardware' };
  const sw: AdapterAttempt[] = input.swiftshaderIcd ? [{ icd: input.swiftshaderIcd, source: 'swiftshader' }] : [];
  switch (input.preference) {
    case 'hardware':
      return [hw];
    case 'swiftshader':
      return sw;
    default:
      return [hw, ...sw];
  }
}

export function parsePreference(value: string | undefined): AdapterPreference {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'hardware' || v === 'gpu') return 'hardware';
  if (v === 'swiftshader' || v === 'cpu' || v === 'software') return 'swiftshader';
  throw new GpuUnavailableError(`VSML_ADAPTER='${value}' is not one of auto, hardware, swiftshader`);
}

/** The user's own VK_ICD_FILENAMES, read once before any fallback of ours overwrites it. */
const USER_ICD = process.env.VK_ICD_FILENAMES;

let dawnModule: typeof import('webgpu') | null = null;
const liveGpus = new Set<unknown>();

/** Dawn's `create()` must see VK_ICD_FILENAMES before it loads Vulkan; each attempt makes a new instance. */
export async function requestNodeAdapter(
  preference: AdapterPreference = parsePreference(process.env.VSML_ADAPTER),
): Promise<{ adapter: GPUAdapter; source: AdapterSource; release: () => void }> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = '/tmp'; // silences a loader warning
  if (!dawnModule) {
    try {
      dawnModule = await import('webgpu');
    } catch (e) {
      throw new GpuUnavailableError(`cannot load the 'webgpu' package (Dawn for Node): ${(e as Error).message}. Run npm ci.`);
    }
    Object.assign(globalThis, dawnModule.globals);
  }
  const attempts = planAdapterAttempts({
    preference,
    userIcd: USER_ICD || undefined,
    swiftshaderIcd: SWIFTSHADER_ICD_PATHS.find((p) => existsSync(p)),
  });
  const tried: string[] = [];
  for (const attempt of attempts) {
    if (attempt.icd) process.env.VK_ICD_FILENAMES = attempt.icd;
    else delete process.env.VK_ICD_FILENAMES;
    const gpu = dawnModule.create([]);
    liveGpus.add(gpu); // Dawn instances must outlive their devices
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) return { adapter, source: attempt.source, release: () => liveGpus.delete(gpu) };
    liveGpus.delete(gpu);
    tried.push(attempt.icd ? `Vulkan ICD ${attempt.icd}` : 'system Vulkan drivers');
  }
  const swiftshaderMissing = !SWIFTSHADER_ICD_PATHS.some((p) => existsSync(p));
  const why =
    attempts.length === 0
      ? `VSML_ADAPTER=${preference} but no SwiftShader ICD exists at ${SWIFTSHADER_ICD_PATHS.join(' or ')}.`
      : `Tried: ${tried.join('; ')}.${swiftshaderMissing ? ' SwiftShader (chromium) is not installed.' : ''}`;
  throw new GpuUnavailableError(`${why} ${NO_ADAPTER_HELP}`);
}
