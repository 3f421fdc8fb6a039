/** Messages between the replay page and its worker. Plain structured-cloneable data. */
import type { VsmlConfig } from '../spec/vsml-config';
import type { LstmLearnerConfig } from '../spec/lstm-config';
import type { TrainConfig } from '../meta/train-config';
import type { DecodedLearner, ShareNote } from '../share';
import type { InitResult } from './train-messages';

export interface ShareSummary {
  vsml: VsmlConfig;
  describe: string;
  dim: number;
  learner: DecodedLearner;
  note: ShareNote;
  train?: TrainConfig;
  sizes: { wireBytes: number; bodyBytes: number; fragmentChars: number };
  stateSeed: number;
  stateBytes: number;
  outputs: number;
  /** A black-box LSTM learner (the link's config.lstm). */
  lstm?: LstmLearnerConfig;
  /** For a playable LSTM: which pixels it reads. */
  lstmInput?: string;
  /** Set when this page cannot replay the learner: the reason, shown instead of Play. */
  unplayable?: string;
}

export type DecodeOutcome = { ok: true; summary: ShareSummary } | { ok: false; code: string; message: string };

export interface PlayOptions {
  /** Absolute URL of the MNIST folder. */
  dataBase: string;
  /** Training examples per class in the class-sorted stream (0: all of them, i.e. full OrderedMNIST). */
  learnPerClass: number;
  /** Test images per class (0: all). */
  testPerClass: number;
  /** Send the stream's images to the page for display. */
  sendImages: boolean;
  /**
   * Example steps per GPU submission, i.e. how often progress (and the shown image) updates.
   * Small values stream smoothly; results do not depend on it. Default: the population's own.
   */
  stepsPerSubmit?: number;
  /** Echoed in every event of this play, so the page can drop events of an earlier one. */
  playId?: number;
}

export type ReplayEvent = { playId?: number } & (
  | { type: 'status'; message: string }
  | {
      type: 'stream';
      classes: number;
      learnCount: number;
      testCount: number;
      images: Uint8Array;
      labels: Uint8Array;
      rows: number;
      cols: number;
    }
  /** Example steps done of learn + test (learn steps come first). */
  | { type: 'progress'; done: number; total: number; learnCount: number }
);

export interface ReplayResult {
  classes: number;
  learnCount: number;
  testCount: number;
  testPredictions: number[];
  perClass: number[];
  accuracy: number;
  onlineAccuracy: number;
  ms: number;
  adapter: string;
}

export interface ReplayWorkerApi {
  decode(fragment: string): Promise<DecodeOutcome>;
  init(): Promise<InitResult>;
  /** Start loading the dataset before Play, so the first image shows at once. */
  preload(dataBase: string): Promise<void>;
  play(opts: PlayOptions, onEvent: (e: ReplayEvent) => void): Promise<ReplayResult>;
  /** The same play, for a parameter vector given directly (tests compare it with the link's). */
  playParams(vsml: VsmlConfig, params: Float32Array, stateSeed: number, opts: PlayOptions): Promise<ReplayResult>;
  decodedParams(): Float32Array | null;
}
