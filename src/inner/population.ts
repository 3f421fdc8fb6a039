/**
 * VsmlPopulation: a batch of L = members x tasksPerMember VSML learners (learner l = member * T +
 * task) stepped together on the GPU. Each learner has its own cell states, initial-state seed,
 * projection seed, label map and example stream; it reads the meta-parameters of its member from
 * a members x D f32 buffer (D = metaParamLayout(config).size).
 *
 * runEpisodes(): initialise every learner's state from its seed, present `learnLength` examples
 * one at a time (online prediction before the label, error feedback one step later), then answer
 * `queryLength` queries from the frozen state. Many steps are encoded per submission and nothing
 * is read back before the end; learners are split into groups, states into slabs and datasets
 * into pieces so that no binding, buffer or dispatch exceeds the context's (possibly lowered)
 * limits. Layouts: src/spec/plan.ts; kernels: docs/kernels.md.
 *
 * Where things live: planning (tiles, groups, submission sizes) in ./population-plan.ts and
 * ./plan.ts, buffers in ./population-buffers.ts, the dispatches of one step in
 * ./population-step.ts; this file holds the class, the episode's step loop and the readbacks.
 */
import type { GpuImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { encodeDispatch } from '../kernels/program';
import { type CellMode, cellProgram } from '../kernels/vsml-cell';
import { METRIC, METRIC_WORDS } from '../kernels/vsml-readout';
import type { VsmlCost } from '../spec/cost-model';
import { type PopulationPlan, packedLayout, stateVec4Index } from '../spec/plan';
import { BufferPool, type Group, allocateGroup } from './population-buffers';
import { type PopulationOptions, type PopulationShape, type RunPlan, planRun } from './population-plan';
import { type StepContext, buildStep, encodeInit } from './population-step';
import { type VsmlConfig, describeVsmlConfig, numClasses, validateVsmlConfig } from '../spec/vsml-config';

export type { PopulationOptions, PopulationShape } from './population-plan';

export interface EpisodeBatch {
  learnSplit: GpuImageSplit;
  querySplit: GpuImageSplit;
  learnLength: number;
  queryLength: number;
  /** L x learnLength example indices into learnSplit, in presentation order. */
  learnIndices: Uint32Array;
  /** L x queryLength indices into querySplit. */
  queryIndices: Uint32Array;
  /** L x numClasses: label shown = labelMap[l * C + trueLabel] (identity if absent). */
  labelMap?: Uint32Array;
  /** L: seed of each learner's fixed random input projection (config.projectionSeed if absent). */
  projectionSeeds?: Uint32Array;
  /** L: seed of each learner's initial cell state. */
  stateSeeds: Uint32Array;
}

export interface EpisodeMetrics {
  /** L: online predictions (made before the label is seen) that were right. */
  onlineCorrect: Uint32Array;
  /** L: sum of online cross-entropies (natural log). */
  onlineCrossEntropy: Float32Array;
  /** L: correct query answers. */
  queryCorrect: Uint32Array;
  /** L: sum of query cross-entropies. */
  queryCrossEntropy: Float32Array;
  /** L x queryLength predicted (shown) labels, when requested. */
  queryPredictions?: Uint32Array;
}

export interface RunOptions {
  wantPredictions?: boolean;
  /** Called as submissions finish: (example steps done per learner, total), learning then queries. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Profiling (src/cli/bench-profile.ts): the episode's init and the first step of each phase
   * run one dispatch per submission, each timed from submit to completion (wall clock) and
   * reported here; everything else runs as usual. Results are unchanged, the episode is slower.
   */
  onKernelTime?: (phase: 'init' | CellMode, label: string, ms: number) => void;
}

export class VsmlPopulation {
  readonly learners: number;
  readonly plan: PopulationPlan;
  readonly cost: VsmlCost;
  /** Floats per member in the meta-parameter buffer. */
  readonly paramsPerMember: number;
  readonly stepsPerSubmit: number;
  readonly queryStepsPerSubmit: number;
  private readonly run: RunPlan;
  private readonly pool: BufferPool;
  private readonly groups: Group[] = [];
  private destroyed = false;

  private constructor(
    readonly gpu: GpuContext,
    readonly config: VsmlConfig,
    readonly shape: PopulationShape,
    private readonly opts: PopulationOptions,
  ) {
    this.run = planRun(gpu, config, shape, opts);
    this.learners = this.run.learners;
    this.plan = this.run.plan;
    this.cost = this.run.cost;
    this.paramsPerMember = this.run.paramsPerMember;
    this.stepsPerSubmit = this.run.stepsPerSubmit;
    this.queryStepsPerSubmit = this.run.queryStepsPerSubmit;
    this.pool = new BufferPool(gpu, !!opts.poison);
    for (const g of this.plan.groups)
      this.groups.push(allocateGroup(this.pool, config, this.run, shape, g.first, g.count, g.slabs));
  }

  static create(
    gpu: GpuContext,
    config: VsmlConfig,
    shape: PopulationShape,
    opts: PopulationOptions = {},
  ): VsmlPopulation {
    return new VsmlPopulation(gpu, validateVsmlConfig(config), shape, opts);
  }

  /**
   * The column-mapped cell kernels (LayerPlan.columns) a population of `shape` would dispatch with
   * `columns: true`: what llvmpipe builds at their first dispatch (src/meta/cell-mapping.ts).
   * Empty where the plan maps no layer by columns (the GPU path, or no layer fits).
   */
  static columnKernels(
    gpu: GpuContext,
    config: VsmlConfig,
    shape: PopulationShape,
    opts: PopulationOptions = {},
  ): { key: string; code: string }[] {
    const c = validateVsmlConfig(config);
    const { plan } = planRun(gpu, c, shape, { ...opts, columns: true });
    const modes: [CellMode, number][] = [['learn', 1]];
    if (shape.queryLength > 0) modes.push(['query', plan.queryBatch]);
    return plan.layers
      .filter((lp) => lp.columns)
      .flatMap((lp) => modes.map(([mode, examples]) => cellProgram({ config: c, layer: lp, mode, examples })))
      .map((p) => ({ key: p.key, code: p.code }));
  }

  describe(): string {
    const p = this.plan;
    return (
      `${describeVsmlConfig(this.config)}, L=${this.learners} (${this.shape.members}x${this.shape.tasksPerMember}), ` +
      `${p.groups.length} group(s), tiles ${p.layers.map((l) => `${l.TA}x${l.TB}/${l.NC}`).join(' ')} (${p.layers[0].weights} weights${p.layers[0].weightLoop ? ', copied by a loop' : ''}${p.layers[0].columns && p.layers[0].cellBlock > 1 ? `, learning ${p.layers[0].cellBlock} cells per thread at once` : ''}), ` +
      `${this.stepsPerSubmit} steps/submit, query batch ${p.queryBatch}`
    );
  }

  private get stepContext(): StepContext {
    return {
      gpu: this.gpu,
      config: this.config,
      run: this.run,
      tasksPerMember: this.shape.tasksPerMember,
      pool: this.pool,
    };
  }

  private validateBatch(metaParams: GPUBuffer, b: EpisodeBatch): void {
    const L = this.learners;
    const c = this.config;
    const C = numClasses(c);
    const fail = (msg: string) => {
      throw new Error(`EpisodeBatch: ${msg}`);
    };
    if (b.learnLength !== this.shape.learnLength || b.queryLength !== this.shape.queryLength) {
      fail(
        `lengths ${b.learnLength}/${b.queryLength} differ from the population's ${this.shape.learnLength}/${this.shape.queryLength}`,
      );
    }
    if (b.learnIndices.length !== L * b.learnLength)
      fail(`learnIndices has ${b.learnIndices.length} entries, expected L x learnLength = ${L * b.learnLength}`);
    if (b.queryIndices.length !== L * b.queryLength)
      fail(`queryIndices has ${b.queryIndices.length} entries, expected L x queryLength = ${L * b.queryLength}`);
    if (b.stateSeeds.length !== L) fail(`stateSeeds has ${b.stateSeeds.length} entries, expected ${L}`);
    if (b.projectionSeeds && b.projectionSeeds.length !== L)
      fail(`projectionSeeds has ${b.projectionSeeds.length} entries, expected ${L}`);
    if (b.labelMap) {
      if (b.labelMap.length !== L * C) fail(`labelMap has ${b.labelMap.length} entries, expected L x ${C}`);
      for (const v of b.labelMap) if (v >= C) fail(`labelMap entry ${v} is not a class (< ${C})`);
    }
    for (const [name, split, idx] of [
      ['learn', b.learnSplit, b.learnIndices],
      ['query', b.querySplit, b.queryIndices],
    ] as const) {
      if (idx.length === 0) continue;
      if (split.pixels !== c.inputSize)
        fail(`${name}Split has ${split.pixels} pixels per image, the config's inputSize is ${c.inputSize}`);
      if (split.numClasses > C) fail(`${name}Split has ${split.numClasses} classes, the learner outputs ${C}`);
      for (const i of idx)
        if (i >= split.count) fail(`${name}Indices entry ${i} is outside ${name}Split (${split.count} examples)`);
    }
    const need = this.shape.members * this.paramsPerMember * 4;
    if (metaParams.size < need)
      fail(`metaParams buffer holds ${metaParams.size} bytes, needs members x D x 4 = ${need}`);
  }

  /** Run every learner's episode: learning phase, then queries from the frozen state. */
  async runEpisodes(metaParams: GPUBuffer, batch: EpisodeBatch, opts: RunOptions = {}): Promise<EpisodeMetrics> {
    if (this.destroyed) throw new Error('VsmlPopulation was destroyed');
    this.validateBatch(metaParams, batch);
    const gpu = this.gpu;
    const c = this.config;
    const C = numClasses(c);
    const want = !!opts.wantPredictions && batch.queryLength > 0;
    const E = this.plan.queryBatch;

    // Per-learner inputs.
    for (const g of this.groups) {
      const map = new Uint32Array(g.count * C);
      for (let i = 0; i < g.count; i++) {
        for (let k = 0; k < C; k++) map[i * C + k] = batch.labelMap ? batch.labelMap[(g.first + i) * C + k] : k;
      }
      gpu.upload(g.labelMap, map);
      gpu.upload(g.stateSeeds, batch.stateSeeds.subarray(g.first, g.first + g.count));
      const ps = batch.projectionSeeds
        ? batch.projectionSeeds.subarray(g.first, g.first + g.count)
        : new Uint32Array(g.count).fill(c.projectionSeed);
      gpu.upload(g.projSeeds, ps);
    }
    const transient = this.pool.mark();
    const ctx = this.stepContext;
    // Pipelines are built only for phases that run (compiling is slow on software adapters).
    const learnSteps =
      batch.learnLength > 0
        ? this.groups.map((g) => buildStep(ctx, g, 'learn', metaParams, batch.learnSplit, batch.learnLength, false))
        : [];
    const querySteps =
      batch.queryLength > 0
        ? this.groups.map((g) => buildStep(ctx, g, 'query', metaParams, batch.querySplit, batch.queryLength, want))
        : [];

    // Initial state, zero messages and metrics.
    const enc = gpu.device.createCommandEncoder({ label: 'vsml episode init' });
    for (const g of this.groups) {
      enc.clearBuffer(g.metrics);
      for (const l of g.layers) enc.clearBuffer(l.bwdIn);
    }
    encodeInit(ctx, this.groups, enc, metaParams);
    const timeKernels = opts.onKernelTime;
    const timed = async (submit: () => void): Promise<number> => {
      const t = performance.now();
      submit();
      await gpu.device.queue.onSubmittedWorkDone();
      return performance.now() - t;
    };
    if (timeKernels)
      timeKernels(
        'init',
        'vsml init (pack, projection signs, states)',
        await timed(() => gpu.device.queue.submit([enc.finish()])),
      );
    else gpu.device.queue.submit([enc.finish()]);

    const total = batch.learnLength + batch.queryLength;
    let done = 0;
    const inFlight: { promise: Promise<undefined>; done: number }[] = [];
    const maxInFlight = Math.max(1, this.opts.maxInFlight ?? 2);
    const settle = async (keep: number) => {
      while (inFlight.length > keep) {
        const f = inFlight.shift()!;
        await f.promise;
        gpu.check();
        opts.onProgress?.(f.done, total);
      }
    };

    const phase = async (
      mode: CellMode,
      steps: typeof learnSteps,
      length: number,
      perStep: number,
      stepsPerSubmit: number,
      indices: Uint32Array,
    ) => {
      const totalSteps = Math.ceil(length / perStep);
      for (let s0 = 0; s0 < totalSteps; s0 += stepsPerSubmit) {
        const n = Math.min(stepsPerSubmit, totalSteps - s0);
        for (const g of this.groups) {
          // Index table [step][learner][e] for this submission.
          const tab = new Uint32Array(n * g.count * perStep);
          for (let s = 0; s < n; s++) {
            for (let i = 0; i < g.count; i++) {
              for (let e = 0; e < perStep; e++) {
                const pos = (s0 + s) * perStep + e;
                tab[(s * g.count + i) * perStep + e] = pos < length ? indices[(g.first + i) * length + pos] : 0;
              }
            }
          }
          gpu.upload(g.indices, tab);
          gpu.upload(g.ctrl, new Uint32Array([0, s0, 0, 0]));
        }
        let first = 0;
        if (timeKernels && s0 === 0) {
          // The phase's first step, one dispatch per submission.
          await settle(0);
          await gpu.device.queue.onSubmittedWorkDone();
          for (const calls of steps) {
            for (const call of calls) {
              const ms = await timed(() => {
                const e1 = gpu.device.createCommandEncoder({ label: `vsml ${mode} profiled` });
                const p1 = e1.beginComputePass({ label: `vsml ${mode} profiled` });
                encodeDispatch(p1, call);
                p1.end();
                gpu.device.queue.submit([e1.finish()]);
              });
              timeKernels(mode, call[0].label, ms);
            }
          }
          first = 1;
        }
        const enc = gpu.device.createCommandEncoder({ label: `vsml ${mode} steps ${s0}+${n}` });
        const pass = enc.beginComputePass({ label: `vsml ${mode}` });
        for (let s = first; s < n; s++) {
          for (const calls of steps) for (const call of calls) encodeDispatch(pass, call);
        }
        pass.end();
        gpu.device.queue.submit([enc.finish()]);
        done += Math.min(length, (s0 + n) * perStep) - Math.min(length, s0 * perStep);
        inFlight.push({ promise: gpu.device.queue.onSubmittedWorkDone() as Promise<undefined>, done });
        await settle(maxInFlight);
      }
    };
    try {
      await phase('learn', learnSteps, batch.learnLength, 1, this.stepsPerSubmit, batch.learnIndices);
      await phase('query', querySteps, batch.queryLength, E, this.queryStepsPerSubmit, batch.queryIndices);
      await settle(0);

      const L = this.learners;
      const m: EpisodeMetrics = {
        onlineCorrect: new Uint32Array(L),
        onlineCrossEntropy: new Float32Array(L),
        queryCorrect: new Uint32Array(L),
        queryCrossEntropy: new Float32Array(L),
      };
      if (want) m.queryPredictions = new Uint32Array(L * batch.queryLength);
      for (const g of this.groups) {
        const w = await gpu.readU32(g.metrics, 0, g.count * METRIC_WORDS);
        const f = new Float32Array(w.buffer);
        for (let i = 0; i < g.count; i++) {
          const o = i * METRIC_WORDS;
          m.onlineCorrect[g.first + i] = w[o + METRIC.onlineCorrect];
          m.onlineCrossEntropy[g.first + i] = f[o + METRIC.onlineCe];
          m.queryCorrect[g.first + i] = w[o + METRIC.queryCorrect];
          m.queryCrossEntropy[g.first + i] = f[o + METRIC.queryCe];
        }
        if (want)
          m.queryPredictions!.set(
            await gpu.readU32(g.predictions, 0, g.count * batch.queryLength),
            g.first * batch.queryLength,
          );
      }
      return m;
    } finally {
      // Per-call uniforms (bind groups reference them; the queue keeps them alive until done).
      this.pool.release(transient);
    }
  }

  /** Cell states of one layer, logical layout [L][A][B][H] (tests and inspection). */
  async readState(layer: number): Promise<{ h: Float32Array; c: Float32Array }> {
    const lp = this.plan.layers[layer];
    if (!lp) throw new Error(`layer ${layer} does not exist`);
    const H = this.config.hidden;
    const H4 = H / 4;
    const per = lp.A * lp.B * H;
    const h = new Float32Array(this.learners * per);
    const cc = new Float32Array(this.learners * per);
    for (const g of this.groups) {
      const slabs = g.layers[layer].slabs;
      const data = [];
      for (const s of slabs) data.push(await this.gpu.readF32(s.buffer, 0, s.unitCount * lp.unitVec4s * 4));
      for (let lg = 0; lg < g.count; lg++) {
        for (let a = 0; a < lp.A; a++) {
          for (let b = 0; b < lp.B; b++) {
            const base = (g.first + lg) * per + (a * lp.B + b) * H;
            for (let q = 0; q < 2 * H4; q++) {
              // vec4 index within the group's layer state, then the slab holding it.
              const v = lg * lp.unitsPerLearner * lp.unitVec4s + stateVec4Index(lp, a, b, q);
              const unit = Math.floor(v / lp.unitVec4s);
              const si = slabs.findIndex((s) => unit >= s.unitBase && unit < s.unitBase + s.unitCount);
              const src = (v - slabs[si].unitBase * lp.unitVec4s) * 4;
              const dst = q < H4 ? h : cc;
              for (let k = 0; k < 4; k++) dst[base + (q % H4) * 4 + k] = data[si][src + k];
            }
          }
        }
      }
    }
    return { h, c: cc };
  }

  /** The first layer's inputs of the last step, [L][E][A0] (E = 1 after learning; tests). */
  async readInputs(examples = 1): Promise<Float32Array> {
    const A0 = this.config.layers[0];
    const out = new Float32Array(this.learners * examples * A0);
    for (const g of this.groups)
      out.set(await this.gpu.readF32(g.x, 0, g.count * examples * A0), g.first * examples * A0);
    return out;
  }

  /** Packed weights of the members of group `group` (tests: compare with packMember). */
  async readPacked(group = 0): Promise<{ firstMember: number; data: Float32Array }> {
    const g = this.groups[group];
    const n = (g.members[1] - g.members[0] + 1) * packedLayout(this.config).size * 4;
    return { firstMember: g.members[0], data: await this.gpu.readF32(g.packed, 0, n) };
  }

  /** Number of learner groups (a group shares every buffer; more than one when limits force it). */
  get groupCount(): number {
    return this.groups.length;
  }

  /** Incoming backward messages of one layer, [L][B][M] (last layer: the feedback). */
  async readBackward(layer: number): Promise<Float32Array> {
    const lp = this.plan.layers[layer];
    const M = this.config.message;
    const out = new Float32Array(this.learners * lp.B * M);
    for (const g of this.groups)
      out.set(await this.gpu.readF32(g.layers[layer].bwdIn, 0, g.count * lp.B * M), g.first * lp.B * M);
    return out;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.pool.release();
  }
}
