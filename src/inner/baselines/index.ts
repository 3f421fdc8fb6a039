/** The baseline learners for OrderedMNIST (src/bench/methods.ts builds them from method specs). */
export { NearestClassMean } from './ncm';
export { KNearestNeighbours, cpuKnnBackend, vote, type KnnDistanceBackend } from './knn';
export { StreamingLda, SLDA_DEFAULTS, type SldaOptions } from './slda';
export { LogisticRegression, LOGREG_DEFAULTS, type LogRegOptions } from './sgd-logreg';
export { Mlp, MLP_DEFAULTS, type MlpOptions } from './mlp';
export { SgdLearner } from './sgd-learner';
export { ReplayLearner, REPLAY_DEFAULTS, type ReplayOptions } from './replay';
export type { SgdModel } from './sgd-model';
export { PerClassKMeans, KMEANS_DEFAULTS, type KMeansOptions } from './kmeans';
export { PerClassSubspace, SUBSPACE_DEFAULTS, type SubspaceOptions } from './subspace';
