/**
 * Program descriptors of the hidden-layer learner's kernels (src/spec/hidden-config.ts has the
 * equations; src/inner/hidden-reference.ts the float64 reference of each kernel). Every constant of
 * the sources comes from the config and the meta-parameter layout there.
 *
 * One learning step of a population = forward, compete (writeQ = 1), backward, update, then the
 * shared step counter advances (vsml-advance). Queries = forward and compete (writeQ = 0) over
 * query rows, the state frozen. State layouts: w[l][h][a], own and count [l][h][b].
 */
import { type HiddenConfig, hiddenParamConstsWgsl } from '../spec/hidden-config';
import { cachedProgram, type Program } from './program';
import { fillWgsl, u } from '../wgsl/template';
import forwardTemplate from './hidden-forward.wgsl?raw';
import competeTemplate from './hidden-compete.wgsl?raw';
import backwardTemplate from './hidden-backward.wgsl?raw';
import updateTemplate from './hidden-update.wgsl?raw';

export const HIDDEN_WORKGROUP = 64;

export const FORWARD_PARAMS = [
  'rows',
  'firstRow',
  'perLearner',
  'stride',
  'useCtrl',
  'tasksPerMember',
  'gridX',
  'pad0',
] as const;
export const COMPETE_PARAMS = [
  'rows',
  'firstRow',
  'perLearner',
  'tasksPerMember',
  'writeQ',
  'gridX',
  'pad0',
  'pad1',
] as const;
export const BACKWARD_PARAMS = ['learners', 'stride', 'tasksPerMember', 'gridX'] as const;
export const UPDATE_PARAMS = BACKWARD_PARAMS;

const key = (c: HiddenConfig, wordsPerImage: number): string =>
  `${c.inputs}-${c.hidden}-${c.classes}-${c.aggregation}-${wordsPerImage}`;

function values(c: HiddenConfig, wordsPerImage: number) {
  return {
    CONSTS: hiddenParamConstsWgsl(),
    A: u(c.inputs),
    HU: u(c.hidden),
    C: u(c.classes),
    WPI: u(wordsPerImage),
    MAX: c.aggregation === 'max',
    MEAN: c.aggregation === 'mean',
    WG: HIDDEN_WORKGROUP,
    WG_U: u(HIDDEN_WORKGROUP),
  };
}

function program<U extends string>(
  name: string,
  template: string,
  uniforms: readonly U[],
  c: HiddenConfig,
  wordsPerImage: number,
): Program<U> {
  return cachedProgram(`${name}/${key(c, wordsPerImage)}`, () => ({
    label: name,
    code: fillWgsl(template, values(c, wordsPerImage), name),
    entryPoint: 'main',
    workgroupSize: HIDDEN_WORKGROUP,
    uniforms,
  }));
}

/** Bindings: params, images (u32, 4 pixels a word), idx, ctrl, w -> d[row][h]. Threads: rows * H. */
export const hiddenForwardProgram = (c: HiddenConfig, wordsPerImage: number) =>
  program('hidden-forward', forwardTemplate, FORWARD_PARAMS, c, wordsPerImage);

/** Bindings: params, d, own, count -> q[row][h][b] (writeQ), out[row][2C] = [Q, lambda P]. Threads: rows * C. */
export const hiddenCompeteProgram = (c: HiddenConfig) =>
  program('hidden-compete', competeTemplate, COMPETE_PARAMS, c, 0);

/** Bindings: params, labels, idx, ctrl, q, out, own, count (rw) -> rho[l][h]. Threads: learners * H. */
export const hiddenBackwardProgram = (c: HiddenConfig) =>
  program('hidden-backward', backwardTemplate, BACKWARD_PARAMS, c, 0);

/** Bindings: params, images, idx, ctrl, rho, w (rw). Threads: learners * A (each loops over h). */
export const hiddenUpdateProgram = (c: HiddenConfig, wordsPerImage: number) =>
  program('hidden-update', updateTemplate, UPDATE_PARAMS, c, wordsPerImage);
