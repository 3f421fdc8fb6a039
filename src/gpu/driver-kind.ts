/**
 * What kind of Vulkan driver an adapter or an ICD manifest is: real hardware, Mesa's lavapipe
 * (llvmpipe) or Google's SwiftShader. Pure functions over fabricated-or-real inputs, so the
 * classification is testable on machines without either driver.
 */

export type DriverKind = 'hardware' | 'lavapipe' | 'swiftshader';

/** What an adapter says of itself (GPUAdapterInfo's strings). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}

const LAVAPIPE_TEXT = /llvmpipe|lavapipe|libvulkan_lvp|(^|[/_])lvp_icd/i;
const SWIFTSHADER_TEXT = /swiftshader/i;

/** The driver behind an adapter, from its info strings (lavapipe reports "llvmpipe ... Mesa"). */
export function classifyAdapterInfo(info: AdapterInfoLike): DriverKind {
  const text = `${info.vendor ?? ''} ${info.architecture ?? ''} ${info.device ?? ''} ${info.description ?? ''}`;
  if (LAVAPIPE_TEXT.test(text)) return 'lavapipe';
  if (SWIFTSHADER_TEXT.test(text)) return 'swiftshader';
  return 'hardware';
}

/**
 * The driver an ICD manifest loads, from its `ICD.library_path` (the library decides, not the
 * file name, so a private copy such as /opt/mesa/lvp.json is still recognised); falls back to the
 * file name when the text is missing or not a manifest.
 */
export function classifyIcdManifest(path: string, text: string | undefined): DriverKind {
  let library = '';
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text) as { ICD?: { library_path?: unknown } };
      if (typeof parsed.ICD?.library_path === 'string') library = parsed.ICD.library_path;
    } catch {
      // not JSON: judge by the file name below
    }
  }
  const subject = library || path;
  if (LAVAPIPE_TEXT.test(subject)) return 'lavapipe';
  if (SWIFTSHADER_TEXT.test(subject)) return 'swiftshader';
  return 'hardware';
}

/**
 * A VK_ICD_FILENAMES value (':'-separated manifests): one software kind when every manifest is
 * that driver, else 'hardware' (a list with any hardware driver in it may give a hardware adapter).
 */
export function classifyIcdList(value: string, read: (path: string) => string | undefined): DriverKind {
  const kinds = value
    .split(':')
    .filter((p) => p.length > 0)
    .map((p) => classifyIcdManifest(p, read(p)));
  if (kinds.length > 0 && kinds.every((k) => k === kinds[0])) return kinds[0];
  return 'hardware';
}
