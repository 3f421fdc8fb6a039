/**
 * The demos page's headline links (demos/src/headline.json, from `npm run share -- --headline`):
 * each decodes to exactly the learner that `npm run bench:ordered --checkpoint SOURCE` scores, and
 * carries that scoreboard row's number. The browser side (every link played in
 * Chromium from the demos page) is in tests/browser-app.test.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadVsmlSpec } from '../src/bench/vsml-adapter';
import { HEADLINE, shareMain } from '../src/cli/share';
import { replayBrowserMain } from '../src/cli/replay-browser';
import { decodeShare, sameCell } from '../src/share';

const headline = JSON.parse(readFileSync('demos/src/headline.json', 'utf8')) as {
  links: { id: string; source: string; row: string; benchmarkAccuracy: number; stream: string; fragment: string }[];
};
const board = JSON.parse(readFileSync('results/ordered-mnist/scoreboard.json', 'utf8')) as {
  rows: { id: string; accuracy: number }[];
};
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('headline share links', () => {
  it('lists every headline learner, at least three', () => {
    expect(headline.links.map((l) => l.id)).toEqual(HEADLINE.map((h) => h.id));
    expect(headline.links.length).toBeGreaterThanOrEqual(3);
  });

  for (const l of headline.links) {
    it(`${l.id}: the link is the scoreboard's learner (${l.source}) with its number`, async () => {
      const d = await decodeShare(l.fragment);
      const spec = await loadVsmlSpec(l.source);
      expect(bits(d.params)).toEqual(bits(spec.metaParams));
      expect(sameCell(d.config.vsml, spec.config)).toBe(true);
      if (l.stream === 'benchmark') {
        // Same learner, same state seed as the scoreboard run: the replay of the full stream is that row.
        expect(d.config.vsml).toEqual(spec.config);
        expect(d.stateSeed).toBe(spec.stateSeed);
      }
      expect(d.config.note?.stream).toBe(l.stream);
      const row = board.rows.find((r) => r.id === l.row);
      expect(row, `scoreboard row ${l.row}`).toBeDefined();
      expect(l.benchmarkAccuracy).toBe(row!.accuracy);
      expect(d.config.note?.benchmarkAccuracy).toBe(row!.accuracy);
    });
  }

  it('npm run share prints an absolute link for a rule, and refuses bad options', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...a: unknown[]) => void out.push(a.join(' '));
    console.error = (...a: unknown[]) => void err.push(a.join(' '));
    try {
      expect(await shareMain(['rule:class-mean', '--site', 'https://example.org/vsml'])).toBe(0);
      expect(out[0]).toMatch(/^https:\/\/example\.org\/vsml\/replay\.html#s=[A-Za-z0-9_-]+$/);
      expect((await decodeShare(out[0])).config.note?.source).toBe('rule:class-mean');
      expect(await shareMain(['rule:class-mean'])).toBe(0);
      expect(out[1]).toMatch(/^http:\/\/localhost:5173\/replay\.html#s=/);
      expect(err.join('\n')).toMatch(/serve http:\/\/localhost:5173\/ with: npm run dev/);
      expect(await shareMain(['rule:class-mean', '--bits', '7'])).toBe(2);
      expect(await shareMain(['rule:class-mean', '--site', 'ftp://x'])).toBe(1);
      expect(err.join('\n')).toMatch(/--site: must be an http\(s\) URL/);
      expect(await shareMain(['rule:missing.json'])).toBe(1);
      expect(err.join('\n')).toMatch(/no rule file missing\.json/);
      expect(await shareMain(['--help'])).toBe(0);
      expect(out.join('\n')).toMatch(/Usage: npm run share/);
      // replay:browser refuses bad options before starting anything.
      expect(await replayBrowserMain(['--help'])).toBe(0);
      expect(out.join('\n')).toMatch(/Usage: npm run replay:browser/);
      expect(await replayBrowserMain(['rule:class-mean', '--stream', 'fast'])).toBe(2);
      expect(await replayBrowserMain(['rule:class-mean', '--learn', '-1'])).toBe(2);
      expect(await replayBrowserMain([])).toBe(2);
      expect(await replayBrowserMain(['rule:missing.json'])).toBe(1);
    } finally {
      console.log = log;
      console.error = error;
    }
  });
});
