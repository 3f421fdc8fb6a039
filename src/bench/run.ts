/** Runs a list of methods through the protocol and assembles the scoreboard (no I/O besides progress). */
import type { Dataset, ImageSplit } from '../data/dataset';
import { subsetSplit } from '../data/dataset';
import type { GpuContext } from '../gpu/context';
import { shapeOf, runProtocol, type ProgressEvent, type StreamOrder } from './ordered-mnist';
import { METHODS, type MethodContext, type MethodInfo, type MethodSpec } from './methods';
import type { ScoreRow, Scoreboard } from './scoreboard';

export interface RunOptions {
  order: StreamOrder;
  subset?: number;
  testSubset?: number;
  curvePerClass: number;
  shuffleSeed: number;
  checkpoint?: string;
  replayBuffer?: number;
  command: string;
  machine: string;
  /** Provides the GPU when a method needs one; the caller destroys it. */
  gpu: () => Promise<GpuContext>;
  /** Extra method implementations (the VSML adapter registers itself here). */
  extraMethods?: Record<string, MethodInfo>;
  onProgress?: (method: string, p: ProgressEvent) => void;
  onRow?: (row: ScoreRow) => void;
}

export function cpuAdapterName(): string {
  return `CPU (TypeScript on Node ${process.version})`;
}

/** Train / test splits after --subset: train = first N, test = first M (default proportional). */
export function benchSplits(
  ds: Dataset,
  subset?: number,
  testSubset?: number,
): { train: ImageSplit; test: ImageSplit } {
  if (!subset) return { train: ds.train, test: testSubset ? subsetSplit(ds.test, testSubset) : ds.test };
  const m = testSubset ?? Math.max(1, Math.round((subset * ds.test.count) / ds.train.count));
  return { train: subsetSplit(ds.train, subset), test: subsetSplit(ds.test, m) };
}

export async function runScoreboard(ds: Dataset, specs: MethodSpec[], opts: RunOptions): Promise<Scoreboard> {
  const t0 = performance.now();
  const { train, test } = benchSplits(ds, opts.subset, opts.testSubset);
  const shape = shapeOf(train);
  let gpuUsed: GpuContext | null = null;
  const ctx: MethodContext = {
    gpu: async () => (gpuUsed = await opts.gpu()),
    checkpoint: opts.checkpoint,
    replayBuffer: opts.replayBuffer,
  };
  const table = { ...METHODS, ...(opts.extraMethods ?? {}) };
  const rows: ScoreRow[] = [];
  for (const spec of specs) {
    const info = table[spec.name];
    if (!info)
      throw new Error(`method '${spec.name}' is not available${spec.name === 'vsml' ? ' (pass --checkpoint)' : ''}`);
    ctx.progress = (p) => opts.onProgress?.(spec.id, p);
    const learner = await info.create(shape, spec.params, ctx);
    const usesGpu = info.gpu || spec.params.backend === 'gpu';
    const order = spec.order ?? opts.order;
    try {
      const r = await runProtocol(learner, train, test, {
        order,
        shuffleSeed: opts.shuffleSeed,
        curvePerClass: opts.curvePerClass,
        onProgress: (p) => opts.onProgress?.(spec.id, p),
      });
      const row: ScoreRow = {
        id: spec.id,
        method: spec.name,
        describe: info.describe,
        config: learner.describeConfig?.() ?? info.config(spec.params, ctx),
        order,
        reference: order !== 'sorted',
        adapter: usesGpu && gpuUsed ? (gpuUsed as GpuContext).describe() : cpuAdapterName(),
        accuracy: r.accuracy,
        perClassAccuracy: r.perClassAccuracy,
        confusion: r.confusion,
        trainFlops: r.trainFlops,
        testFlops: r.testFlops,
        learnFlops: r.learnFlops,
        freezeFlops: r.freezeFlops,
        stateBytes: r.stateBytesTotal,
        stateBreakdown: r.stateBytes,
        algorithmBytes: r.algorithmBytesTotal,
        algorithmBreakdown: r.algorithmBytes,
        learnMs: r.learnMs,
        testMs: r.testMs,
        curve: r.curve,
        curveFlops: r.curveFlops,
        curveMs: r.curveMs,
      };
      rows.push(row);
      opts.onRow?.(row);
    } finally {
      learner.dispose?.();
    }
  }
  return {
    benchmark: 'OrderedMNIST protocol',
    dataset: ds.name,
    trainName: train.name,
    testName: test.name,
    trainCount: train.count,
    testCount: test.count,
    numClasses: train.numClasses,
    order: opts.order,
    curvePerClass: opts.curvePerClass,
    command: opts.command,
    date: new Date().toISOString(),
    machine: opts.machine,
    gpuAdapter: gpuUsed ? (gpuUsed as GpuContext).describe() : null,
    wallSeconds: (performance.now() - t0) / 1000,
    rows,
  };
}
