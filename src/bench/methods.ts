/**
 * Method specs for the scoreboard: `name[:key=value]...[@shuffled]`, e.g. `knn:k=3`,
 * `replay-mlp:buffer=5000`, `mlp@shuffled`. A method with `@shuffled` runs on the shuffled
 * stream and is reported as a reference, NOT as an OrderedMNIST result.
 */
import type { ProgressEvent } from './ordered-mnist';
import type { GpuContext } from '../gpu/context';
import {
  KNearestNeighbours,
  LOGREG_DEFAULTS,
  LogisticRegression,
  MLP_DEFAULTS,
  Mlp,
  KMEANS_DEFAULTS,
  NearestClassMean,
  PerClassKMeans,
  PerClassSubspace,
  REPLAY_DEFAULTS,
  ReplayLearner,
  SLDA_DEFAULTS,
  SgdLearner,
  StreamingLda,
  SUBSPACE_DEFAULTS,
} from '../inner/baselines';
import { cpuKnnBackend } from '../inner/baselines/knn';
import type { Learner, StreamShape } from '../inner/learner';
import { DEFAULT_HIDDEN_CONFIG } from '../spec/hidden-config';
import { DEFAULT_PIXEL_SEED, UNTRAINED_DEFAULTS } from './lstm-input';
import type { StreamOrder } from './ordered-mnist';

export interface MethodContext {
  /** Lazily acquired GPU (only methods that need one ask). */
  gpu(): Promise<GpuContext>;
  /** VSML checkpoint file or share string (--checkpoint). */
  checkpoint?: string;
  /** Default replay buffer size (--replay-buffer). */
  replayBuffer?: number;
  /** Progress of the method being created, for work the protocol cannot see (deferred GPU runs). */
  progress?: (p: ProgressEvent) => void;
}

export interface MethodSpec {
  /** The spec string as given, normalised (used as the row id). */
  id: string;
  name: string;
  params: Record<string, string>;
  /** Stream order forced by the spec (`@shuffled`), else the run's order. */
  order?: StreamOrder;
}

export interface MethodInfo {
  name: string;
  describe: string;
  /** Runs on the GPU (reported with the adapter). */
  gpu?: boolean;
  params: string[];
  create(shape: StreamShape, p: Record<string, string>, ctx: MethodContext): Learner | Promise<Learner>;
  /** One-line description of the configuration, for the table. */
  config(p: Record<string, string>, ctx: MethodContext): string;
}

function num(p: Record<string, string>, key: string, fallback: number): number {
  if (p[key] === undefined) return fallback;
  const v = Number(p[key]);
  if (!Number.isFinite(v)) throw new Error(`parameter ${key}=${p[key]} is not a number`);
  return v;
}

const mlpOpts = (p: Record<string, string>) => ({
  hidden: num(p, 'hidden', MLP_DEFAULTS.hidden),
  learningRate: num(p, 'lr', MLP_DEFAULTS.learningRate),
  seed: num(p, 'seed', MLP_DEFAULTS.seed),
});
const logregOpts = (p: Record<string, string>) => ({ learningRate: num(p, 'lr', LOGREG_DEFAULTS.learningRate) });
const replayOpts = (p: Record<string, string>, ctx: MethodContext) => ({
  bufferSize: num(p, 'buffer', ctx.replayBuffer ?? REPLAY_DEFAULTS.bufferSize),
  replaySteps: num(p, 'steps', REPLAY_DEFAULTS.replaySteps),
  seed: num(p, 'seed', REPLAY_DEFAULTS.seed),
});

export const METHODS: Record<string, MethodInfo> = {
  ncm: {
    name: 'ncm',
    describe: 'nearest class mean',
    params: [],
    create: (s) => new NearestClassMean(s),
    config: () => 'running class means',
  },
  kmeans: {
    name: 'kmeans',
    describe: 'per-class online k-means (K prototypes per class, nearest prototype)',
    params: ['k'],
    create: (s, p) => new PerClassKMeans(s, { k: num(p, 'k', KMEANS_DEFAULTS.k) }),
    config: (p) => `K=${num(p, 'k', KMEANS_DEFAULTS.k)} per class, first K examples seed, 1/n moves`,
  },
  subspace: {
    name: 'subspace',
    describe: 'per-class incremental PCA subspace classifier (CCIPCA)',
    params: ['r'],
    create: (s, p) => new PerClassSubspace(s, { r: num(p, 'r', SUBSPACE_DEFAULTS.r) }),
    config: (p) => `r=${num(p, 'r', SUBSPACE_DEFAULTS.r)} directions per class, nearest affine subspace`,
  },
  knn: {
    name: 'knn',
    describe: 'k-nearest neighbours (stores every example)',
    params: ['k', 'backend'],
    create: async (s, p, ctx) => {
      const k = num(p, 'k', 1);
      if ((p.backend ?? 'cpu') === 'gpu') {
        const { gpuKnnBackend } = await import('../inner/baselines/knn-gpu');
        return new KNearestNeighbours(s, { k }, gpuKnnBackend(await ctx.gpu()));
      }
      return new KNearestNeighbours(s, { k }, cpuKnnBackend);
    },
    config: (p) => `k=${num(p, 'k', 1)}, L2 on raw pixels, ${(p.backend ?? 'cpu') === 'gpu' ? 'GPU' : 'CPU'} distances`,
  },
  slda: {
    name: 'slda',
    describe: 'streaming LDA (shared covariance, shrinkage)',
    params: ['shrinkage'],
    create: (s, p) => new StreamingLda(s, { shrinkage: num(p, 'shrinkage', SLDA_DEFAULTS.shrinkage) }),
    config: (p) => `shrinkage=${num(p, 'shrinkage', SLDA_DEFAULTS.shrinkage)}, Cholesky solve at freeze`,
  },
  'sgd-logreg': {
    name: 'sgd-logreg',
    describe: 'online SGD logistic regression',
    params: ['lr'],
    create: (s, p) => new SgdLearner(new LogisticRegression(s, logregOpts(p))),
    config: (p) => `lr=${logregOpts(p).learningRate}, 1 step/example`,
  },
  mlp: {
    name: 'mlp',
    describe: 'online SGD MLP (one hidden ReLU layer)',
    params: ['hidden', 'lr', 'seed'],
    create: (s, p) => new SgdLearner(new Mlp(s, mlpOpts(p))),
    config: (p) => {
      const o = mlpOpts(p);
      return `d-${o.hidden}-C, lr=${o.learningRate}, 1 step/example`;
    },
  },
  'replay-mlp': {
    name: 'replay-mlp',
    describe: 'online SGD MLP + reservoir replay buffer',
    params: ['hidden', 'lr', 'seed', 'buffer', 'steps'],
    create: (s, p, ctx) => new ReplayLearner(new Mlp(s, mlpOpts(p)), replayOpts(p, ctx)),
    config: (p, ctx) => {
      const o = mlpOpts(p);
      const r = replayOpts(p, ctx);
      return `d-${o.hidden}-C, lr=${o.learningRate}, buffer ${r.bufferSize}, ${r.replaySteps} replays/example`;
    },
  },
  // The hidden-layer VSML-style learner (GPU): loaded on demand, so this table stays free of GPU code.
  'vsml-hidden': {
    name: 'vsml-hidden',
    describe: 'hidden-layer VSML-style learner (784-H-10 cells, shared meta-parameters, GPU)',
    gpu: true,
    params: ['hidden', 'aggregation', 'params', 'stateSeed'],
    create: async (s, p, ctx) => (await import('./hidden-adapter')).createHiddenLearner(s, p, ctx),
    config: (p) =>
      `H=${p.hidden ?? DEFAULT_HIDDEN_CONFIG.hidden}, ${p.aggregation ?? DEFAULT_HIDDEN_CONFIG.aggregation} aggregation, meta-parameters ${p.params ?? 'designed'}`,
  },
  // The black-box LSTM meta-learner (GPU), loaded on demand like vsml-hidden.
  lstm: {
    name: 'lstm',
    describe: 'black-box LSTM meta-learner (checkpoint=FILE trained, or hidden=H UNTRAINED; GPU)',
    gpu: true,
    params: ['checkpoint', 'hidden', 'inputs', 'seed', 'pixelSeed'],
    create: async (s, p, ctx) => (await import('./lstm-adapter')).createLstmLearner(s, p, ctx),
    config: (p) =>
      p.checkpoint !== undefined
        ? `checkpoint ${p.checkpoint}, pixel seed ${p.pixelSeed ?? DEFAULT_PIXEL_SEED}`
        : `UNTRAINED random init: H=${p.hidden ?? '?'}, ${p.inputs ?? UNTRAINED_DEFAULTS.inputs} pixels, init seed ${p.seed ?? UNTRAINED_DEFAULTS.seed}, pixel seed ${p.pixelSeed ?? DEFAULT_PIXEL_SEED}`,
  },
  'replay-logreg': {
    name: 'replay-logreg',
    describe: 'online SGD logistic regression + reservoir replay buffer',
    params: ['lr', 'seed', 'buffer', 'steps'],
    create: (s, p, ctx) => new ReplayLearner(new LogisticRegression(s, logregOpts(p)), replayOpts(p, ctx)),
    config: (p, ctx) => {
      const r = replayOpts(p, ctx);
      return `lr=${logregOpts(p).learningRate}, buffer ${r.bufferSize}, ${r.replaySteps} replays/example`;
    },
  },
};

/** The default scoreboard: every baseline of the issue, plus the shuffled references. */
export const DEFAULT_METHODS = [
  'ncm',
  'kmeans:k=1',
  'kmeans:k=5',
  'kmeans:k=10',
  'kmeans:k=20',
  'subspace:r=5',
  'subspace:r=20',
  'knn:k=1',
  'knn:k=3',
  'slda',
  'sgd-logreg',
  'mlp',
  'replay-mlp',
  'sgd-logreg@shuffled',
  'mlp@shuffled',
];

export function parseMethod(spec: string): MethodSpec {
  let s = spec.trim();
  let order: StreamOrder | undefined;
  const at = s.indexOf('@');
  if (at >= 0) {
    const o = s.slice(at + 1);
    if (o !== 'shuffled' && o !== 'sorted') throw new Error(`method '${spec}': order must be @sorted or @shuffled`);
    order = o;
    s = s.slice(0, at);
  }
  const [name, ...kv] = s.split(':');
  const info = METHODS[name];
  if (!info && name !== 'vsml')
    throw new Error(`unknown method '${name}' (known: ${[...Object.keys(METHODS), 'vsml'].join(', ')})`);
  const params: Record<string, string> = {};
  let label: string | undefined;
  for (const item of kv) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`method '${spec}': parameter '${item}' is not key=value`);
    const key = item.slice(0, eq);
    // label=NAME (any method): the row's id, so two rows of one method can sit on one scoreboard.
    if (key === 'label') {
      label = item.slice(eq + 1);
      if (!/^[\w.+-]{1,40}$/.test(label))
        throw new Error(`method '${spec}': label must be 1-40 letters, digits or . _ + -`);
      continue;
    }
    if (info && !info.params.includes(key))
      throw new Error(`method '${name}' has no parameter '${key}' (has: ${info.params.join(', ') || 'none'})`);
    params[key] = item.slice(eq + 1);
  }
  return {
    id: label === undefined ? spec.trim() : `${label}${order && order !== 'sorted' ? `@${order}` : ''}`,
    name,
    params,
    order,
  };
}

/** Split a --methods list: commas separate methods. */
export function parseMethodList(list: string): MethodSpec[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseMethod);
}
