/**
 * Probe for a second hidden-layer rule (docs/hidden-layer.md, "next rule"): per-class Oja subspace
 * rule on unit-norm, uncentred pixels, TRAIN split only. Hidden unit j of class c holds a direction
 * v_j (its layer-1 cells hold v_ja); y_j = v_j . x (MEAN-aggregated forward messages), the
 * reconstruction sum_j y_j v_ja is the MEAN-aggregated backward message at input a, and each cell
 * moves v_ja += eta_n y_j (x_a - recon_a), eta_n = c / (n + n0) (Oja 1989's subspace rule). The
 * first r examples of a class seed its directions. Query: the class with the largest sum_j y_j^2
 * (smallest residual). Written as plain loops, not cell by cell: a measurement, not the rule's
 * reference. `npm run hidden:oja -- --help`.
 */
import { indicesByClass } from '../data/dataset';
import { loadDataset } from '../data/load-node';
import { cliArgs, defineCommand, intArg, positiveArg } from './args';
import { runMain } from './common';

const COMMAND = defineCommand({
  name: 'hidden:oja',
  description: `Per-class Oja subspace rule (R directions per class, rate C / (n + N0)) on the train split: the
first 5/6 of every class (class-sorted) is the stream, the last 1/6 the queries. Prints the
validation accuracy and the state (10 R 784 f32).`,
  options: {
    r: { type: 'string', value: 'R', default: '10', description: 'directions per class' },
    c: { type: 'string', value: 'C', default: '30', description: 'rate numerator' },
    n0: { type: 'string', value: 'N0', default: '100', description: 'rate offset' },
    dataset: {
      type: 'string',
      value: 'NAME|DIR',
      default: 'mnist',
      description: 'mnist, fashion-mnist or an IDX directory',
    },
  },
});

async function main(): Promise<number> {
  const o = cliArgs(COMMAND).values;
  const [r, c0, n0] = [intArg('--r', o.r, 1), positiveArg('--c', o.c), positiveArg('--n0', o.n0)];
  const tr = (await loadDataset(o.dataset)).train; // the only split read
  const A = tr.rows * tr.cols;
  const C = tr.numClasses;
  const V = new Float64Array(C * r * A);
  const x = new Float64Array(A);
  const y = new Float64Array(r);
  const rec = new Float64Array(A);
  const load = (i: number) => {
    let s = 0;
    for (let a = 0; a < A; a++) {
      x[a] = tr.images[i * A + a] / 255;
      s += x[a] * x[a];
    }
    s = Math.sqrt(s) || 1;
    for (let a = 0; a < A; a++) x[a] /= s;
  };
  const queries: number[] = [];
  const t0 = performance.now();
  indicesByClass(tr.labels, C).forEach((pool, c) => {
    const nLearn = pool.length - Math.round(pool.length / 6);
    for (let i = nLearn; i < pool.length; i++) queries.push(pool[i]);
    for (let t = 0; t < nLearn; t++) {
      load(pool[t]);
      const n = t + 1;
      if (n <= r) {
        V.set(x, (c * r + n - 1) * A);
        continue;
      }
      for (let j = 0; j < r; j++) {
        let s = 0;
        for (let a = 0; a < A; a++) s += V[(c * r + j) * A + a] * x[a];
        y[j] = s;
      }
      rec.fill(0);
      for (let j = 0; j < r; j++) for (let a = 0; a < A; a++) rec[a] += y[j] * V[(c * r + j) * A + a];
      const eta = c0 / (n + n0);
      for (let j = 0; j < r; j++) for (let a = 0; a < A; a++) V[(c * r + j) * A + a] += eta * y[j] * (x[a] - rec[a]);
    }
  });
  let right = 0;
  for (const q of queries) {
    load(q);
    let best = 0;
    let bestS = -1;
    for (let c = 0; c < C; c++) {
      let S = 0;
      for (let j = 0; j < r; j++) {
        let s = 0;
        for (let a = 0; a < A; a++) s += V[(c * r + j) * A + a] * x[a];
        S += s * s;
      }
      if (S > bestS) {
        bestS = S;
        best = c;
      }
    }
    if (best === tr.labels[q]) right++;
  }
  console.log(
    `${o.dataset} train-split validation, Oja subspace r=${r} c=${c0} n0=${n0}: ${((100 * right) / queries.length).toFixed(2)}% of ${queries.length} queries; state ${((4 * C * r * A) / 1e3).toFixed(0)} kB f32; ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return 0;
}

runMain('hidden:oja', main);
