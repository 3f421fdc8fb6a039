/**
 * Messages between the train page, its worker, and the headless driver (src/cli/train-browser.ts).
 * Everything is plain structured-cloneable data.
 */
import type { AdapterReport } from '../gpu/context';
import type { GenerationMetrics } from '../meta/trainer';
import type { TrainConfig } from '../meta/train-config';

export interface ProbeOptions {
  /** Run the probe every N generations (0: never; the last generation is always probed when > 0). */
  every: number;
  /** Class-sorted training examples per class the probe learner sees. */
  learnPerClass: number;
  /** Test images per class it is asked about. */
  testPerClass: number;
}

export const DEFAULT_PROBE: ProbeOptions = { every: 1, learnPerClass: 20, testPerClass: 20 };

export interface RunRequest {
  /** A fresh run's config, already validated. */
  config?: TrainConfig;
  /** Or a checkpoint file's text to continue from. */
  checkpointText?: string;
  /** With a checkpoint: a new total number of generations. */
  generations?: number;
  /** Absolute URL of the folder holding the MNIST IDX files. */
  dataBase: string;
  probe: ProbeOptions;
  /** Send every checkpoint's text with the 'checkpoint' event (headless runs write them to disk). */
  emitCheckpoints: boolean;
}

export interface ProbeResult {
  generation: number;
  /** Classes played (0..classes-1). */
  classes: number;
  perClass: number[];
  accuracy: number;
  /** Online accuracy during the class-sorted learning stream. */
  onlineAccuracy: number;
  ms: number;
}

export type RunEvent =
  | { type: 'status'; message: string }
  | {
      type: 'started';
      generation: number;
      total: number;
      describe: string;
      dim: number;
      config: TrainConfig;
      trainName: string;
      trainCount: number;
    }
  | { type: 'generation'; metrics: GenerationMetrics; elapsedMs: number }
  | { type: 'probe'; probe: ProbeResult }
  | { type: 'checkpoint'; generation: number; text?: string }
  | { type: 'paused'; generation: number }
  | { type: 'resumed'; generation: number }
  | { type: 'finished'; outcome: 'completed' | 'stopped'; generation: number }
  | { type: 'error'; name: string; message: string };

export type InitResult = { ok: true; adapter: AdapterReport; describe: string } | { ok: false; message: string };

export interface ShareResult {
  fragment: string;
  /** What was shared: a training checkpoint or a class-mean rule file. */
  source: 'checkpoint' | 'rule';
  sizes: { wireBytes: number; bodyBytes: number; fragmentChars: number };
  /** The shared parameters equal the run's bit for bit (GA chains, f32; int16 rarely, int8 never). */
  exact: boolean;
  /** Generation of a checkpoint (0 for a rule). */
  generation: number;
  /** The stream the replay plays by default. */
  stream: 'benchmark' | 'episode';
}

export type LoadedFile = ({ kind: 'checkpoint' } & LoadedCheckpoint) | { kind: 'rule'; describe: string };

export interface LoadedCheckpoint {
  generation: number;
  generations: number;
  strategy: string;
  config: TrainConfig;
}

export interface TrainWorkerApi {
  init(): Promise<InitResult>;
  run(req: RunRequest, onEvent: (e: RunEvent) => void): Promise<'completed' | 'stopped'>;
  pause(): void;
  resume(): void;
  stop(): void;
  /**
   * Make a checkpoint file the current state (to download, share, or continue with run()), or a
   * class-mean rule file (`npm run evolve:rule`'s rule.json) the learner that Share shares.
   */
  loadCheckpoint(text: string): LoadedFile;
  /** The run's current checkpoint as text (null before a run started). */
  checkpointText(): string | null;
  /** A share link fragment for the current learner. */
  share(bits?: 8 | 16 | 32): Promise<ShareResult>;
}

/** What the train page exposes as `window.vsmlApp`, for the headless driver and the browser tests. */
export interface StartOptions {
  config?: unknown;
  checkpointText?: string;
  generations?: number;
  probe?: ProbeOptions;
  emitCheckpoints?: boolean;
}

export interface TrainPageApi {
  ready: Promise<InitResult>;
  start(opts?: StartOptions): Promise<'completed' | 'stopped'>;
  pause(): unknown;
  resume(): unknown;
  stop(): unknown;
  checkpointText(): Promise<string | null>;
  share(bits?: 8 | 16 | 32): Promise<ShareResult & { url: string }>;
  phase(): string;
  generations(): number;
}
