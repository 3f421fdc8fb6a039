/**
 * acquireGpu(): the single entry point for a GpuContext, wherever we run.
 * Browser pages and workers use navigator.gpu; Node loads Dawn (see node-adapter.ts).
 */
import { GpuContext, type DeviceRequestOptions } from './context';
import { BROWSER_NO_ADAPTER_HELP, GpuUnavailableError } from './errors';

export interface AcquireOptions extends DeviceRequestOptions {
  /** Node only: 'auto' (default, or $VSML_ADAPTER), 'hardware', 'lavapipe' or 'swiftshader'. */
  adapter?: 'auto' | 'hardware' | 'lavapipe' | 'swiftshader';
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
}

export async function acquireGpu(opts: AcquireOptions = {}): Promise<GpuContext> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (!isNode()) {
    if (!nav?.gpu) {
      const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
      throw new GpuUnavailableError(
        `This browser exposes no WebGPU (navigator.gpu is missing${secure === false ? '; the page is not a secure context' : ''}). ${BROWSER_NO_ADAPTER_HELP}`,
      );
    }
    const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter)
      throw new GpuUnavailableError(`navigator.gpu.requestAdapter() returned null. ${BROWSER_NO_ADAPTER_HELP}`);
    return GpuContext.fromAdapter(adapter, 'browser', 'browser', opts);
  }
  const nodeAdapter = await import(/* @vite-ignore */ './node-adapter');
  const pref = opts.adapter ?? nodeAdapter.parsePreference(process.env.VSML_ADAPTER);
  const niceFor = nodeAdapter.mainThreadNicePolicy(); // a malformed VSML_MAIN_NICE fails before any device exists
  const { adapter, source, release } = await nodeAdapter.requestNodeAdapter(pref);
  const gpu = await GpuContext.fromAdapter(adapter, source, 'node-dawn', opts, release);
  // After the device (and its driver's threads) exist: see yieldMainThreadToDriver.
  nodeAdapter.yieldMainThreadToDriver(niceFor(gpu.report.source));
  return gpu;
}
