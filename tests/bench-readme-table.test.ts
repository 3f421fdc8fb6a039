import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotes, readmeTable } from '../src/cli/bench-table';
import type { Scoreboard, ScoreRow } from '../src/bench/scoreboard';

const ROOT = join(__dirname, '..');
const HEADER = '| method | accuracy | training FLOPs | test FLOPs | learned state | algorithm | wall (learn + test) |';

function row(id: string, accuracy: number, extra: Partial<ScoreRow> = {}): ScoreRow {
  return {
    id,
    reference: id.endsWith('@shuffled'),
    accuracy,
    trainFlops: 1_880_000,
    testFlops: 0,
    stateBytes: 31_400,
    algorithmBytes: 4,
    learnMs: 300,
    testMs: 700_000,
    ...extra,
  } as ScoreRow;
}

describe('bench:table (readmeTable)', () => {
  it('sorts benchmark rows by accuracy, puts shuffled references last, formats the four axes and applies notes', () => {
    const sb = {
      rows: [
        row('ncm', 0.8203, { algorithmBytes: 0 }),
        row('mlp@shuffled', 0.963),
        row('kmeans:k=10', 0.9122, {
          stateBytes: 314_000,
          trainFlops: 1_597_371_800,
          learnMs: 12_345,
        }),
        row('vsml-rule', 0.8191, { algorithmBytes: 1812 }),
      ],
    } as Scoreboard;
    expect(readmeTable(sb, { 'vsml-rule': 'hand-designed' }).split('\n')).toEqual([
      HEADER,
      '|---|---|---|---|---|---|---|',
      '| kmeans:k=10 | 91.22% | 1.60e9 | 0 | 314 kB | 4 B | 12.3 s + 11.7 min |',
      '| ncm | 82.03% | 1.88e6 | 0 | 31.4 kB | 0 B | 0.30 s + 11.7 min |',
      '| vsml-rule (hand-designed) | 81.91% | 1.88e6 | 0 | 31.4 kB | 1812 B | 0.30 s + 11.7 min |',
      '| mlp@shuffled (shuffled reference, not the benchmark) | 96.30% | 1.88e6 | 0 | 31.4 kB | 4 B | 0.30 s + 11.7 min |',
    ]);
  });
});

describe('bench:table --note', () => {
  const sb = { rows: [row('kmeans:k=1', 0.8), row('kmeans:k=10', 0.9), row('ncm', 0.82)] } as Scoreboard;
  it('keys a note by the longest row id before "=", so ids that contain "=" can be labelled', () => {
    expect(parseNotes(['kmeans:k=10=ten prototypes', 'kmeans:k=1=one = a prototype', 'ncm=x'], sb)).toEqual({
      'kmeans:k=10': 'ten prototypes',
      'kmeans:k=1': 'one = a prototype',
      ncm: 'x',
    });
  });
  it('names the rows when a note matches none', () => {
    expect(() => parseNotes(['knn=typo'], sb)).toThrow(
      "--note: 'knn=typo' does not start with a row id and '=' (rows: kmeans:k=1, kmeans:k=10, ncm)",
    );
  });
});

/** The scoreboard tables of a Markdown file, in order, each as its lines. */
function tablesIn(md: string): string[][] {
  const lines = md.split('\n');
  const out: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== HEADER) continue;
    let j = i;
    while (j < lines.length && lines[j].startsWith('|')) j++;
    out.push(lines.slice(i, j));
  }
  return out;
}

/** The "(note)" after each row id, so that the check below pins the numbers, not the wording. */
function notesOf(table: string[]): Record<string, string> {
  const notes: Record<string, string> = {};
  for (const line of table.slice(2)) {
    const m = /^\| (\S+) \((.+?)\) \|/.exec(line);
    if (m) notes[m[1]] = m[2];
  }
  return notes;
}

// The README and docs/benchmark.md carry the committed scoreboards' tables as `npm run bench:table`
// prints them: a hand-edited number, a row missing after a merge, or a stale table fails here.
describe.each(['README.md', 'docs/benchmark.md'])('%s scoreboard tables are generated from results/', (file) => {
  const tables = tablesIn(readFileSync(join(ROOT, file), 'utf8'));
  it('has the MNIST table, then the Fashion-MNIST table', () => {
    expect(tables).toHaveLength(2);
  });
  it.each([
    [0, 'results/ordered-mnist'],
    [1, 'results/ordered-fashion-mnist'],
  ])('table %i equals bench:table of %s', (i, dir) => {
    const sb = JSON.parse(readFileSync(join(ROOT, dir, 'scoreboard.json'), 'utf8')) as Scoreboard;
    expect(tables[i].join('\n')).toBe(readmeTable(sb, notesOf(tables[i])));
  });
});
