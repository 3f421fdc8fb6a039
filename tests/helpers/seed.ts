/**
 * The seed of a test file's random inputs. Every file uses a fixed seed, so `npm test` gives the
 * same result on every run; each file prints its seed in its describe name, so a failure message
 * names it. To explore other inputs, run with VSML_TEST_SEED=<u32> (every file then uses that seed).
 */
export function testSeed(fixed: number): number {
  const env = typeof process !== 'undefined' ? process.env.VSML_TEST_SEED : undefined;
  if (env === undefined || env === '') return fixed >>> 0;
  const n = Number(env);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32)
    throw new Error(`VSML_TEST_SEED must be an integer in [0, 2^32), got '${env}'`);
  return n;
}
