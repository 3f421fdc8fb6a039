/**
 * The layer rules (.dependency-cruiser.cjs, run on the real tree by `npm test` as
 * `npm run check:layers`) fire on a small tree that breaks each of them, and pass a clean one.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const CONFIG = resolve('.dependency-cruiser.cjs');
const BIN = resolve('node_modules/.bin/depcruise');
const root = mkdtempSync(join(tmpdir(), 'layers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function tree(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler' } }),
  );
  return dir;
}

async function violations(dir: string): Promise<string[]> {
  const run = promisify(execFile)(BIN, ['src', 'demos', '--config', CONFIG, '--output-type', 'json'], {
    cwd: dir,
  }).catch((e) => e);
  const { stdout } = await run;
  const out = JSON.parse(stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[] } };
  return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

describe('layer rules', () => {
  it('flag an upward import, a cycle, src -> demos and a layer importing the library surface', async () => {
    const dir = tree('bad', {
      'src/rng/low.ts': "import { high } from '../meta/high';\nexport const low = high;\n",
      'src/meta/high.ts': 'export const high = 1;\n',
      'src/kernels/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'src/kernels/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
      'src/cli/page.ts': "import { page } from '../../demos/src/page';\nexport const p = page;\n",
      'demos/src/page.ts': 'export const page = 1;\n',
      'src/inner/uses-index.ts': "import { high } from '../index';\nexport const x = high;\n",
      'src/index.ts': "export { high } from './meta/high';\n",
    });
    // A cycle is reported once, at the edge where the cruise first closes it.
    expect(await violations(dir)).toEqual([
      'no-circular: src/kernels/a.ts -> src/kernels/b.ts',
      'no-layer-to-library-surface: src/inner/uses-index.ts -> src/index.ts',
      'no-src-to-demos: src/cli/page.ts -> demos/src/page.ts',
      'no-upward-from-rng: src/rng/low.ts -> src/meta/high.ts',
    ]);
  }, 60_000);

  it('pass imports that point down', async () => {
    const dir = tree('good', {
      'src/rng/low.ts': 'export const low = 1;\n',
      'src/meta/high.ts': "import { low } from '../rng/low';\nexport const high = low;\n",
      'demos/src/page.ts': "import { high } from '../../src/meta/high';\nexport const page = high;\n",
    });
    expect(await violations(dir)).toEqual([]);
  }, 60_000);
});
