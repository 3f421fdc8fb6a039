/** Errors raised by the GPU runtime. Each says what went wrong and, where possible, how to fix it. */

export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** The device was lost (driver reset, tab backgrounded too long, destroy()). Work in flight is gone. */
export class GpuDeviceLostError extends Error {
  override name = 'GpuDeviceLostError';
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** A WebGPU validation / out-of-memory / internal error reported by the device. */
export class GpuValidationError extends Error {
  override name = 'GpuValidationError';
}

/** A request exceeds a device limit and cannot be split automatically. */
export class GpuLimitError extends Error {
  override name = 'GpuLimitError';
}

/** For people in a browser: browser settings, never system packages. */
export const BROWSER_NO_ADAPTER_HELP =
  'This browser has WebGPU but offered no adapter (GPU). Try: a recent Chrome or Edge (113+) with ' +
  'hardware acceleration on (Settings > System); check chrome://gpu for "WebGPU: Hardware accelerated"; ' +
  'on Linux, Chrome needs --enable-unsafe-webgpu (and a Vulkan driver); Firefox and Safari need a ' +
  'version with WebGPU enabled. The page must be served over https or from localhost.';

export const NO_ADAPTER_HELP =
  'No WebGPU adapter is available. Fix one of: (1) install a GPU driver with Vulkan support ' +
  '(NVIDIA/AMD/Intel) and the Vulkan loader (`apt-get install libvulkan1`); or (2) for the CPU ' +
  'fallback, `apt-get install chromium libvulkan1` so that SwiftShader ' +
  '(/usr/lib/chromium/vk_swiftshader_icd.json) can be used; or (3) set VK_ICD_FILENAMES to a ' +
  'Vulkan ICD JSON yourself. In a browser, use Chrome/Edge 113+ (or Chromium with ' +
  '--enable-unsafe-webgpu) on a page served over https or from localhost.';
