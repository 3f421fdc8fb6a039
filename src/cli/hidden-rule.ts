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

const HELP = `usage: npm run hidden:rule -- [options]

Runs the hand-designed hidden-layer rule (784 -> H -> 10, competition by max aggregation) on a
validation split of the TRAIN split: the first 5/6 of every class, sorted by class, is the learn
stream; the last 1/6 are the queries (state frozen). The test split is never read.

  --dataset mnist|fashion-mnist|DIR   (default mnist)
  --hidden LIST        hidden units, comma-separated multiples of 10 (default 200)
  --k X                input feature gain: phi(x) = tanh(k x) / tanh(k); 0 = raw pixels (default 0)
  --readout max|lse    nearest prototype (max) or soft (log-mean-exp, needs --beta) (default max)
  --beta X             softness of the lse readout (default 0)
  --lengths LIST       examples per class in the stream, e.g. 10,100,1000,all (default all)
  --kmeans             also run the kmeans:k=H/10 baseline on the same split (the rule's reference)
  --seed N             initial-state seed (default 1)
  --hold F             held-out fraction of every class (default 1/6)`;

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

function parse(argv: string[]): Args | null {
  const a: Args = { dataset: 'mnist', hidden: [COMPETITIVE_HIDDEN_DEFAULTS.hidden], k: 0, readout: 'max', beta: 0, lengths: [Infinity], kmeans: false, seed: 1, hold: 1 / 6 };
  const num = (v: string, flag: string) => {
    const x = Number(v);
    if (!Number.isFinite(x)) throw new Error(`${flag} needs a number, got '${v}'`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--help': case '-h': console.log(HELP); return null;
      case '--dataset': a.dataset = val(); break;
      case '--hidden': a.hidden = val().split(',').map((v) => num(v, flag)); break;
      case '--k': a.k = num(val(), flag); break;
      case '--readout': {
        const r = val();
        if (r !== 'max' && r !== 'lse') throw new Error(`--readout must be max or lse, got '${r}'`);
        a.readout = r;
        break;
      }
      case '--beta': a.beta = num(val(), flag); break;
      case '--lengths': a.lengths = val().split(',').map((v) => (v === 'all' ? Infinity : num(v, flag))); break;
      case '--kmeans': a.kmeans = true; break;
      case '--seed': a.seed = num(val(), flag); break;
      case '--hold': a.hold = num(val(), flag); break;
      default: throw new Error(`unknown option '${flag}' (try --help)`);
    }
  }
  return a;
}

async function main(argv: string[]): Promise<number> {
  const args = parse(argv);
  if (!args) return 0;
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
  console.log(`${ds.name} train split: stream = first ${((1 - args.hold) * 100).toFixed(1)}% of every class (class-sorted), ${queries.length} held-out queries; the test split is not read`);
  console.log('| rule | H | per class | validation accuracy | learned state (f32; + label-delay memories) | algorithm | FLOPs learn / query | wall (learn + queries) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const H of args.hidden) {
    for (const L of args.lengths) {
      const rule: CompetitiveHiddenRule = { ...COMPETITIVE_HIDDEN_DEFAULTS, inputs: A, classes: C, hidden: H, k: args.k, readout: args.readout, beta: args.beta, seed: args.seed };
      const learner = new CompetitiveHiddenLearner(rule);
      const km = args.kmeans ? new PerClassKMeans({ rows: train.rows, cols: train.cols, pixels: A, numClasses: C }, { k: H / C }) : null;
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
        console.log(`| kmeans:k=${H / C} baseline (same split) | - | ${per} | ${((100 * r2) / queries.length).toFixed(2)}% | ${(km.stateBytes().reduce((s, b) => s + b.bytes, 0) / 1e3).toFixed(0)} kB | 4 B | | |`);
      }
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(`error: ${(e as Error).message}`);
    process.exit(1);
  },
);
