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
import { UsageError, cliArgs, defineCommand, positiveArg } from './args';
import { runMain } from './common';

const COMMAND = defineCommand({
  name: 'bench:validate',
  description: `Runs each method on a validation split of the TRAIN split only: the first (1 - F) of every class
is the class-sorted learn stream, the last F are the queries. Prints the four-axis table. The test
split is never read by a learner.`,
  options: {
    methods: { type: 'string', value: 'LIST', description: 'methods, as bench:ordered --methods (required)' },
    dataset: {
      type: 'string',
      value: 'NAME|DIR',
      default: 'mnist',
      description: 'mnist, fashion-mnist or an IDX directory',
    },
    hold: {
      type: 'string',
      value: 'F',
      defaultText: '1/6',
      description: 'held-out fraction of every class, in (0, 1)',
    },
  },
});

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const v = cliArgs(COMMAND).values;
  if (!v.methods) throw new UsageError('--methods', 'is required (e.g. --methods kmeans:k=10,ncm)');
  const hold = v.hold === undefined ? 1 / 6 : positiveArg('--hold', v.hold);
  if (hold >= 1) throw new UsageError('--hold', `must be below 1, got ${v.hold}`);
  const methods = v.methods;
  const dataset = v.dataset;
  const ds = await loadDataset(dataset);
  const { stream, queries } = trainValidationSplit(ds.train, hold);
  const sb = await runScoreboard(
    { name: `${ds.name} (train-split validation)`, train: stream, test: queries },
    parseMethodList(methods),
    {
      order: 'sorted',
      curvePerClass: 0,
      shuffleSeed: 1,
      command: `npm run bench:validate -- ${argv.join(' ')}`,
      machine: 'local',
      gpu: () => Promise.reject(new Error('bench:validate runs CPU methods only')),
    },
  );
  console.log(`${stream.count} stream examples, ${queries.count} held-out queries, both from ${ds.train.name}`);
  console.log(consoleTable(sb.rows));
  return 0;
}

runMain('bench:validate', main);
