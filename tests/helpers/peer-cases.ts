/**
 * The configurations and seeded episodes the peer parity tests share (tfjs-peer.test.ts and
 * python-peer.test.ts): class-sorted streams of 3 of 10 classes, queries of the shown classes,
 * initial meta-parameters with non-zero LSTM biases, drawn in one fixed order from Philox.
 */
import type { ImageSplit } from '../../src/data/dataset';
import { classStream, learnerSeeds, sampleClasses } from '../../src/inner/episodes';
import { PhiloxStream } from '../../src/rng/philox';
import { type VsmlConfig, initMetaParams, metaParamLayout, validateVsmlConfig } from '../../src/spec/vsml-config';

export const PEER_CASES: { name: string; config: VsmlConfig; pooled: boolean }[] = [
  {
    name: 'full cell, projection 784 -> 8 -> 10, H 8, M 4, 2 ticks, label feeding',
    config: validateVsmlConfig({
      inputSize: 784,
      projection: true,
      projectionSeed: 77,
      layers: [8, 10],
      hidden: 8,
      message: 4,
      ticks: 2,
      labelFeeding: true,
    }),
    pooled: false,
  },
  {
    name: 'low-rank cell (r 3), 49 -> 6 -> 10, H 4, M 3, 1 tick',
    config: validateVsmlConfig({
      inputSize: 49,
      layers: [49, 6, 10],
      hidden: 4,
      message: 3,
      ticks: 1,
      cell: { kind: 'lstm-lowrank', rank: 3 },
      readout: { component: 2, bound: 3 },
    }),
    pooled: true,
  },
];

export interface PeerEpisode {
  /** Members, tasks per member, learners. */
  P: number;
  T: number;
  L: number;
  learnLength: number;
  queryLength: number;
  learnIndices: Uint32Array;
  queryIndices: Uint32Array;
  stateSeeds: Uint32Array;
  /** P members' meta-parameters, back to back. */
  params: Float32Array;
}

/** Case `ci`'s episode on `split` from `seed`. */
export function peerEpisode(config: VsmlConfig, ci: number, split: ImageSplit, seed: number): PeerEpisode {
  const P = 2;
  const T = 2;
  const L = P * T;
  const learnLength = 12;
  const queryLength = 6;
  const rng = new PhiloxStream(seed, ci);
  const learnIndices = new Uint32Array(L * learnLength);
  const queryIndices = new Uint32Array(L * queryLength);
  for (let l = 0; l < L; l++) {
    const classes = sampleClasses(rng, 10, 3);
    learnIndices.set(classStream(split, classes, 4, rng.int(20)), l * learnLength);
    for (let q = 0; q < queryLength; q++)
      queryIndices[l * queryLength + q] = classStream(split, [classes[q % 3]], 1, 30 + rng.int(40))[0];
  }
  const { stateSeeds } = learnerSeeds(seed + ci, L);
  const D = metaParamLayout(config).size;
  const params = new Float32Array(P * D);
  for (let m = 0; m < P; m++) {
    const p = initMetaParams(config, seed + 10 * ci + m);
    // Non-zero biases, so every parameter segment matters.
    const b = metaParamLayout(config).get('lstm.b');
    for (let i = 0; i < b.size; i++) p[b.offset + i] = 0.5 * (rng.next() - 0.5);
    params.set(p, m * D);
  }
  return { P, T, L, learnLength, queryLength, learnIndices, queryIndices, stateSeeds, params };
}
