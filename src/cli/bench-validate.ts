/**
 * Train-split validation of scoreboard methods: `npm run bench:validate -- --methods LIST`.
 * Learns the first 5/6 of every class of the TRAIN split (sorted by class, as the benchmark) and
 * scores the held-out last 1/6 of the train split; the test split is never passed to a learner.
 * Used to choose baseline hyperparameters (docs/benchmark.md).
 */
import { loadDataset } from '../data/load-node';
import { parseMethodList } from '../bench/methods';
import { runScoreboard } from '../bench/run';
import { consoleTable } from '../bench/scoreboard';
import { trainValidationSplit } from '../bench/validation-split';

const HELP = `usage: npm run bench:validate -- --methods LIST [--dataset mnist|fashion-mnist|DIR] [--hold F]

Runs each method on a validation split of the TRAIN split only: the first (1 - F) of every class
is the class-sorted learn stream, the last F (default 1/6) are the queries. Prints the four-axis
table. The test split is never read by a learner.`;

async function main(argv: string[]): Promise<number> {
  let dataset = 'mnist';
  let methods: string | undefined;
  let hold = 1 / 6;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--help' || flag === '-h') {
      console.log(HELP);
      return 0;
    } else if (flag === '--dataset') dataset = val();
    else if (flag === '--methods') methods = val();
    else if (flag === '--hold') hold = Number(val());
    else throw new Error(`unknown option '${flag}' (try --help)`);
  }
  if (!methods) throw new Error('--methods LIST is required (try --help)');
  const ds = await loadDataset(dataset);
  const { stream, queries } = trainValidationSplit(ds.train, hold);
  const sb = await runScoreboard({ name: `${ds.name} (train-split validation)`, train: stream, test: queries }, parseMethodList(methods), {
    order: 'sorted',
    curvePerClass: 0,
    shuffleSeed: 1,
    command: `npm run bench:validate -- ${argv.join(' ')}`,
    machine: 'local',
    gpu: () => Promise.reject(new Error('bench:validate runs CPU methods only')),
  });
  console.log(`${stream.count} stream examples, ${queries.count} held-out queries, both from ${ds.train.name}`);
  console.log(consoleTable(sb.rows));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
