/**
 * The layer order of the code (docs/architecture.md): a folder may import only folders to its
 * left, never one to its right, and no two files may import each other in a loop. `npm test`
 * runs this check (`npm run check:layers`).
 */
const LAYERS = [
  'src/wgsl', // WGSL template filling (wgsl-preprocessor)
  'src/rng', // counter-based random numbers (Philox), noise descriptors: TypeScript and WGSL
  'src/chart', // dependency-free SVG primitives
  'src/gpu', // WebGPU runtime: adapter, device, buffers, errors
  'src/data', // IDX files, datasets, the OrderedMNIST stream, GPU upload
  'src/spec', // the VSML learner spec: config, meta-parameter layout, tile plan, cost model
  'src/kernels', // WGSL kernels as programs, and the runner that dispatches them
  'src/inner', // learners: the GPU VSML population, float64 references, baselines
  'src/meta', // the outer loop: strategies, tasks, trainer, checkpoints, distributed
  'src/share', // the share-URL codec
  'src/bench', // OrderedMNIST benchmark, scoreboard, speed benchmarks
  'src/pages', // what the browser pages, their workers and the headless driver exchange
  'src/app', // node-only helpers that serve the site and drive Chromium
  'src/cli', // command-line entry points
];
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const above = (i) => `^(${LAYERS.slice(i + 1).map(esc).join('|')})/`;

module.exports = {
  forbidden: [
    ...LAYERS.slice(0, -1).map((layer, i) => ({
      name: `no-upward-from-${layer.replace('src/', '')}`,
      comment: `${layer} sits below ${LAYERS.slice(i + 1).join(', ')}: move the shared contract down instead`,
      severity: 'error',
      from: { path: `^${esc(layer)}/` },
      to: { path: above(i) },
    })),
    {
      name: 'no-src-to-demos',
      comment: 'the library and the CLI never import the browser pages (demos sits on top)',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^demos/' },
    },
    {
      name: 'no-demos-to-cli',
      comment: 'browser pages cannot use node-only entry points',
      severity: 'error',
      from: { path: '^demos/' },
      to: { path: '^src/(cli|app)/' },
    },
    {
      name: 'no-layer-to-library-surface',
      comment: 'src/index.ts and src/node.ts re-export the layers; the layers never import them',
      severity: 'error',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/(index|node)\\.ts$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js', '.json'] },
  },
};
