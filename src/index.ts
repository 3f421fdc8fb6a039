/**
 * The library surface, for scripts of your own (browser or Node): define a learner and a task
 * set, meta-train it, benchmark the result. Node-only additions (datasets from disk, checkpoint
 * files) are in ./node.ts (`vsml-webgpu/node`). Deeper imports work too but are not a contract.
 */

// Random numbers: one counter-based generator, bit-identical in WGSL and TypeScript.
export { PhiloxStream } from './rng/philox';

// WebGPU runtime.
export { acquireGpu, type AcquireOptions } from './gpu/acquire';
export type { GpuContext } from './gpu/context';
export { GpuDeviceLostError, GpuLimitError, GpuUnavailableError, GpuValidationError } from './gpu/errors';

// Data and the OrderedMNIST stream.
export { type Dataset, type ImageSplit, pixelsPerImage, subsetSplit } from './data/dataset';
export { loadIdxUrl } from './data/load-url';
export { heldOutStream, orderedIndices, type OrderedStreamOptions } from './data/ordered-stream';

// The VSML learner spec.
export {
  DEFAULT_VSML_CONFIG,
  describeVsmlConfig,
  metaParamLayout,
  validateVsmlConfig,
  type VsmlConfig,
} from './spec/vsml-config';
export { vsmlCost, type VsmlCost } from './spec/cost-model';

// Kernels: the program pattern and its runner, for writing kernels of your own.
export { cachedProgram, type Program } from './kernels/program';
export { prepareKernel, runKernels, type KernelCall } from './kernels/runner';

// Learners: the batched GPU population, its float64 reference, the benchmark protocol on the GPU.
export { VsmlPopulation } from './inner/population';
export { VsmlReference } from './inner/reference';
export { evaluateOrdered, type OrderedEvaluation } from './inner/episodes';
export type { Learner } from './inner/learner';
export * as baselines from './inner/baselines/index';

// The outer loop.
export {
  DEFAULT_TRAIN_CONFIG,
  PRESETS,
  presetConfig,
  validateTrainConfig,
  type TrainConfig,
} from './meta/train-config';
export { type TaskConfig, TaskSampler } from './meta/tasks';
export { initStrategy, strategyFor, type StrategyConfig, type StrategyState } from './meta/strategies/index';
export { type GenerationMetrics, Trainer, trainLoop } from './meta/trainer';
export { type Checkpoint, decodeCheckpoint, deployLearner, encodeCheckpoint } from './meta/checkpoint';
export { evaluateHeldOut } from './meta/held-out';

// Share links.
export { decodeShare, encodeShare, shareUrl } from './share/index';

// The OrderedMNIST benchmark for any Learner.
export { runProtocol, type ProtocolResult } from './bench/ordered-mnist';
export { METHODS, parseMethod } from './bench/methods';
