/**
 * The README's library example (examples/library.ts) runs as a user would run it: through the
 * package's own `exports` (self-reference), in a fresh Node process.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('library example', () => {
  it('is the script the README shows, and it trains and benchmarks', async () => {
    const script = readFileSync('examples/library.ts', 'utf8');
    const readme = readFileSync('README.md', 'utf8');
    const body = script.split('\n').filter((l) => l.trim() && !l.startsWith('//'));
    for (const line of body) expect(readme, `README lacks the example line: ${line}`).toContain(line);
    const { stdout } = await promisify(execFile)(
      'npx',
      ['tsx', '--import', 'vsml-webgpu/register', 'examples/library.ts'],
      { timeout: 120_000 },
    );
    const gens = stdout.match(/^generation \d+: query accuracy \d\.\d{3}$/gm) ?? [];
    expect(gens, stdout).toHaveLength(3);
    expect(stdout).toMatch(/^OrderedMNIST \(1,000 \+ 500\): \d+\.\d%, [\d.]+e\+\d+ FLOPs, \d+ B of state$/m);
  }, 150_000);
});
