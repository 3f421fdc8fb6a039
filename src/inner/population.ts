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
 * limits. Semantics, layouts and kernels: docs/vsml.md.
 */
import type { GpuImageSplit } from '../data/gpu-dataset';
import { maxBindingBytes } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { GpuLimitError } from '../gpu/errors';
import { type CellMode, cellKernelSource, cellParams } from '../kernels/vsml-cell';
import { HEADS_WORKGROUP, headsKernelSource, headsParams, headsThreads } from '../kernels/vsml-heads';
import { INIT_SOURCE, INIT_WORKGROUP, initParams } from '../kernels/vsml-init';
import { INPUT_WORKGROUP, inputKernelSource, inputParams } from '../kernels/vsml-input';
import { ADVANCE_SOURCE, CTRL_WORDS, METRIC, METRIC_WORDS, READOUT_WORKGROUP, readoutKernelSource, readoutParams } from '../kernels/vsml-readout';
import { PACK_WORKGROUP, packKernelSource, packParams } from '../kernels/vsml-pack';
import { TERMS_WORKGROUP, termsKernelSource, termsParams } from '../kernels/vsml-terms';
import { type VsmlCost, vsmlCost } from './cost-model';
import { type CellKernelOptions, type PopulationPlan, type WeightSource, packedLayout, planPopulation, stateVec4Index } from './plan';
import { type VsmlConfig, describeVsmlConfig, metaParamLayout, numClasses, validateVsmlConfig } from './vsml-config';

export interface PopulationShape {
  members: number;
  tasksPerMember: number;
  learnLength: number;
  queryLength: number;
}

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
}

export interface PopulationOptions {
  /** Queries per learner answered by one query step (default 16; lowered to fit limits). */
  queryBatch?: number;
  /** Learning steps per submission; default from the cost model (see submitSeconds). */
  stepsPerSubmit?: number;
  /** Target seconds of GPU work per submission (browsers kill long ones). Default 0.25. */
  submitSeconds?: number;
  /** Throughput assumed when sizing submissions. Default 3e9 on a fallback adapter, 3e11 otherwise. */
  assumedFlopsPerSecond?: number;
  /** Submissions queued ahead before waiting for the oldest (default 2). */
  maxInFlight?: number;
  /** Tests: fill every internal buffer with a NaN pattern at creation, so reads of unwritten data show. */
  poison?: boolean;
  /** Where cell kernels read the recurrent matrices (default 'auto': private on software adapters, else workgroup). */
  weights?: 'auto' | WeightSource;
}

const POISON_WORD = 0x7fc0dead;
const MAX_STEPS_PER_SUBMIT = 1024;

interface Slab {
  buffer: GPUBuffer;
  unitBase: number;
  unitCount: number;
}

interface LayerBuffers {
  slabs: Slab[];
  /** [Lg][E][partRows][B][H] partial sums over a (forward). */
  partB: GPUBuffer;
  /** [Lg][bTiles][A][H] partial sums over b (backward; layers > 0). */
  partA: GPUBuffer | null;
  /** [Lg][E][B][M] forward messages out. */
  fwdOut: GPUBuffer;
  /** [Lg][B][M] incoming backward messages (last layer: the feedback). */
  bwdIn: GPUBuffer;
  /** CPU path: backward terms [Lg][B][row quads] vec4 (src/kernels/vsml-terms.ts). */
  gb: GPUBuffer | null;
}

interface Group {
  first: number;
  count: number;
  ctrl: GPUBuffer;
  indices: GPUBuffer;
  labelMap: GPUBuffer;
  stateSeeds: GPUBuffer;
  projSeeds: GPUBuffer;
  x: GPUBuffer;
  labels: GPUBuffer;
  /** Packed weights of the group's members (src/kernels/vsml-pack.ts). */
  packed: GPUBuffer;
  metrics: GPUBuffer;
  predictions: GPUBuffer;
  layers: LayerBuffers[];
  /** Member range whose meta-parameters the group reads. */
  members: [number, number];
}

type Binding = GPUBuffer | { buffer: GPUBuffer; offset: number; size: number };

export class VsmlPopulation {
  readonly learners: number;
  readonly plan: PopulationPlan;
  readonly cost: VsmlCost;
  /** Floats per member in the meta-parameter buffer. */
  readonly paramsPerMember: number;
  readonly stepsPerSubmit: number;
  readonly queryStepsPerSubmit: number;
  private readonly groups: Group[] = [];
  private readonly owned: GPUBuffer[] = [];
  private destroyed = false;

  private constructor(
    readonly gpu: GpuContext,
    readonly config: VsmlConfig,
    readonly shape: PopulationShape,
    private readonly opts: PopulationOptions,
  ) {
    for (const k of ['members', 'tasksPerMember'] as const) {
      if (!Number.isInteger(shape[k]) || shape[k] < 1) throw new Error(`population shape: ${k} must be a positive integer, got ${shape[k]}`);
    }
    for (const k of ['learnLength', 'queryLength'] as const) {
      if (!Number.isInteger(shape[k]) || shape[k] < 0) throw new Error(`population shape: ${k} must be a non-negative integer, got ${shape[k]}`);
    }
    this.learners = shape.members * shape.tasksPerMember;
    this.cost = vsmlCost(config);
    this.paramsPerMember = metaParamLayout(config).size;
    const rate = opts.assumedFlopsPerSecond ?? (gpu.report.isFallback ? 3e9 : 3e11);
    const budget = (opts.submitSeconds ?? 0.25) * rate;
    const E0 = Math.max(1, opts.queryBatch ?? 16);
    const autoSteps = Math.floor(budget / (this.learners * this.cost.flopsPerLearnExample));
    const S = Math.max(1, Math.min(MAX_STEPS_PER_SUBMIT, opts.stepsPerSubmit ?? autoSteps, Math.max(1, shape.learnLength)));
    const soft = gpu.report.isFallback;
    const cell: CellKernelOptions = {
      weights: !opts.weights || opts.weights === 'auto' ? (soft ? 'private' : 'workgroup') : opts.weights,
    };
    this.plan = planPopulation(
      config,
      this.learners,
      {
        maxBinding: maxBindingBytes(gpu),
        maxSharedBytes: gpu.limits.maxComputeWorkgroupStorageSize,
        maxWorkgroupsPerDimension: gpu.limits.maxComputeWorkgroupsPerDimension,
      },
      { queryBatch: Math.min(E0, Math.max(1, shape.queryLength)), stepsPerSubmit: Math.max(S, E0), queryLength: shape.queryLength, cell },
    );
    const E = this.plan.queryBatch;
    const autoQuery = Math.floor(budget / (this.learners * E * this.cost.flopsPerQueryExample));
    this.stepsPerSubmit = S;
    this.queryStepsPerSubmit = Math.max(1, Math.min(autoQuery, Math.floor(Math.max(S, E0) / E), MAX_STEPS_PER_SUBMIT));
    for (const g of this.plan.groups) this.groups.push(this.allocateGroup(g.first, g.count, g.slabs));
  }

  static create(gpu: GpuContext, config: VsmlConfig, shape: PopulationShape, opts: PopulationOptions = {}): VsmlPopulation {
    return new VsmlPopulation(gpu, validateVsmlConfig(config), shape, opts);
  }

  describe(): string {
    const p = this.plan;
    return (
      `${describeVsmlConfig(this.config)}, L=${this.learners} (${this.shape.members}x${this.shape.tasksPerMember}), ` +
      `${p.groups.length} group(s), tiles ${p.layers.map((l) => `${l.TA}x${l.TB}/${l.NC}`).join(' ')} (${p.layers[0].weights} weights), ` +
      `${this.stepsPerSubmit} steps/submit, query batch ${p.queryBatch}`
    );
  }

  private buffer(label: string, bytes: number): GPUBuffer {
    const b = this.gpu.storage(label, Math.max(16, bytes));
    this.owned.push(b);
    if (this.opts.poison) this.gpu.upload(b, new Uint32Array(b.size / 4).fill(POISON_WORD));
    return b;
  }

  private uniform(label: string, data: Uint32Array): GPUBuffer {
    const b = this.gpu.uniform(label, data);
    this.owned.push(b);
    return b;
  }

  private allocateGroup(first: number, count: number, slabs: [number, number][][]): Group {
    const c = this.config;
    const E = this.plan.queryBatch;
    const H = c.hidden;
    const M = c.message;
    const C = numClasses(c);
    const T = this.shape.tasksPerMember;
    const name = `vsml g${first}`;
    const layers: LayerBuffers[] = this.plan.layers.map((lp, k) => ({
      slabs: slabs[k].map(([unitBase, unitCount]) => ({
        buffer: this.buffer(`${name} L${k} state [${unitBase}, +${unitCount})`, unitCount * lp.unitVec4s * 16),
        unitBase,
        unitCount,
      })),
      partB: this.buffer(`${name} L${k} partB`, count * E * lp.partRows * lp.B * H * 4),
      partA: lp.isInput ? null : this.buffer(`${name} L${k} partA`, count * lp.bTiles * lp.A * H * 4),
      fwdOut: this.buffer(`${name} L${k} fwdOut`, count * E * lp.B * M * 4),
      bwdIn: this.buffer(`${name} L${k} bwdIn`, count * lp.B * M * 4),
      gb: lp.weights === 'private' ? this.buffer(`${name} L${k} gb`, count * lp.B * packedLayout(c).rowQuads * 16) : null,
    }));
    const idxWords = Math.max(this.stepsPerSubmit, this.queryStepsPerSubmit * E);
    const members: [number, number] = [Math.floor(first / T), Math.floor((first + count - 1) / T)];
    return {
      first,
      count,
      ctrl: this.buffer(`${name} ctrl`, CTRL_WORDS * 4),
      indices: this.buffer(`${name} indices`, idxWords * count * 4),
      labelMap: this.buffer(`${name} labelMap`, count * C * 4),
      stateSeeds: this.buffer(`${name} stateSeeds`, count * 4),
      projSeeds: this.buffer(`${name} projSeeds`, count * 4),
      x: this.buffer(`${name} x`, count * E * c.layers[0] * 4),
      labels: this.buffer(`${name} labels`, count * E * 4),
      packed: this.buffer(`${name} packed`, (members[1] - members[0] + 1) * packedLayout(c).size * 16),
      metrics: this.buffer(`${name} metrics`, count * METRIC_WORDS * 4),
      predictions: this.buffer(`${name} predictions`, count * Math.max(1, this.shape.queryLength) * 4),
      layers,
      members,
    };
  }

  private bind(pipeline: GPUComputePipeline, entries: Binding[], label: string): GPUBindGroup {
    return this.gpu.device.createBindGroup({
      label,
      layout: pipeline.getBindGroupLayout(0),
      entries: entries.map((e, binding) => ({ binding, resource: 'buffer' in e ? e : { buffer: e } })),
    });
  }

  /** The part of the meta-parameter buffer a group reads, at an offset the device accepts. */
  private paramRange(g: Group, metaParams: GPUBuffer): { binding: Binding; shift: number } {
    const D4 = this.paramsPerMember * 4;
    const align = this.gpu.device.limits.minStorageBufferOffsetAlignment;
    const offset = Math.floor((g.members[0] * D4) / align) * align;
    const end = (g.members[1] + 1) * D4;
    const size = end - offset;
    if (size > maxBindingBytes(this.gpu)) throw new GpuLimitError(`meta-parameters of group ${g.first} need ${size} bytes, above the binding limit`);
    return { binding: { buffer: metaParams, offset, size }, shift: offset / 4 };
  }

  private dispatch(pass: GPUComputePassEncoder, pipeline: GPUComputePipeline, group: GPUBindGroup, xy: [number, number]): void {
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(xy[0], xy[1]);
  }

  /** Everything one example step of one group needs, encoded once per runEpisodes call. */
  private buildStep(g: Group, mode: CellMode, metaParams: GPUBuffer, split: GpuImageSplit, length: number, wantPredictions: boolean) {
    const gpu = this.gpu;
    const c = this.config;
    const learn = mode === 'learn';
    const E = learn ? 1 : this.plan.queryBatch;
    const T = this.shape.tasksPerMember;
    const { binding: mp, shift } = this.paramRange(g, metaParams);
    const K = this.plan.layers.length;
    const calls: [GPUComputePipeline, GPUBindGroup, [number, number]][] = [];

    // Input: one dispatch per piece of the split.
    const inPipe = gpu.pipeline({
      code: inputKernelSource({
        units: c.layers[0],
        pixels: split.pixels,
        wordsPerImage: split.wordsPerImage,
        projection: c.projection,
        examples: E,
        numClasses: numClasses(c),
      }),
      label: `vsml-input-${mode}`,
    });
    const inGrid = gpu.grid(Math.ceil((g.count * E * c.layers[0]) / INPUT_WORKGROUP));
    split.pieces.forEach((piece, i) => {
      const u = this.uniform(
        'vsml input params',
        inputParams({ learners: g.count, length, gridX: inGrid[0], pieceFirst: piece.first, pieceCount: piece.count, isFirstPiece: i === 0 ? 1 : 0, pad0: 0, pad1: 0 }),
      );
      const entries: Binding[] = [u, g.ctrl, g.indices, piece.images, piece.labels, g.labelMap, g.x, g.labels];
      if (c.projection) entries.push(g.projSeeds);
      calls.push([inPipe, this.bind(inPipe, entries, 'vsml input'), inGrid]);
    });

    for (let k = 0; k < K; k++) {
      const lp = this.plan.layers[k];
      const lb = g.layers[k];
      const cellPipe = gpu.pipeline({
        code: cellKernelSource({ config: c, layer: lp, mode, examples: E }),
        label: `vsml-cell-${mode}-L${k}`,
      });
      const fwdIn = k === 0 ? g.x : g.layers[k - 1].fwdOut;
      const zeroBwd = !learn && lp.isLast ? 1 : 0;
      if (lb.gb) {
        const tPipe = gpu.pipeline({ code: termsKernelSource(c, lp), label: `vsml-terms-L${k}` });
        const tGrid = gpu.grid(Math.ceil((g.count * lp.B * packedLayout(c).rowQuads) / TERMS_WORKGROUP));
        const tu = this.uniform(
          'vsml terms params',
          termsParams({ learners: g.count, gridX: tGrid[0], firstLearner: g.first, tasksPerMember: T, firstMember: g.members[0], zeroBwd, pad0: 0, pad1: 0 }),
        );
        calls.push([tPipe, this.bind(tPipe, [tu, g.packed, lb.bwdIn, lb.gb], `vsml terms L${k}`), tGrid]);
      }
      for (const slab of lb.slabs) {
        const grid = gpu.grid(slab.unitCount);
        const u = this.uniform(
          'vsml cell params',
          cellParams({
            unitBase: slab.unitBase,
            unitCount: slab.unitCount,
            gridX: grid[0],
            firstLearner: g.first,
            tasksPerMember: T,
            firstMember: g.members[0],
            zeroBwd,
            pad: 0,
          }),
        );
        const entries: Binding[] = [u, g.packed, slab.buffer, fwdIn, lb.gb ?? lb.bwdIn, lb.partB];
        if (learn && !lp.isInput) entries.push(lb.partA!);
        calls.push([cellPipe, this.bind(cellPipe, entries, `vsml cell L${k}`), grid]);
      }
      const backward = learn && !lp.isInput;
      const headsPipe = gpu.pipeline({ code: headsKernelSource(c, lp, E, backward), label: `vsml-heads-${mode}-L${k}` });
      const hGrid = gpu.grid(Math.ceil(headsThreads(lp, g.count, E, backward) / HEADS_WORKGROUP));
      const hu = this.uniform(
        'vsml heads params',
        headsParams({ learners: g.count, gridX: hGrid[0], firstLearner: g.first, tasksPerMember: T, paramShift: shift, pad0: 0, pad1: 0, pad2: 0 }),
      );
      const hEntries: Binding[] = [hu, mp, lb.partB, lb.fwdOut];
      if (backward) hEntries.push(lb.partA!, g.layers[k - 1].bwdIn);
      calls.push([headsPipe, this.bind(headsPipe, hEntries, `vsml heads L${k}`), hGrid]);
    }

    const roPipe = gpu.pipeline({ code: readoutKernelSource(c, mode, E, wantPredictions), label: `vsml-readout-${mode}` });
    const roGrid = gpu.grid(Math.ceil(g.count / READOUT_WORKGROUP));
    const ru = this.uniform('vsml readout params', readoutParams({ learners: g.count, length, gridX: roGrid[0], pad: 0 }));
    const roEntries: Binding[] = [ru, g.ctrl, g.layers[K - 1].fwdOut, g.labels, g.metrics];
    if (learn) roEntries.push(g.layers[K - 1].bwdIn);
    else if (wantPredictions) roEntries.push(g.predictions);
    calls.push([roPipe, this.bind(roPipe, roEntries, 'vsml readout'), roGrid]);

    const advPipe = gpu.pipeline({ code: ADVANCE_SOURCE, label: 'vsml-advance' });
    calls.push([advPipe, this.bind(advPipe, [g.ctrl], 'vsml advance'), [1, 1]]);
    return calls;
  }

  private encodeInit(enc: GPUCommandEncoder, metaParams: GPUBuffer): void {
    const gpu = this.gpu;
    const H = this.config.hidden;
    const pass = enc.beginComputePass({ label: 'vsml init' });
    const packPipe = gpu.pipeline({ code: packKernelSource(this.config), label: 'vsml-pack' });
    for (const g of this.groups) {
      const { binding, shift } = this.paramRange(g, metaParams);
      const members = g.members[1] - g.members[0] + 1;
      const grid = gpu.grid(Math.ceil((members * packedLayout(this.config).size) / PACK_WORKGROUP));
      const u = this.uniform('vsml pack params', packParams({ members, firstMember: g.members[0], paramShift: shift, gridX: grid[0] }));
      this.dispatch(pass, packPipe, this.bind(packPipe, [u, binding, g.packed], 'vsml pack'), grid);
      this.plan.layers.forEach((lp, k) => {
        const pipe = gpu.pipeline({ code: INIT_SOURCE, label: 'vsml-init' });
        for (const slab of g.layers[k].slabs) {
          const grid = gpu.grid(Math.ceil((slab.unitCount * lp.TT) / INIT_WORKGROUP));
          const u = this.uniform('vsml init params', initParams(lp, H, { unitBase: slab.unitBase, unitCount: slab.unitCount, gridX: grid[0] }));
          this.dispatch(pass, pipe, this.bind(pipe, [u, g.stateSeeds, slab.buffer], 'vsml init'), grid);
        }
      });
    }
    pass.end();
  }

  private validateBatch(metaParams: GPUBuffer, b: EpisodeBatch): void {
    const L = this.learners;
    const c = this.config;
    const C = numClasses(c);
    const fail = (msg: string) => {
      throw new Error(`EpisodeBatch: ${msg}`);
    };
    if (b.learnLength !== this.shape.learnLength || b.queryLength !== this.shape.queryLength) {
      fail(`lengths ${b.learnLength}/${b.queryLength} differ from the population's ${this.shape.learnLength}/${this.shape.queryLength}`);
    }
    if (b.learnIndices.length !== L * b.learnLength) fail(`learnIndices has ${b.learnIndices.length} entries, expected L x learnLength = ${L * b.learnLength}`);
    if (b.queryIndices.length !== L * b.queryLength) fail(`queryIndices has ${b.queryIndices.length} entries, expected L x queryLength = ${L * b.queryLength}`);
    if (b.stateSeeds.length !== L) fail(`stateSeeds has ${b.stateSeeds.length} entries, expected ${L}`);
    if (b.projectionSeeds && b.projectionSeeds.length !== L) fail(`projectionSeeds has ${b.projectionSeeds.length} entries, expected ${L}`);
    if (b.labelMap) {
      if (b.labelMap.length !== L * C) fail(`labelMap has ${b.labelMap.length} entries, expected L x ${C}`);
      for (const v of b.labelMap) if (v >= C) fail(`labelMap entry ${v} is not a class (< ${C})`);
    }
    for (const [name, split, idx] of [
      ['learn', b.learnSplit, b.learnIndices],
      ['query', b.querySplit, b.queryIndices],
    ] as const) {
      if (idx.length === 0) continue;
      if (split.pixels !== c.inputSize) fail(`${name}Split has ${split.pixels} pixels per image, the config's inputSize is ${c.inputSize}`);
      if (split.numClasses > C) fail(`${name}Split has ${split.numClasses} classes, the learner outputs ${C}`);
      for (const i of idx) if (i >= split.count) fail(`${name}Indices entry ${i} is outside ${name}Split (${split.count} examples)`);
    }
    const need = this.shape.members * this.paramsPerMember * 4;
    if (metaParams.size < need) fail(`metaParams buffer holds ${metaParams.size} bytes, needs members x D x 4 = ${need}`);
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
      const ps = batch.projectionSeeds ? batch.projectionSeeds.subarray(g.first, g.first + g.count) : new Uint32Array(g.count).fill(c.projectionSeed);
      gpu.upload(g.projSeeds, ps);
    }
    const transient = this.owned.length;
    // Pipelines are built only for phases that run (compiling is slow on software adapters).
    const learnSteps = batch.learnLength > 0 ? this.groups.map((g) => this.buildStep(g, 'learn', metaParams, batch.learnSplit, batch.learnLength, false)) : [];
    const querySteps = batch.queryLength > 0 ? this.groups.map((g) => this.buildStep(g, 'query', metaParams, batch.querySplit, batch.queryLength, want)) : [];

    // Initial state, zero messages and metrics.
    const enc = gpu.device.createCommandEncoder({ label: 'vsml episode init' });
    for (const g of this.groups) {
      enc.clearBuffer(g.metrics);
      for (const l of g.layers) enc.clearBuffer(l.bwdIn);
    }
    this.encodeInit(enc, metaParams);
    gpu.device.queue.submit([enc.finish()]);

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

    const phase = async (mode: CellMode, steps: typeof learnSteps, length: number, perStep: number, stepsPerSubmit: number, indices: Uint32Array) => {
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
        const enc = gpu.device.createCommandEncoder({ label: `vsml ${mode} steps ${s0}+${n}` });
        const pass = enc.beginComputePass({ label: `vsml ${mode}` });
        for (let s = 0; s < n; s++) {
          for (const calls of steps) for (const [p, bg, xy] of calls) this.dispatch(pass, p, bg, xy);
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
        if (want) m.queryPredictions!.set(await gpu.readU32(g.predictions, 0, g.count * batch.queryLength), g.first * batch.queryLength);
      }
      return m;
    } finally {
      // Per-call uniforms (bind groups reference them; the queue keeps them alive until done).
      for (const b of this.owned.splice(transient)) b.destroy();
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
    for (const g of this.groups) out.set(await this.gpu.readF32(g.x, 0, g.count * examples * A0), g.first * examples * A0);
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
    for (const g of this.groups) out.set(await this.gpu.readF32(g.layers[layer].bwdIn, 0, g.count * lp.B * M), g.first * lp.B * M);
    return out;
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of this.owned) b.destroy();
    this.owned.length = 0;
  }
}

