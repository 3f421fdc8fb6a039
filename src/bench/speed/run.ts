/**
 * `npm run bench:speed`, the measurement itself: runtime-agnostic (no Node imports), so the
 * Node CLI (src/cli/bench-speed.ts) and the browser page (demos/speed.html) run the same code.
 *
 * For each configuration (src/bench/speed/configs.ts) and learner count:
 *  - our kernels: learner-example-steps per second (learning and queries) and GFLOP/s from the
 *    analytic cost model (src/spec/cost-model.ts), via src/bench/step-measure.ts (bench:step's
 *    measurement); medians over `repeats` timed episodes after a warm-up episode. The rates are
 *    marginal, (t(N) - t(1)) / (N - 1) against a 1-step episode (a one-batch one for queries): the
 *    cost model counts the steps, not the episode's initial state and readback, which are
 *    reported beside them (per-episode ms, and the whole-episode rate);
 *  - the TensorFlow.js peer on the same device (src/bench/speed/tfjs-vsml.ts): learning steps per
 *    second, median of `repeats` after two warm-up steps, and ours / TensorFlow.js;
 *  - the Python peer (src/bench/speed/python-peer.ts, given by the Node caller): the same step in
 *    JAX or numpy on the CPU, same protocol as TensorFlow.js's, and ours / python; per
 *    configuration its outputs against the float64 reference, a mismatch failing the run;
 *  - the fraction of the adapter's FMA ceiling and (for the state traffic, 2 x state bytes per
 *    learning step, a lower bound of what a step moves) of its copy bandwidth.
 * Per configuration, one short check that ours, TensorFlow.js and the float64 reference agree.
 * The adapter's ceilings are measured at the start and at the end (their medians over both, so a
 * load change on a shared machine shows in the runs). Then whole generations of the presets.
 * Every time is wall clock (submit to completion); see the report's `timing`.
 */
import type { ImageSplit } from '../../data/dataset';
import { type GpuImageSplit, uploadImageSplit } from '../../data/gpu-dataset';
import type { GpuContext } from '../../gpu/context';
import { vsmlCost } from '../../spec/cost-model';
import { describeVsmlConfig } from '../../spec/vsml-config';
import type { CellMapping } from '../../meta/cell-mapping';
import { measureStepSpeed, median, type WeightsOption } from '../step-measure';
import { type Ceilings, measureCeilings, measureFmaCeiling } from './ceilings';
import { DEFAULT_SPEED_CONFIGS, speedConfig, splitFor } from './configs';
import { type GenerationMeasurement, measureGeneration } from './generation';
import {
  type ExternalPeer,
  type ExternalPeerCheck,
  PEER_TOLERANCE,
  type PeerCheck,
  checkPeer,
  measurePeer,
} from './peer';
import { releaseTfjsWebgpu } from './tfjs-vsml';

export interface SpeedOptions {
  /** Configuration names (default DEFAULT_SPEED_CONFIGS). */
  configs?: string[];
  /** Learner counts for every configuration (default: each configuration's own list). */
  learners?: number[];
  /** Timed repeats per measurement (default 3). */
  repeats?: number;
  /** FLOPs one timed episode should take (sets the steps; default 0.3 GFLOP software, 20 GFLOP hardware). */
  targetFlops?: number;
  /** Steps per timed episode (overrides targetFlops). */
  steps?: number;
  /** Measure the TensorFlow.js peer (default true). */
  tfjs?: boolean;
  /** The ours / TensorFlow.js / reference check (default true; needs tfjs). */
  check?: boolean;
  /** Presets whose whole generation is timed (default ['ordered', 'default']). */
  generations?: string[];
  generationRepeats?: number;
  /** Seconds one timed TensorFlow.js run should last (default 1.5 on a software adapter, 0.5 on hardware). */
  tfjsSeconds?: number;
  /** Seconds one ceiling submission should last (default 0.3). */
  ceilingSeconds?: number;
  /** The adapter's nominal fp32 peak, GFLOP/s (from its datasheet), for a second fraction beside the measured FMA ceiling. */
  peakGflops?: number;
  /** Where peakGflops came from (e.g. the cpuinfo formula); absent: given with --peak-gflops. */
  peakSource?: string;
  weights?: WeightsOption;
  /** The private-weights input layer's mapping, for the steps and the generations (default 'auto': the planner's; training's per-run choice for generations). */
  mapping?: CellMapping;
  /** The Python peer (src/bench/speed/python-peer.ts; Node gives it, a page cannot). */
  python?: ExternalPeer;
  /** Why there is no Python peer (one line for the report), when there is none. */
  pythonMissing?: string;
  log?: (line: string) => void;
}

export interface SpeedRow {
  config: string;
  description: string;
  learners: number;
  steps: number;
  queries: number;
  flopsPerLearnExample: number;
  flopsPerQueryExample: number;
  stateBytes: number;
  plan: string;
  warmupSeconds: number;
  learnSeconds: number[];
  querySeconds: number[];
  /** Timed 1-step learning episodes and one-batch query episodes (the marginal rates' baselines). */
  learnBaseSeconds: number[];
  queryBaseSeconds: number[];
  /** Per learning episode, besides its steps: initial state, pack, projection signs, readback (ms). */
  episodeOverheadMs: number;
  /** Steps / whole timed episode (init and readback included). */
  learnEpisodeStepsPerSecond: number;
  /** learners / ((t(N) - t(1)) / (N - 1)), medians of the timed episodes ('marginal'), or steps / whole episode ('episode') where t(N) <= t(1). */
  learnStepsPerSecond: number;
  rateBasis: 'marginal' | 'episode';
  learnGflops: number;
  /** Marginal, as learnStepsPerSecond, against the one-batch episode. */
  queryStepsPerSecond: number;
  queryGflops: number;
  /** The FMA ceiling measured just before and just after this row (median of both). */
  fmaCeilingGflops: number;
  fmaCeilingRuns: number[];
  /** learnGflops / fmaCeilingGflops. */
  fmaFraction: number;
  /** learnGflops / options.peakGflops (NaN without). */
  peakFraction: number;
  /** 2 x state bytes per learning step (read + write), GB/s. */
  stateGBps: number;
  /** stateGBps / the copy ceiling. */
  copyFraction: number;
  tfjs?: {
    steps: number;
    warmupSeconds: number;
    learnSeconds: number[];
    learnStepsPerSecond: number;
    learnGflops: number;
    fmaFraction: number;
  };
  /** Ours / TensorFlow.js, learning steps per second. */
  oursOverTfjs?: number;
  python?: {
    steps: number;
    warmupSeconds: number;
    learnSeconds: number[];
    learnStepsPerSecond: number;
    learnGflops: number;
  };
  /** Ours / the Python peer, learning steps per second. */
  oursOverPython?: number;
}

export interface SpeedReport {
  benchmark: 'bench:speed';
  version: 1;
  date: string;
  adapter: string;
  adapterInfo: { vendor: string; architecture: string; description: string; isFallback: boolean; runtime: string };
  timing: 'wall-clock';
  /** Filled in by the caller (Node: load average, CPUs, command line; browser: user agent). */
  environment: Record<string, unknown>;
  options: Omit<SpeedOptions, 'log' | 'python' | 'pythonMissing'>;
  /** The Python peer's backend, or why it did not run (absent in reports from before it). */
  python?: { description: string } | { skipped: string };
  /** Its outputs against the float64 reference, per configuration. */
  pythonChecks?: (ExternalPeerCheck & { config: string; tolerance: number })[];
  ceilings: { fmaGflops: number; copyGBps: number; start: Ceilings; end?: Ceilings };
  rows: SpeedRow[];
  checks: (PeerCheck & { config: string })[];
  generations: GenerationMeasurement[];
  notes: string[];
  seconds: number;
}

export interface SpeedData {
  train: ImageSplit;
  test: ImageSplit;
}

/** Seconds per step from timed episodes of n more steps than the baseline's (medians; NaN if not positive). */
function marginal(timed: number[], base: number[], n: number): number {
  const d = base.length && n > 0 ? (median(timed) - median(base)) / n : NaN;
  return d > 0 ? d : NaN;
}

export async function runSpeedBench(gpu: GpuContext, data: SpeedData, o: SpeedOptions = {}): Promise<SpeedReport> {
  const t0 = performance.now();
  const sink = o.log ?? (() => {});
  const log = (line: string) => sink(`[${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  const soft = gpu.report.isFallback;
  const repeats = Math.max(1, o.repeats ?? 3);
  const tfjs = o.tfjs ?? true;
  const check = tfjs && (o.check ?? true);
  const targetFlops = o.targetFlops ?? (soft ? 0.3e9 : 20e9);
  const configs = (o.configs ?? DEFAULT_SPEED_CONFIGS).map(speedConfig);
  const presets = o.generations ?? ['ordered', 'default'];
  const ceilingSeconds = o.ceilingSeconds ?? 0.3;
  const tfjsSeconds = o.tfjsSeconds ?? (soft ? 1.5 : 0.5);
  const notes: string[] = [];

  log(`adapter: ${gpu.describe()}`);
  log('ceilings (start)...');
  const start = await measureCeilings(gpu, { repeats, targetSeconds: ceilingSeconds });
  log(`  FMA ${start.fmaGflops.toFixed(2)} GFLOP/s, copy ${start.copyGBps.toFixed(2)} GB/s`);
  // A step row's FMA fraction is against the ceiling measured beside it; the copy fraction and
  // the generations' use the medians over start and end.
  const rows: SpeedRow[] = [];
  const checks: (PeerCheck & { config: string })[] = [];
  const pythonChecks: (ExternalPeerCheck & { config: string; tolerance: number })[] = [];
  const python = o.python;
  if (python) log(`python peer: ${python.description}`);
  else if (o.pythonMissing) {
    log(`python peer skipped: ${o.pythonMissing}`);
    notes.push(`python peer skipped: ${o.pythonMissing}`);
  }
  const splits = new Map<
    number,
    { train: ImageSplit; test: ImageSplit; gTrain: GpuImageSplit; gTest: GpuImageSplit }
  >();
  try {
    for (const sc of configs) {
      const c = sc.config;
      let s = splits.get(c.inputSize);
      if (!s) {
        const train = splitFor(c, data.train);
        const test = splitFor(c, data.test);
        s = { train, test, gTrain: uploadImageSplit(gpu, train), gTest: uploadImageSplit(gpu, test) };
        splits.set(c.inputSize, s);
      }
      if (check) {
        log(`${sc.name}: check ours vs TensorFlow.js vs float64 reference...`);
        const r = await checkPeer(gpu, c, s.train);
        checks.push({ config: sc.name, ...r });
        log(
          `  worst scaled error: ours/TF.js ${r.oursVsTfjs.toExponential(1)}, ours/ref ${r.oursVsReference.toExponential(1)}, TF.js/ref ${r.tfjsVsReference.toExponential(1)}`,
        );
      }
      if (python) {
        log(`${sc.name}: check the Python peer vs the float64 reference...`);
        const r = await python.check(c, s.train);
        pythonChecks.push({ config: sc.name, ...r, tolerance: PEER_TOLERANCE });
        log(`  worst scaled error python/ref ${r.vsReference.toExponential(1)} (at ${r.where})`);
        if (!(r.vsReference < PEER_TOLERANCE))
          throw new Error(
            `the Python peer (${python.description}) disagrees with the float64 reference on ${sc.name}: worst scaled error ${r.vsReference.toExponential(2)} at ${r.where}, above ${PEER_TOLERANCE}; its speed would not be comparable`,
          );
      }
      for (const learners of o.learners ?? (soft ? sc.learners.soft : sc.learners.hardware)) {
        const flops = vsmlCost(c);
        const steps =
          o.steps ?? Math.min(256, Math.max(16, Math.ceil(targetFlops / (learners * flops.flopsPerLearnExample))));
        const queries = Math.max(steps, 32);
        log(
          `${sc.name} x ${learners}: ours (${steps} steps, ${queries} queries, ${repeats} repeats, and the 1-step / 1-batch episodes)...`,
        );
        // The FMA ceiling just before and just after this row: on a shared machine its speed drifts
        // within a run, and the row's fraction is against the ceiling of its own minutes.
        const before = await measureFmaCeiling(gpu, { repeats, targetSeconds: ceilingSeconds });
        const m = await measureStepSpeed(gpu, c, {
          learners,
          steps,
          queries,
          repeats,
          weights: o.weights,
          mapping: o.mapping,
          train: s.gTrain,
          test: s.gTest,
          baseline: true,
        });
        const after = await measureFmaCeiling(gpu, { repeats, targetSeconds: ceilingSeconds });
        const rowCeiling = median([...before.fmaRuns, ...after.fmaRuns]);
        // Marginal rates (step-measure.ts): the steps without the episode's init and readback.
        // Where the difference is not positive (too few steps for the timing noise), the
        // whole-episode rate stands in (a lower bound), and rateBasis says so.
        const learnStep = marginal(m.learnSeconds, m.learnBaseSeconds, steps - 1);
        const queryStep = marginal(m.querySeconds, m.queryBaseSeconds, queries - m.queryBatch);
        const learnEpisodeRate = (learners * steps) / median(m.learnSeconds);
        const isMarginal = Number.isFinite(learnStep);
        const learnRate = isMarginal ? learners / learnStep : learnEpisodeRate;
        const queryRate = Number.isFinite(queryStep)
          ? learners / queryStep
          : (learners * queries) / median(m.querySeconds);
        const episodeMs = isMarginal ? 1000 * (median(m.learnBaseSeconds) - learnStep) : NaN;
        const learnGflops = (learnRate * m.cost.flopsPerLearnExample) / 1e9;
        const row: SpeedRow = {
          config: sc.name,
          description: describeVsmlConfig(c),
          learners,
          steps,
          queries,
          flopsPerLearnExample: m.cost.flopsPerLearnExample,
          flopsPerQueryExample: m.cost.flopsPerQueryExample,
          stateBytes: m.cost.stateBytes,
          plan: m.plan,
          warmupSeconds: m.warmupSeconds,
          learnSeconds: m.learnSeconds,
          querySeconds: m.querySeconds,
          learnBaseSeconds: m.learnBaseSeconds,
          queryBaseSeconds: m.queryBaseSeconds,
          episodeOverheadMs: episodeMs,
          learnEpisodeStepsPerSecond: learnEpisodeRate,
          rateBasis: isMarginal ? 'marginal' : 'episode',
          learnStepsPerSecond: learnRate,
          learnGflops,
          queryStepsPerSecond: queryRate,
          queryGflops: (queryRate * m.cost.flopsPerQueryExample) / 1e9,
          fmaCeilingGflops: rowCeiling,
          fmaCeilingRuns: [...before.fmaRuns, ...after.fmaRuns],
          fmaFraction: learnGflops / rowCeiling,
          peakFraction: NaN,
          stateGBps: (learnRate * 2 * m.cost.stateBytes) / 1e9,
          copyFraction: NaN,
        };
        log(
          `  ${learnRate.toFixed(1)} learner-steps/s, ${row.learnGflops.toFixed(3)} GFLOP/s (${(100 * row.fmaFraction).toFixed(1)}% of FMA ${rowCeiling.toFixed(2)}); whole episodes ${row.learnEpisodeStepsPerSecond.toFixed(1)} learner-steps/s, ${episodeMs.toFixed(1)} ms per episode besides its steps`,
        );
        if (tfjs) {
          log(
            `${sc.name} x ${learners}: TensorFlow.js (${repeats} repeats of up to ${steps} steps, about ${tfjsSeconds} s each)...`,
          );
          const p = await measurePeer(gpu, c, s.train, learners, steps, repeats, tfjsSeconds);
          row.tfjs = {
            steps: p.steps,
            warmupSeconds: p.warmupSeconds,
            learnSeconds: p.learnSeconds,
            learnStepsPerSecond: p.learnStepsPerSecond,
            learnGflops: (p.learnStepsPerSecond * m.cost.flopsPerLearnExample) / 1e9,
            fmaFraction: NaN,
          };
          row.oursOverTfjs = learnRate / p.learnStepsPerSecond;
          log(
            `  TF.js ${p.steps} steps: ${p.learnStepsPerSecond.toFixed(1)} learner-steps/s; ours / TF.js = ${row.oursOverTfjs.toFixed(2)}`,
          );
        }
        if (python) {
          log(
            `${sc.name} x ${learners}: Python peer (${repeats} repeats of up to ${steps} steps, about ${tfjsSeconds} s each)...`,
          );
          const p = await python.measure(c, s.train, learners, steps, repeats, tfjsSeconds);
          row.python = {
            steps: p.steps,
            warmupSeconds: p.warmupSeconds,
            learnSeconds: p.learnSeconds,
            learnStepsPerSecond: p.learnStepsPerSecond,
            learnGflops: (p.learnStepsPerSecond * m.cost.flopsPerLearnExample) / 1e9,
          };
          row.oursOverPython = learnRate / p.learnStepsPerSecond;
          log(
            `  python ${p.steps} steps: ${p.learnStepsPerSecond.toFixed(1)} learner-steps/s; ours / python = ${row.oursOverPython.toFixed(2)}`,
          );
        }
        rows.push(row);
      }
    }
  } finally {
    for (const s of splits.values()) {
      s.gTrain.destroy();
      s.gTest.destroy();
    }
    if (tfjs) releaseTfjsWebgpu();
  }

  const generations: GenerationMeasurement[] = [];
  for (const preset of presets) {
    log(`generation: --preset ${preset} (1 warm-up + ${o.generationRepeats ?? 3} timed)...`);
    const g = await measureGeneration(gpu, preset, data.train, 1, o.generationRepeats ?? 3, o.mapping);
    generations.push(g);
    log(`  ${g.medianMs.total.toFixed(0)} ms per generation (episodes ${g.medianMs.episodes.toFixed(0)} ms)`);
  }
  if (presets.length) {
    notes.push('generations: validation runs off (they are not per-generation work); ranking time is part of update');
    notes.push(
      "generations: GFLOP/s counts the cost model's FLOPs of every step; raw-pixel query batches skip zero inputs, so there it exceeds the arithmetic done",
    );
  }

  log('ceilings (end)...');
  const end = await measureCeilings(gpu, { repeats, targetSeconds: ceilingSeconds });
  const fmaGflops = median([...start.fmaRuns, ...end.fmaRuns]);
  const copyGBps = median([...start.copyRuns, ...end.copyRuns]);
  const peak = o.peakGflops ?? NaN;
  for (const g of generations) {
    g.fmaFraction = g.gflops / fmaGflops;
    g.peakFraction = g.gflops / peak;
  }
  for (const r of rows) {
    r.peakFraction = r.learnGflops / peak;
    r.copyFraction = r.stateGBps / copyGBps;
    if (r.tfjs) r.tfjs.fmaFraction = r.tfjs.learnGflops / r.fmaCeilingGflops;
  }
  const { log: _log, python: _python, pythonMissing, ...options } = o;
  void _log;
  void _python;
  const a = gpu.report;
  return {
    benchmark: 'bench:speed',
    version: 1,
    date: new Date().toISOString(),
    adapter: gpu.describe(),
    adapterInfo: {
      vendor: a.vendor,
      architecture: a.architecture,
      description: a.description,
      isFallback: a.isFallback,
      runtime: a.runtime,
    },
    timing: 'wall-clock',
    environment: {},
    options: {
      ...options,
      repeats,
      targetFlops,
      tfjs,
      check,
      generations: presets,
      configs: configs.map((c) => c.name),
    },
    ...(python
      ? { python: { description: python.description } }
      : pythonMissing
        ? { python: { skipped: pythonMissing } }
        : {}),
    ceilings: { fmaGflops, copyGBps, start, end },
    rows,
    checks,
    pythonChecks,
    generations,
    notes,
    seconds: (performance.now() - t0) / 1000,
  };
}
