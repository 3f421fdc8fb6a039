import { CLASS_MEAN_RULE, type ClassMeanRule } from '../../src/inner/rules/class-mean';

/** Two ink terms (constants of the size ES finds) with a readout that keeps y inside the bound. */
export const INK = [
  { a: 14.9, b: -9.75, w: 35.7, c: 0.23, gamma: 3.4 },
  { a: -12.5, b: 3.24, w: -13.3, c: 6.93, gamma: 2.34 },
];
export const INK_RULE: ClassMeanRule = { ...CLASS_MEAN_RULE, lambda: 200, offset: 1.75, ink: INK };
