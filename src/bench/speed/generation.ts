/**
 * One whole ES/GA generation end to end, as `npm run train --preset <name>` runs it (Trainer.step:
 * task sampling and upload, population build from the noise, episodes, then the strategy's tell =
 * fitness ranking + gradient estimate + Adam step), timed after `warmup` generations (pipeline
 * compilation); medians over `repeats` generations. The preset's validation runs are switched
 * off: they are not part of a generation's work (they run every N generations).
 *
 * Ranking is inside the strategy's tell; its own time is measured separately, on the same number
 * of fitness values, with the same shaping function (src/meta/fitness-shaping.ts).
 */
import type { ImageSplit } from '../../data/dataset';
import type { GpuContext } from '../../gpu/context';
import { vsmlCost } from '../../spec/cost-model';
import type { CellMapping } from '../../meta/cell-mapping';
import { shapeFitness } from '../../meta/fitness-shaping';
import { presetConfig } from '../../meta/train-config';
import { Trainer } from '../../meta/trainer';
import { median } from '../step-measure';

export interface GenerationPhases {
  tasks: number;
  build: number;
  episodes: number;
  /** Fitness shaping alone (part of `update`). */
  rank: number;
  /** The strategy's tell: ranking, gradient estimate, optimiser step. */
  update: number;
  /** total - (tasks + build + episodes + update): metrics, bookkeeping. */
  other: number;
  total: number;
}

export interface GenerationMeasurement {
  preset: string;
  /** The cell mapping asked for (src/meta/cell-mapping.ts; absent in reports from before it). */
  mapping?: CellMapping;
  strategy: string;
  members: number;
  tasksPerMember: number;
  learnLength: number;
  queryLength: number;
  learnerSteps: number;
  warmup: number;
  repeats: number;
  warmupMs: number;
  /** Medians over the timed generations, milliseconds. */
  medianMs: GenerationPhases;
  runsMs: GenerationPhases[];
  /** Learner example steps per second of the whole generation (median total). */
  learnerStepsPerSecond: number;
  /** FLOPs of the generation's episodes by the cost model (learning and query steps). */
  flops: number;
  /** flops / median total time: the whole generation, host phases included. */
  gflops: number;
  /** gflops / the run's FMA ceiling (filled in by runSpeedBench). */
  fmaFraction: number;
  /** gflops / the nominal peak given with --peak-gflops (NaN without). */
  peakFraction: number;
  timing: 'wall-clock';
}

export async function measureGeneration(
  gpu: GpuContext,
  preset: string,
  train: ImageSplit,
  warmup = 1,
  repeats = 3,
  mapping: CellMapping = 'auto',
): Promise<GenerationMeasurement> {
  const base = presetConfig(preset);
  const config = {
    ...base,
    generations: warmup + repeats,
    checkpointEvery: 0,
    validation: { ...base.validation, every: 0 },
  };
  const trainer = Trainer.create(gpu, config, train, { evaluatorOptions: { mapping } });
  try {
    const t0 = performance.now();
    for (let g = 0; g < warmup; g++) await trainer.step();
    const warmupMs = performance.now() - t0;
    const runsMs: GenerationPhases[] = [];
    let members = 0;
    let learnerSteps = 0;
    for (let g = 0; g < repeats; g++) {
      const m = await trainer.step();
      members = m.members;
      learnerSteps = m.learnerSteps;
      const fitness = Float64Array.from({ length: m.members }, (_, i) => (Math.sin(i * 12.9898 + g) * 43758.5453) % 1);
      const tr = performance.now();
      for (let k = 0; k < 10; k++) shapeFitness('centred-ranks', fitness);
      const rank = (performance.now() - tr) / 10;
      const t = m.timeMs;
      runsMs.push({
        tasks: t.tasks,
        build: t.build,
        episodes: t.episodes,
        rank,
        update: t.update,
        other: t.total - (t.tasks + t.build + t.episodes + t.update),
        total: t.total,
      });
    }
    const med = (k: keyof GenerationPhases) => median(runsMs.map((r) => r[k]));
    const medianMs: GenerationPhases = {
      tasks: med('tasks'),
      build: med('build'),
      episodes: med('episodes'),
      rank: med('rank'),
      update: med('update'),
      other: med('other'),
      total: med('total'),
    };
    const learnLength = learnerSteps / (members * config.tasks.tasksPerMember) - config.tasks.queryLength;
    const cost = vsmlCost(config.learner);
    const flops =
      members *
      config.tasks.tasksPerMember *
      (learnLength * cost.flopsPerLearnExample + config.tasks.queryLength * cost.flopsPerQueryExample);
    return {
      preset,
      mapping,
      strategy: config.strategy.kind,
      members,
      tasksPerMember: config.tasks.tasksPerMember,
      learnLength,
      queryLength: config.tasks.queryLength,
      learnerSteps,
      warmup,
      repeats,
      warmupMs,
      medianMs,
      runsMs,
      learnerStepsPerSecond: learnerSteps / (medianMs.total / 1000),
      flops,
      gflops: flops / (medianMs.total / 1000) / 1e9,
      fmaFraction: NaN,
      peakFraction: NaN,
      timing: 'wall-clock',
    };
  } finally {
    trainer.destroy();
  }
}
