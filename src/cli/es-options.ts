/**
 * The OpenAI-ES options the evolve:* commands share (generations, pairs, sigma, lr), declared once
 * with each command's own defaults so their --help reads the same.
 */
import type { OptionSpec } from './args';

export interface EsDefaults {
  generations: number;
  pairs: number;
  sigma: number;
  lr: number;
}

export function esOptions(d: EsDefaults) {
  const opt = (value: string, defaultText: string, description: string) =>
    ({ type: 'string', value, defaultText, description }) as const satisfies OptionSpec;
  return {
    generations: opt('N', String(d.generations), 'total generations (with --resume: extends the run)'),
    pairs: opt('N', String(d.pairs), 'antithetic pairs per generation'),
    sigma: opt('X', String(d.sigma), 'noise std of the perturbations'),
    lr: opt('X', String(d.lr), 'Adam learning rate'),
  };
}
