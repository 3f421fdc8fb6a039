/**
 * Fitness shaping: turns raw fitness (higher is better) into update weights.
 *
 * Non-finite fitness (NaN, +inf, -inf) is a failed rollout: it always ranks worst, whatever its
 * sign, so a learner that overflows can never look like the best one.
 */

export type ShapingKind = 'centred-ranks' | 'z-score';

/** Fitness with every non-finite value replaced by -Infinity (so it sorts last). */
export function sanitizeFitness(fitness: ArrayLike<number>): Float64Array {
  const out = new Float64Array(fitness.length);
  for (let i = 0; i < fitness.length; i++) out[i] = Number.isFinite(fitness[i]) ? fitness[i] : -Infinity;
  return out;
}

export function countNonFinite(fitness: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < fitness.length; i++) if (!Number.isFinite(fitness[i])) n++;
  return n;
}

/**
 * Member indices from best to worst. Ties (including between failed members) keep index order,
 * so the ordering is a pure function of the fitness values.
 */
export function rankOrder(fitness: ArrayLike<number>): number[] {
  const f = sanitizeFitness(fitness);
  const idx = Array.from({ length: f.length }, (_, i) => i);
  idx.sort((a, b) => (f[b] > f[a] ? 1 : f[b] < f[a] ? -1 : a - b));
  return idx;
}

/**
 * Centred ranks in [-0.5, 0.5] (OpenAI ES): worst gets -0.5, best +0.5, linear in rank.
 * Tied values share the mean of their ranks, so the weights sum to exactly zero and a flat
 * fitness landscape gives a zero update instead of an arbitrary one.
 */
export function centredRanks(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  const out = new Float64Array(n);
  if (n < 2) return out;
  const f = sanitizeFitness(fitness);
  const asc = Array.from({ length: n }, (_, i) => i).sort((a, b) => (f[a] < f[b] ? -1 : f[a] > f[b] ? 1 : a - b));
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && f[asc[j + 1]] === f[asc[i]]) j++;
    const rank = (i + j) / 2; // mean rank of the tie group
    for (let k = i; k <= j; k++) out[asc[k]] = rank / (n - 1) - 0.5;
    i = j + 1;
  }
  return out;
}

/**
 * z-scores (f - mean) / std. Failed members get the worst finite fitness before standardising
 * (an infinite value would swamp every other weight); if nothing is finite or all values are
 * equal the weights are zero.
 */
export function zScores(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  const f = sanitizeFitness(fitness);
  let worst = Infinity;
  for (const v of f) if (v !== -Infinity && v < worst) worst = v;
  const out = new Float64Array(n);
  if (worst === Infinity) return out;
  for (let i = 0; i < n; i++) if (f[i] === -Infinity) f[i] = worst;
  let mean = 0;
  for (const v of f) mean += v;
  mean /= n;
  let var_ = 0;
  for (const v of f) var_ += (v - mean) ** 2;
  const std = Math.sqrt(var_ / n);
  if (!(std > 0)) return out;
  for (let i = 0; i < n; i++) out[i] = (f[i] - mean) / std;
  return out;
}

export function shapeFitness(kind: ShapingKind, fitness: ArrayLike<number>): Float64Array {
  return kind === 'z-score' ? zScores(fitness) : centredRanks(fitness);
}

/**
 * SNES / NES rank utilities: u_k = max(0, ln(n/2 + 1) - ln k) normalised to sum 1, minus 1/n
 * (k = 1 for the best). Only the better half gets positive weight.
 */
export function nesUtilities(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  const order = rankOrder(fitness);
  const raw = new Float64Array(n);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    raw[k] = Math.max(0, Math.log(n / 2 + 1) - Math.log(k + 1));
    sum += raw[k];
  }
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[order[k]] = raw[k] / sum - 1 / n;
  return out;
}

/** Summary statistics of a fitness vector over its finite entries. */
export interface FitnessSummary {
  best: number;
  mean: number;
  median: number;
  worst: number;
  /** Members whose fitness was NaN or infinite (excluded from the statistics above). */
  nonFinite: number;
}

export function summarizeFitness(fitness: ArrayLike<number>): FitnessSummary {
  const finite: number[] = [];
  for (let i = 0; i < fitness.length; i++) if (Number.isFinite(fitness[i])) finite.push(fitness[i]);
  finite.sort((a, b) => a - b);
  const n = finite.length;
  const nonFinite = fitness.length - n;
  if (n === 0) return { best: NaN, mean: NaN, median: NaN, worst: NaN, nonFinite };
  const median = n % 2 ? finite[(n - 1) / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
  return { best: finite[n - 1], mean: finite.reduce((a, b) => a + b, 0) / n, median, worst: finite[0], nonFinite };
}
