/** WGSL sources are imported as text: `import src from './x.wgsl?raw'` (Vite, Vitest, and Node through src/node/register-raw.mjs). */
declare module '*.wgsl?raw' {
  const source: string;
  export default source;
}

/** wgsl-preprocessor (no bundled types): a template-literal tag handling #if / #elif / #else / #endif. */
declare module 'wgsl-preprocessor/wgsl-preprocessor.js' {
  export function wgsl(strings: TemplateStringsArray, ...values: unknown[]): string;
}
