/**
 * The README's compact scoreboard table, generated from a committed scoreboard.json so that the
 * README and docs never carry hand-edited numbers:
 *   npm run bench:table -- results/ordered-mnist [--note ID=TEXT]...
 * Columns: method | accuracy | training FLOPs | test FLOPs | learned state | algorithm | wall.
 * Benchmark rows first (best accuracy first), then the shuffled references.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, cliArgs, defineCommand } from './args';
import { runMain } from './common';
import { type Scoreboard, fmtBytes, fmtFlops, fmtPct, fmtSeconds, sortRows } from '../bench/scoreboard';

export function readmeTable(sb: Scoreboard, notes: Record<string, string> = {}): string {
  const lines = [
    '| method | accuracy | training FLOPs | test FLOPs | learned state | algorithm | wall (learn + test) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of sortRows(sb.rows)) {
    const note = notes[r.id] ?? (r.reference ? 'shuffled reference, not the benchmark' : '');
    const name = note ? `${r.id} (${note})` : r.id;
    lines.push(
      `| ${name} | ${fmtPct(r.accuracy)} | ${fmtFlops(r.trainFlops)} | ${fmtFlops(r.testFlops)} | ${fmtBytes(r.stateBytes)} | ${fmtBytes(r.algorithmBytes)} | ${fmtSeconds(r.learnMs)} + ${fmtSeconds(r.testMs)} |`,
    );
  }
  return lines.join('\n');
}

/**
 * `--note ID=TEXT` values keyed by row id. Ids may contain '=' themselves (`kmeans:k=10`), so the id
 * is the longest row id that the value starts with, followed by '='.
 */
export function parseNotes(values: readonly string[], sb: Scoreboard): Record<string, string> {
  const notes: Record<string, string> = {};
  for (const v of values) {
    const id = sb.rows
      .map((r) => r.id)
      .filter((rid) => v.startsWith(`${rid}=`))
      .sort((a, b) => b.length - a.length)[0];
    if (id === undefined) {
      const known = sb.rows.map((r) => r.id).join(', ');
      throw new UsageError('--note', `'${v}' does not start with a row id and '=' (rows: ${known})`);
    }
    notes[id] = v.slice(id.length + 1);
  }
  return notes;
}

const COMMAND = defineCommand({
  name: 'bench:table',
  usage: '[options] DIR',
  description: `Prints the README's compact Markdown table of DIR/scoreboard.json (written by bench:ordered).
Shuffled references are marked as such.`,
  positional: { name: 'DIR', description: 'a scoreboard directory, e.g. results/ordered-mnist' },
  options: {
    note: { type: 'string', value: 'ID=TEXT', multiple: true, description: 'add "(TEXT)" after the row ID' },
  },
});

function main(): number {
  const { values, positional } = cliArgs(COMMAND);
  if (!positional) throw new UsageError('DIR', 'give the scoreboard directory, e.g. results/ordered-mnist');
  const file = join(positional, 'scoreboard.json');
  if (!existsSync(file)) throw new Error(`no ${file} (bench:ordered writes it)`);
  const sb = JSON.parse(readFileSync(file, 'utf8')) as Scoreboard;
  console.log(readmeTable(sb, parseNotes(values.note, sb)));
  return 0;
}

if (/src[\\/]cli[\\/]bench-table\.ts$/.test(process.argv[1] ?? '')) runMain('bench:table', async () => main());
