/**
 * The hand-designed proof of existence for the hidden-layer learner (src/spec/hidden-config.ts):
 * meta-parameters that make its cells compute per-class online k-means with K = H / C prototypes
 * per class (the `kmeans:k=K` baseline, src/inner/baselines/kmeans.ts; the same rule as
 * src/inner/rules/competitive-hidden.ts), with the `max` aggregation:
 *
 *   fD = 1 (the rest of f 0):  d_h = mean_a (x_a - w_ha)^2, the distance to prototype h;
 *   g0 = 1, gD = -1:           s = 1 - d_h, so the max over h is the nearest prototype;
 *   bid = 2:                   a free unit (n = 0) scores s + 2 > 1 >= any taken unit's s, so a
 *                              class's first K examples seed its K units;
 *   rA = 1, rB = 0:            the winner's message is 1 / n (n counted after the example);
 *   uX = 1, uW = -1, u1 = 0:   w += rho (x - w): a seed copies x (rho = 1), later wins move the
 *                              prototype by 1/n (MacQueen's running mean);
 *   lambda = 1:                logit_b = max over class b's seeded units of 1 - d_h (nearest prototype).
 *
 * Only units owned by the labelled class can win, so later classes never move earlier classes'
 * prototypes: nothing is forgotten, whatever the class order. Which free unit takes a seed depends
 * on the random initial w, not the set of prototypes, so predictions equal the baseline's up to
 * f32 rounding near ties (tests/hidden-learner.test.ts).
 *
 * Rule files (`vsml-hidden:params=FILE`, written by `npm run evolve:hidden`): JSON
 * { "params": { "<name>": number, ... } } with every name of HIDDEN_PARAM_NAMES.
 */
import { z } from 'zod';
import { HIDDEN_PARAM_NAMES, type HiddenParamName, hiddenParamVector } from '../../spec/hidden-config';
import { num, parseOrThrow, strict } from '../../spec/schema';

export const HIDDEN_KMEANS_PARAMS: Record<HiddenParamName, number> = {
  fD: 1,
  fX: 0,
  fW: 0,
  f1: 0,
  f2: 0,
  uX: 1,
  uW: -1,
  u1: 0,
  g0: 1,
  gD: -1,
  bid: 2,
  rA: 1,
  rB: 0,
  lambda: 1,
};

export const hiddenKMeansParams = (): Float32Array => hiddenParamVector(HIDDEN_KMEANS_PARAMS);

const fileSchema = z.looseObject({
  params: strict(
    Object.fromEntries(HIDDEN_PARAM_NAMES.map((n) => [n, num(-1e6, 1e6)])) as Record<
      HiddenParamName,
      ReturnType<typeof num>
    >,
  ),
});

/** The meta-parameter vector of a rule file's text (`source` names it in errors). */
export function parseHiddenRuleFile(text: string, source: string): Float32Array {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`hidden rule file ${source}: not JSON (${(e as Error).message})`, { cause: e });
  }
  const parsed = parseOrThrow(
    fileSchema as unknown as z.ZodType<{ params: Record<HiddenParamName, number> }>,
    json,
    (field, message) => new Error(`hidden rule file ${source}: ${field}: ${message}`),
  );
  return hiddenParamVector(parsed.params);
}
