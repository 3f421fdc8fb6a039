/** Small helpers shared by the pages. */

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
}

/** Absolute URL of the bundled MNIST folder (workers resolve relative URLs against their own script). */
export function dataBaseUrl(): string {
  return new URL('./data/mnist/', document.baseURI).href;
}

/** The replay page with a share fragment, next to the current page. */
export function replayUrl(fragment: string): string {
  return `${new URL('./replay.html', document.baseURI).href}#${fragment}`;
}

export function fmt(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export function hasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && !!navigator.gpu;
}

/** For people in a browser: what to change in the browser (never system packages or CLIs). */
export function noWebGpuMessage(): string {
  const insecure = !window.isSecureContext
    ? ' This page is not a secure context: WebGPU needs https:// (or localhost).'
    : '';
  return (
    'This browser does not expose WebGPU, so nothing can run here.' +
    insecure +
    ' Use a recent Chrome or Edge (113 or later; WebGPU is on by default on Windows, macOS, ChromeOS and Android) with' +
    ' hardware acceleration on in its settings, and check that chrome://gpu lists WebGPU as available. On Linux, Chrome' +
    ' needs the --enable-unsafe-webgpu flag. Recent Safari and Firefox versions have WebGPU too. Without a GPU, Chrome' +
    ' falls back to a software adapter (SwiftShader): slow, but the results are correct.'
  );
}
