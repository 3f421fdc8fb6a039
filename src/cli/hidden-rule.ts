/**
 * Measures the hand-designed hidden-layer rule (src/inner/rules/competitive-hidden.ts) on the
 * TRAIN split only: `npm run hidden:rule -- --help`. See docs/hidden-layer.md.
 */
import { indicesByClass } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import { PerClassKMeans } from '../inner/baselines/kmeans';
import {
  COMPETITIVE_ALGORITHM_BYTES,
  COMPETITIVE_HIDDEN_DEFAULTS,
  type CompetitiveHiddenRule,
  CompetitiveHiddenLearner,
  competitiveLearnFlops,
  competitiveQueryFlops,
  competitiveStateBytes,
} from '../inner/rules/competitive-hidden';
import { UsageError, cliArgs, defineCommand, intArg, listArg, positiveArg } from './args';
import { runMain } from './common';

const COMMAND = defineCommand({
  name: 'hidden:rule',
  description: `Runs the hand-designed hidden-layer rule (784 -> H -> 10, competition by max aggregation) on a
validation split of the TRAIN split: the first 5/6 of every class, sorted by class, is the learn
stream; the last 1/6 are the queries (state frozen). The test split is never read.`,
  options: {
    dataset: {
      type: 'string',
      value: 'NAME|DIR',
      default: 'mnist',
      description: 'mnist, fashion-mnist or an IDX directory',
    },
    hidden: {
      type: 'string',
      value: 'LIST',
      default: String(COMPETITIVE_HIDDEN_DEFAULTS.hidden),
      description: 'hidden units, comma-separated multiples of the class count',
    },
    k: {
      type: 'string',
      value: 'X',
      default: '0',
      description: 'input feature gain: phi(x) = tanh(k x) / tanh(k); 0 = raw pixels',
    },
    readout: {
      type: 'string',
      choices: ['max', 'lse'],
      default: 'max',
      description: 'nearest prototype (max) or soft (log-mean-exp, needs --beta)',
    },
    beta: { type: 'string', value: 'X', default: '0', description: 'softness of the lse readout' },
    lengths: {
      type: 'string',
      value: 'LIST',
      default: 'all',
      description: 'examples per class in the stream, e.g. 10,100,1000,all',
    },
    kmeans: {
      type: 'boolean',
      description: "also run the kmeans:k=H/10 baseline on the same split (the rule's reference)",
    },
    seed: { type: 'string', value: 'N', default: '1', description: 'initial-state seed' },
    hold: {
      type: 'string',
      value: 'F',
      defaultText: '1/6',
      description: 'held-out fraction of every class, in (0, 1)',
    },
  },
});

interface Args {
  dataset: string;
  hidden: number[];
  k: number;
  readout: 'max' | 'lse';
  beta: number;
  lengths: number[];
  kmeans: boolean;
  seed: number;
  hold: number;
}

function parse(): Args {
  const v = cliArgs(COMMAND).values;
  const num = (flag: string, x: string) => {
    const n = Number(x);
    if (x.trim() === '' || !Number.isFinite(n)) throw new UsageError(flag, `needs a number, got '${x}'`);
    return n;
  };
  const hold = v.hold === undefined ? 1 / 6 : positiveArg('--hold', v.hold);
  if (hold >= 1) throw new UsageError('--hold', `must be below 1, got ${v.hold}`);
  return {
    dataset: v.dataset,
    hidden: listArg(v.hidden).map((x) => intArg('--hidden', x, 1)),
    k: num('--k', v.k),
    readout: v.readout as 'max' | 'lse',
    beta: num('--beta', v.beta),
    lengths: listArg(v.lengths).map((x) => (x === 'all' ? Infinity : intArg('--lengths', x, 1))),
    kmeans: v.kmeans,
    seed: intArg('--seed', v.seed, 0),
    hold,
  };
}

async function main(): Promise<number> {
  const args = parse();
  const ds = await loadDataset(args.dataset);
  const train = ds.train; // the only split this command reads
  const A = train.rows * train.cols;
  const C = train.numClasses;
  const byClass = indicesByClass(train.labels, C);
  const learnPools: Uint32Array[] = [];
  const queries: number[] = [];
  for (const pool of byClass) {
    const nLearn = pool.length - Math.round(pool.length * args.hold);
    learnPools.push(pool.subarray(0, nLearn));
    for (let i = nLearn; i < pool.length; i++) queries.push(pool[i]);
  }
  const img = (i: number) => train.images.subarray(i * A, (i + 1) * A);
  console.log(
    `${ds.name} train split: stream = first ${((1 - args.hold) * 100).toFixed(1)}% of every class (class-sorted), ${queries.length} held-out queries; the test split is not read`,
  );
  console.log(
    '| rule | H | per class | validation accuracy | learned state (f32; + label-delay memories) | algorithm | FLOPs learn / query | wall (learn + queries) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const H of args.hidden) {
    for (const L of args.lengths) {
      const rule: CompetitiveHiddenRule = {
        ...COMPETITIVE_HIDDEN_DEFAULTS,
        inputs: A,
        classes: C,
        hidden: H,
        k: args.k,
        readout: args.readout,
        beta: args.beta,
        seed: args.seed,
      };
      const learner = new CompetitiveHiddenLearner(rule);
      const km = args.kmeans
        ? new PerClassKMeans({ rows: train.rows, cols: train.cols, pixels: A, numClasses: C }, { k: H / C })
        : null;
      const t0 = performance.now();
      let n = 0;
      for (const pool of learnPools) {
        const m = Math.min(L, pool.length);
        for (let i = 0; i < m; i++) {
          learner.learn(img(pool[i]), train.labels[pool[i]]);
          km?.learn(img(pool[i]).slice(), train.labels[pool[i]]);
          n++;
        }
      }
      const t1 = performance.now();
      let right = 0;
      for (const q of queries) if (learner.predict(img(q)) === train.labels[q]) right++;
      const t2 = performance.now();
      const sb = competitiveStateBytes(rule, false);
      const sd = competitiveStateBytes(rule, true);
      const name = `competitive (${args.readout}${args.readout === 'lse' ? `, beta ${args.beta}` : ''}${args.k > 0 ? `, k ${args.k}` : ''})`;
      const per = Number.isFinite(L) ? String(L) : 'all';
      console.log(
        `| ${name} | ${H} | ${per} | ${((100 * right) / queries.length).toFixed(2)}% | ${(sb.total / 1e3).toFixed(0)} kB; ${(sd.total / 1e3).toFixed(0)} kB | ${COMPETITIVE_ALGORITHM_BYTES} B | ` +
          `${competitiveLearnFlops(rule).toExponential(2)} / ${competitiveQueryFlops(rule).toExponential(2)} | ${((t1 - t0) / 1000).toFixed(1)} s + ${((t2 - t1) / 1000).toFixed(1)} s (${n} examples) |`,
      );
      if (km) {
        const f = km.freeze();
        const qs = new Uint8Array(queries.length * A);
        queries.forEach((q, i) => qs.set(img(q), i * A));
        const p = f.predictor.predict(qs, queries.length) as Uint8Array;
        let r2 = 0;
        queries.forEach((q, i) => (r2 += p[i] === train.labels[q] ? 1 : 0));
        console.log(
          `| kmeans:k=${H / C} baseline (same split) | - | ${per} | ${((100 * r2) / queries.length).toFixed(2)}% | ${(km.stateBytes().reduce((s, b) => s + b.bytes, 0) / 1e3).toFixed(0)} kB | 4 B | | |`,
        );
      }
    }
  }
  return 0;
}

runMain('hidden:rule', main);
