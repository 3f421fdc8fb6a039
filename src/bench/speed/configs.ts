/**
 * The learner configurations `npm run bench:speed` sweeps, from the small meta-training cells to
 * the paper's default, each with the full and the low-rank (rank 4) cell, and the image split each
 * one reads (raw 784-pixel MNIST, or 64 fixed pixels for the `ordered` preset's 64-input learner).
 */
import type { ImageSplit } from '../../data/dataset';
import { type VsmlConfig, validateVsmlConfig } from '../../spec/vsml-config';
import { presetConfig } from '../../meta/train-config';

export interface SpeedConfig {
  name: string;
  what: string;
  config: VsmlConfig;
  /** Learner counts of the default sweep on a software adapter / on a hardware GPU. */
  learners: { soft: number[]; hardware: number[] };
}

const lowrank = (c: VsmlConfig): VsmlConfig => validateVsmlConfig({ ...c, cell: { kind: 'lstm-lowrank', rank: 4 } });

const small = validateVsmlConfig({ projection: true, layers: [32, 10], hidden: 8, message: 4 });
const ordered = presetConfig('ordered').learner;
const paper = validateVsmlConfig({});

export const SPEED_CONFIGS: SpeedConfig[] = [
  {
    name: 'small',
    what: 'meta-training cell: projection 784 -> 32, VSML 32 -> 10, H 8, M 4, 2 ticks (bench:step tiny)',
    config: small,
    learners: { soft: [1, 16, 128], hardware: [1, 16, 256, 2048, 8192] },
  },
  {
    name: 'small-lowrank',
    what: 'small, low-rank cell (r 4)',
    config: lowrank(small),
    learners: { soft: [1, 16, 128], hardware: [1, 16, 256, 2048, 8192] },
  },
  {
    name: 'ordered',
    what: '--preset ordered learner: 64 -> 10, H 8, M 2, 1 tick, label feeding',
    config: ordered,
    learners: { soft: [1, 16, 128], hardware: [1, 16, 256, 2048, 8192] },
  },
  {
    name: 'default',
    what: "the paper's default: 784 -> 10, H 16, M 8, 2 ticks",
    config: paper,
    learners: { soft: [1, 4], hardware: [1, 16, 256, 1024] },
  },
  {
    name: 'default-lowrank',
    what: 'default, low-rank cell (r 4)',
    config: lowrank(paper),
    learners: { soft: [1, 4], hardware: [1, 16, 256, 1024] },
  },
];

/** Configurations of a run without --configs. */
export const DEFAULT_SPEED_CONFIGS = ['small', 'ordered', 'default', 'default-lowrank'];

export function speedConfig(name: string): SpeedConfig {
  const c = SPEED_CONFIGS.find((s) => s.name === name);
  if (!c) throw new Error(`unknown configuration '${name}' (known: ${SPEED_CONFIGS.map((s) => s.name).join(', ')})`);
  return c;
}

/**
 * The split a configuration reads: raw images when its inputSize is the image size, else (the
 * 64-input learner) an evenly spread grid of pixels (every third row and column of the centre),
 * standing in for the `ordered` preset's per-task pixel subsets.
 */
export function splitFor(config: VsmlConfig, split: ImageSplit): ImageSplit {
  const C = config.layers[config.layers.length - 1];
  // A learner with fewer outputs than the data has classes (the default preset's 2-way learner)
  // reads labels folded onto its outputs; only speed is measured, so which labels does not matter.
  const folded =
    split.numClasses > C
      ? { ...split, labels: split.labels.map((l) => l % C), numClasses: C, name: `${split.name} (labels mod ${C})` }
      : split;
  return pixelGrid(config, folded);
}

function pixelGrid(config: VsmlConfig, split: ImageSplit): ImageSplit {
  const n = split.rows * split.cols;
  if (config.inputSize === n) return split;
  const side = Math.round(Math.sqrt(config.inputSize));
  if (side * side !== config.inputSize || 3 * side > Math.min(split.rows, split.cols)) {
    throw new Error(`no pixel grid of ${config.inputSize} pixels in ${split.rows}x${split.cols} images`);
  }
  const r0 = Math.floor((split.rows - 3 * (side - 1)) / 2);
  const c0 = Math.floor((split.cols - 3 * (side - 1)) / 2);
  const pick: number[] = [];
  for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) pick.push((r0 + 3 * i) * split.cols + c0 + 3 * j);
  const images = new Uint8Array(split.count * pick.length);
  for (let e = 0; e < split.count; e++)
    for (let p = 0; p < pick.length; p++) images[e * pick.length + p] = split.images[e * n + pick[p]];
  return { ...split, name: `${split.name} (${side}x${side} pixel grid)`, rows: side, cols: side, images };
}
