/**
 * Node only: WebGPU through Dawn (npm `webgpu`). Tries the hardware Vulkan drivers first, then
 * Mesa's lavapipe (Vulkan on the CPU; Dawn accepts it from Mesa 25 on), then SwiftShader from
 * Debian's chromium package.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';
import { GpuUnavailableError, NO_ADAPTER_HELP } from './errors';
import type { AdapterSource } from './context';
import { type DriverKind, classifyIcdList, classifyIcdManifest } from './driver-kind';

/** A manifest's text, or undefined when it cannot be read (the loader will then say why). */
function readManifest(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Where Debian's chromium ships SwiftShader's Vulkan ICD. */
export const SWIFTSHADER_ICD_PATHS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/** Where the Vulkan loader looks for driver manifests (ICDs) on Linux. */
export const SYSTEM_ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

/** `VSML_ADAPTER` picks the adapter: auto (default), hardware, lavapipe or swiftshader. */
export type AdapterPreference = 'auto' | 'hardware' | 'lavapipe' | 'swiftshader';

/** The system's driver manifests, split into hardware ones and Mesa's lavapipe. */
export interface SystemIcds {
  hardware: string[];
  lavapipe: string | undefined;
}

/**
 * The system's manifests, classified by the library each one loads (classifyIcdManifest).
 * `extraLavapipe`: a private lavapipe manifest ($VSML_LAVAPIPE_ICD, e.g. Mesa 25 unpacked under
 * /opt without installing it system-wide); it goes before the system's own lavapipe.
 */
export function findSystemIcds(
  dirs: readonly string[] = SYSTEM_ICD_DIRS,
  read: (path: string) => string | undefined = readManifest,
  extraLavapipe?: string,
): SystemIcds {
  const files = dirs.flatMap((d) => {
    try {
      return readdirSync(d)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => join(d, f));
    } catch {
      return [];
    }
  });
  const kinds = new Map(files.map((f) => [f, classifyIcdManifest(f, read(f))]));
  return {
    hardware: files.filter((f) => kinds.get(f) === 'hardware'),
    lavapipe: extraLavapipe || files.find((f) => kinds.get(f) === 'lavapipe'),
  };
}

export interface AdapterPlanInput {
  preference: AdapterPreference;
  /** VK_ICD_FILENAMES as set by the user before we started, if any. */
  userIcd: string | undefined;
  /** What the user's manifests load (classifyIcdList); absent: treated as hardware. */
  userIcdKind?: DriverKind;
  /** First SwiftShader ICD found on disk, if any. */
  swiftshaderIcd: string | undefined;
  /** The system's manifests (findSystemIcds); absent: unknown, let the loader search. */
  system?: SystemIcds;
  /**
   * Whether a GPU device node exists (hasGpuDeviceNode). false: `auto` skips the hardware
   * manifests, which Mesa's package installs on CPU-only machines too (radeon, intel, nouveau...),
   * and whose empty search makes the loader print an error on every start. Absent: unknown, try.
   */
  gpuDeviceNode?: boolean;
}

/** One attempt: which ICD file(s) to force (undefined: the loader's own search) and what it counts as. */
export interface AdapterAttempt {
  icd: string | undefined;
  source: AdapterSource;
}

/**
 * The ordered attempts for a preference. Pure, so the policy is testable without drivers.
 * A user-set VK_ICD_FILENAMES is respected under `auto` or a matching preference, and counts as
 * the driver its manifests load (hardware, lavapipe or SwiftShader). The
 * hardware attempt names the hardware manifests only, so a software driver the system also has
 * (an old lavapipe that Dawn rejects with a warning) is not loaded twice; with no hardware
 * manifest at all, `auto` skips it (no "found no drivers" warning on CPU-only machines).
 */
export function planAdapterAttempts(input: AdapterPlanInput): AdapterAttempt[] {
  if (input.userIcd) {
    const kind = input.userIcdKind ?? 'hardware';
    // An explicit preference for another driver wins over the user's manifests (e.g.
    // VSML_ADAPTER=swiftshader with VK_ICD_FILENAMES naming lavapipe): the plan below applies.
    if (input.preference === 'auto' || input.preference === kind) return [{ icd: input.userIcd, source: kind }];
  }
  const sys = input.system;
  const hwIcd = sys && sys.hardware.length > 0 ? sys.hardware.join(':') : undefined;
  const hw: AdapterAttempt[] =
    !sys || (hwIcd && input.gpuDeviceNode !== false) || input.preference === 'hardware'
      ? [{ icd: hwIcd, source: 'hardware' }]
      : [];
  const lvp: AdapterAttempt[] = sys?.lavapipe ? [{ icd: sys.lavapipe, source: 'lavapipe' }] : [];
  const sw: AdapterAttempt[] = input.swiftshaderIcd ? [{ icd: input.swiftshaderIcd, source: 'swiftshader' }] : [];
  switch (input.preference) {
    case 'hardware':
      return hw;
    case 'lavapipe':
      return lvp;
    case 'swiftshader':
      return sw;
    default:
      return [...hw, ...lvp, ...sw];
  }
}

/** GPU device nodes a hardware Vulkan driver opens: DRM render nodes (Mesa, AMD, Intel), NVIDIA's, WSL's. */
export function hasGpuDeviceNode(list: (dir: string) => string[] = safeReaddir): boolean {
  if (list('/dev/dri').some((f) => f.startsWith('renderD') || f.startsWith('card'))) return true;
  return list('/dev').some((f) => /^nvidia\d+$/.test(f) || f === 'dxg');
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

export function parsePreference(value: string | undefined): AdapterPreference {
  const v = (value ?? 'auto').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'hardware' || v === 'gpu') return 'hardware';
  if (v === 'lavapipe' || v === 'llvmpipe') return 'lavapipe';
  if (v === 'swiftshader' || v === 'cpu' || v === 'software') return 'swiftshader';
  throw new GpuUnavailableError(`VSML_ADAPTER='${value}' is not one of auto, hardware, lavapipe, swiftshader`);
}

/** Dawn rejects Mesa before 25 with a native warning; this says what it means, once. */
export const LAVAPIPE_REJECTED =
  'lavapipe (Mesa Vulkan on the CPU) gave no adapter: Dawn needs Mesa 25 or newer (older Mesa lacks ' +
  "shaderUniform*ArrayDynamicIndexing, the 'Vulkan ... required' warning above). Install mesa-vulkan-drivers " +
  'from bookworm-backports (Debian 12) or Debian 13, or set VSML_ADAPTER=swiftshader to skip it.';

/** The user's own VK_ICD_FILENAMES, read once before any fallback of ours overwrites it. */
const USER_ICD = process.env.VK_ICD_FILENAMES;

let dawnModule: typeof import('webgpu') | null = null;
let lavapipeReported = false;
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
      throw new GpuUnavailableError(
        `cannot load the 'webgpu' package (Dawn for Node): ${(e as Error).message}. Run npm ci.`,
      );
    }
    Object.assign(globalThis, dawnModule.globals);
  }
  const attempts = planAdapterAttempts({
    preference,
    userIcd: USER_ICD || undefined,
    userIcdKind: USER_ICD ? classifyIcdList(USER_ICD, readManifest) : undefined,
    swiftshaderIcd: SWIFTSHADER_ICD_PATHS.find((p) => existsSync(p)),
    system: findSystemIcds(SYSTEM_ICD_DIRS, readManifest, process.env.VSML_LAVAPIPE_ICD || undefined),
    gpuDeviceNode: hasGpuDeviceNode(),
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
    if (attempt.source === 'lavapipe' && !lavapipeReported) {
      lavapipeReported = true;
      console.warn(LAVAPIPE_REJECTED);
    }
    tried.push(attempt.icd ? `Vulkan ICD ${attempt.icd}` : 'system Vulkan drivers');
  }
  const swiftshaderMissing = !SWIFTSHADER_ICD_PATHS.some((p) => existsSync(p));
  const why =
    attempts.length === 0
      ? `VSML_ADAPTER=${preference} but no SwiftShader ICD exists at ${SWIFTSHADER_ICD_PATHS.join(' or ')}.`
      : `Tried: ${tried.join('; ')}.${swiftshaderMissing ? ' SwiftShader (chromium) is not installed.' : ''}`;
  throw new GpuUnavailableError(`${why} ${NO_ADAPTER_HELP}`);
}

/** Default nice value of the main thread on a software adapter (see yieldMainThreadToDriver). */
export const SOFTWARE_MAIN_NICE = 19;

/**
 * The main thread's nice value per adapter, from `VSML_MAIN_NICE` (an integer 0..19; 0 leaves the
 * priority alone) or, by default, SOFTWARE_MAIN_NICE on the CPU adapters and 0 on hardware. The
 * variable is checked here, before any device exists; the adapter is known only after.
 */
export function mainThreadNicePolicy(
  env: string | undefined = process.env.VSML_MAIN_NICE,
): (source: AdapterSource) => number {
  if (env !== undefined && env.trim() !== '') {
    const v = Number(env);
    if (!Number.isInteger(v) || v < 0 || v > 19)
      throw new GpuUnavailableError(
        `VSML_MAIN_NICE='${env}' is not an integer from 0 (leave the priority alone) to 19`,
      );
    return () => v;
  }
  return (source) => (source === 'lavapipe' || source === 'swiftshader' ? SOFTWARE_MAIN_NICE : 0);
}

/**
 * Dawn for Node (npm `webgpu`) waits for GPU work from the main thread: while a mapAsync or
 * onSubmittedWorkDone promise is pending it polls for events again and again, keeping that
 * thread busy. On a CPU adapter the poll competes with the driver's threads for the same cores:
 * measured on 2 cores during lavapipe learning steps, the main thread used 0.64-0.71 of a core
 * and the two lavapipe workers 0.54-0.59 each (scripts/thread-usage.sh). Once the device exists (its driver threads are created
 * with it), the main thread's nice value is raised, so the driver's threads win the cores and
 * the poll runs in what they leave (the default cell's learning steps 19 -> 28-30 GFLOP/s,
 * docs/perf.md). On Linux setpriority(0) changes the calling thread only; threads started later
 * from the main thread inherit it. Raising a nice value cannot be undone without privileges, so
 * this happens at most once per thread and only when asked for (nice > current).
 */
export function yieldMainThreadToDriver(nice: number): void {
  if (nice <= 0) return;
  try {
    if (getPriority() < nice) setPriority(nice);
  } catch {
    // not permitted in this sandbox: run at the normal priority
  }
}
