/**
 * The README's compact scoreboard table, generated from a committed scoreboard.json so that the
 * README and docs never carry hand-edited numbers:
 *   npm run bench:table -- results/ordered-mnist [--note ID=TEXT]...
 * Columns: method | accuracy | training FLOPs | test FLOPs | learned state | algorithm | wall.
 * Benchmark rows first (best accuracy first), then the shuffled references.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Scoreboard, fmtBytes, fmtFlops, fmtPct, fmtSeconds, sortRows } from '../bench/scoreboard';

export function readmeTable(sb: Scoreboard, notes: Record<string, string> = {}): string {
  const lines = ['| method | accuracy | training FLOPs | test FLOPs | learned state | algorithm | wall (learn + test) |', '|---|---|---|---|---|---|---|'];
  for (const r of sortRows(sb.rows)) {
    const note = notes[r.id] ?? (r.reference ? 'shuffled reference, not the benchmark' : '');
    const name = note ? `${r.id} (${note})` : r.id;
    lines.push(`| ${name} | ${fmtPct(r.accuracy)} | ${fmtFlops(r.trainFlops)} | ${fmtFlops(r.testFlops)} | ${fmtBytes(r.stateBytes)} | ${fmtBytes(r.algorithmBytes)} | ${fmtSeconds(r.learnMs)} + ${fmtSeconds(r.testMs)} |`);
  }
  return lines.join('\n');
}

const HELP = `usage: npm run bench:table -- DIR [--note ID=TEXT]...

Prints the README's compact Markdown table of DIR/scoreboard.json (written by bench:ordered).
--note adds "(TEXT)" after a row's id; shuffled references are marked as such by default.`;

function main(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  let dir: string | undefined;
  const notes: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--note') {
      const v = argv[++i] ?? '';
      const eq = v.indexOf('=');
      if (eq <= 0) throw new Error(`--note needs ID=TEXT, got '${v}'`);
      notes[v.slice(0, eq)] = v.slice(eq + 1);
    } else if (argv[i].startsWith('--')) throw new Error(`unknown option '${argv[i]}' (try --help)`);
    else dir = argv[i];
  }
  if (!dir) throw new Error('give the scoreboard directory, e.g. results/ordered-mnist (try --help)');
  const sb = JSON.parse(readFileSync(join(dir, 'scoreboard.json'), 'utf8')) as Scoreboard;
  console.log(readmeTable(sb, notes));
  return 0;
}

if (process.argv[1] && /readme-table\.ts$/.test(process.argv[1])) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  }
}
