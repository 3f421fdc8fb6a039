/** The library surface in Node: everything of ./index.ts plus datasets and checkpoints on disk. */
export * from './index';
export { loadDataset, loadIdxDir } from './data/load-node';
export { loadCheckpointFile, saveCheckpointFile, writeFileAtomic } from './meta/node/io';
