/**
 * LstmPopulation: L = members x tasksPerMember LSTM learners (learner l = member * T + task), each
 * with its own (h, c) and example stream, stepped together on the GPU; learner l reads the
 * meta-parameters of member floor(l / T) from a members x D f32 buffer (D = lstmParamLayout size).
 * The same EpisodeBatch / EpisodeMetrics contract as VsmlPopulation, so evaluators and the
 * experiment can run either learner. Float64 reference: ./lstm-reference.ts.
 *
 * One example step = the step kernel (gates, c, hNext), the readout kernel (metrics; when
 * learning, h = hNext and the label fed next), and the step counter's advance; many steps are
 * encoded per submission and nothing is read back before the end of the episode.
 */
import type { GpuImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { type KernelCall, prepareKernel } from '../kernels/runner';
import { type Dispatch, encodeDispatch } from '../kernels/program';
import {
  type LstmKernelShape,
  type LstmMode,
  lstmReadoutProgram,
  lstmStepProgram,
  unitBlocks,
} from '../kernels/lstm-step';
import { METRIC, METRIC_WORDS, advanceProgram } from '../kernels/vsml-readout';
import { type LstmLearnerConfig, lstmParamLayout } from '../spec/lstm-config';
import type { EpisodeBatch, EpisodeMetrics, PopulationShape } from './population';

export interface LstmRunOptions {
  wantPredictions?: boolean;
  /** Fill hNext and predictions with NaN before the run (tests: unwritten elements show up). */
  poison?: boolean;
  /** Called after each submission: example steps done (learn then query) of learnLength + queryLength. */
  onProgress?: (done: number, total: number) => void;
}

/** Example steps encoded per submission (bounded so a software adapter stays responsive). */
const STEPS_PER_SUBMIT = 32;

export class LstmPopulation {
  readonly learners: number;
  readonly paramsPerMember: number;
  private readonly h: GPUBuffer;
  private readonly c: GPUBuffer;
  private readonly hNext: GPUBuffer;
  private readonly prevLabel: GPUBuffer;
  private readonly metrics: GPUBuffer;
  private readonly ctrl: GPUBuffer;
  private destroyed = false;

  private constructor(
    readonly gpu: GpuContext,
    readonly config: LstmLearnerConfig,
    readonly shape: PopulationShape,
  ) {
    this.learners = shape.members * shape.tasksPerMember;
    this.paramsPerMember = lstmParamLayout(config).size;
    const L = this.learners;
    const H = config.hidden;
    this.h = gpu.storage('lstm h', L * H * 4);
    this.c = gpu.storage('lstm c', L * H * 4);
    this.hNext = gpu.storage('lstm hNext', L * H * 4);
    this.prevLabel = gpu.storage('lstm prevLabel', L * 4);
    this.metrics = gpu.storage('lstm metrics', L * METRIC_WORDS * 4);
    this.ctrl = gpu.storage('lstm ctrl', 16);
  }

  static create(gpu: GpuContext, config: LstmLearnerConfig, shape: PopulationShape): LstmPopulation {
    if (shape.members < 1 || shape.tasksPerMember < 1) throw new Error('LstmPopulation: needs members and tasks >= 1');
    return new LstmPopulation(gpu, config, shape);
  }

  private validate(params: GPUBuffer, b: EpisodeBatch): void {
    const L = this.learners;
    const fail = (msg: string) => {
      throw new Error(`LSTM EpisodeBatch: ${msg}`);
    };
    if (b.learnLength !== this.shape.learnLength || b.queryLength !== this.shape.queryLength)
      fail(
        `lengths ${b.learnLength}/${b.queryLength} differ from the population's ${this.shape.learnLength}/${this.shape.queryLength}`,
      );
    if (b.learnIndices.length !== L * b.learnLength)
      fail(`learnIndices has ${b.learnIndices.length} entries, expected ${L * b.learnLength}`);
    if (b.queryIndices.length !== L * b.queryLength)
      fail(`queryIndices has ${b.queryIndices.length} entries, expected ${L * b.queryLength}`);
    if (b.labelMap)
      fail('labelMap is not supported by the LSTM learner (map labels in the split, as episodeSplit does)');
    for (const [name, split, idx] of [
      ['learn', b.learnSplit, b.learnIndices],
      ['query', b.querySplit, b.queryIndices],
    ] as const) {
      if (idx.length === 0) continue;
      if (split.pixels !== this.config.inputSize)
        fail(`${name}Split has ${split.pixels} pixels per image, the LSTM reads ${this.config.inputSize}`);
      if (split.numClasses > this.config.classes)
        fail(`${name}Split has ${split.numClasses} classes, the LSTM outputs ${this.config.classes}`);
      if (split.pieces.length !== 1)
        fail(`${name}Split is cut into ${split.pieces.length} pieces; the LSTM kernels read one`);
      for (const i of idx)
        if (i >= split.count) fail(`${name}Indices entry ${i} is outside ${name}Split (${split.count} examples)`);
    }
    const need = this.shape.members * this.paramsPerMember * 4;
    if (params.size < need) fail(`metaParams buffer holds ${params.size} bytes, needs members x D x 4 = ${need}`);
  }

  private phaseCalls(
    mode: LstmMode,
    params: GPUBuffer,
    split: GpuImageSplit,
    indices: GPUBuffer,
    length: number,
    predictions: GPUBuffer | undefined,
    uniforms: GPUBuffer[],
  ): Dispatch[] {
    const gpu = this.gpu;
    const shape: LstmKernelShape = {
      cfg: this.config,
      tasksPerMember: this.shape.tasksPerMember,
      wordsPerImage: split.wordsPerImage,
    };
    const piece = split.pieces[0];
    const uniform = (label: string, data: Uint32Array) => {
      const b = gpu.uniform(label, data);
      uniforms.push(b);
      return b;
    };
    const L = this.learners;
    const u = { learners: L, length };
    const step: KernelCall = {
      program: lstmStepProgram(shape, mode),
      grid: gpu.grid(this.shape.members * unitBlocks(this.config)),
      uniforms: u,
      bindings: [this.ctrl, params, piece.images, indices, this.prevLabel, this.h, this.c, this.hNext],
    };
    const tail = mode === 'learn' ? [this.prevLabel, this.h] : predictions ? [predictions] : [];
    const readout: KernelCall = {
      program: lstmReadoutProgram(shape, mode, !!predictions),
      threads: L,
      uniforms: u,
      bindings: [this.ctrl, params, piece.labels, indices, this.hNext, this.metrics, ...tail],
    };
    const advance: KernelCall = { program: advanceProgram(), grid: [1, 1], bindings: [this.ctrl] };
    return [step, readout, advance].map((k) => prepareKernel(gpu, k, uniform));
  }

  async runEpisodes(params: GPUBuffer, batch: EpisodeBatch, opts: LstmRunOptions = {}): Promise<EpisodeMetrics> {
    if (this.destroyed) throw new Error('LstmPopulation was destroyed');
    this.validate(params, batch);
    const gpu = this.gpu;
    const L = this.learners;
    const want = !!opts.wantPredictions && batch.queryLength > 0;
    const learnIdx = gpu.storage('lstm learn indices', batch.learnIndices.length ? batch.learnIndices : 4);
    const queryIdx = gpu.storage('lstm query indices', batch.queryIndices.length ? batch.queryIndices : 4);
    const predictions = want
      ? gpu.storage(
          'lstm predictions',
          opts.poison ? new Uint32Array(L * batch.queryLength).fill(0x7fc0dead) : L * batch.queryLength * 4,
        )
      : undefined;
    const uniforms: GPUBuffer[] = [];
    try {
      // Fresh state: h = c = 0, no label fed yet (prevLabel = classes means none), metrics 0.
      gpu.upload(this.prevLabel, new Uint32Array(L).fill(this.config.classes));
      if (opts.poison) gpu.upload(this.hNext, new Float32Array(L * this.config.hidden).fill(NaN));
      const init = gpu.device.createCommandEncoder({ label: 'lstm episode init' });
      init.clearBuffer(this.h);
      init.clearBuffer(this.c);
      init.clearBuffer(this.metrics);
      gpu.device.queue.submit([init.finish()]);
      const total = batch.learnLength + batch.queryLength;
      const phase = async (mode: LstmMode, split: GpuImageSplit, idx: GPUBuffer, length: number) => {
        if (length === 0) return;
        const calls = this.phaseCalls(
          mode,
          params,
          split,
          idx,
          length,
          mode === 'query' ? predictions : undefined,
          uniforms,
        );
        gpu.upload(this.ctrl, new Uint32Array(4));
        for (let s0 = 0; s0 < length; s0 += STEPS_PER_SUBMIT) {
          const enc = gpu.device.createCommandEncoder({ label: `lstm ${mode} ${s0}` });
          const pass = enc.beginComputePass({ label: `lstm ${mode}` });
          for (let s = s0; s < Math.min(length, s0 + STEPS_PER_SUBMIT); s++)
            for (const d of calls) encodeDispatch(pass, d);
          pass.end();
          gpu.device.queue.submit([enc.finish()]);
          await gpu.device.queue.onSubmittedWorkDone();
          gpu.check();
          const done = Math.min(length, s0 + STEPS_PER_SUBMIT);
          opts.onProgress?.(mode === 'learn' ? done : batch.learnLength + done, total);
        }
      };
      await phase('learn', batch.learnSplit, learnIdx, batch.learnLength);
      await phase('query', batch.querySplit, queryIdx, batch.queryLength);
      const w = await gpu.readU32(this.metrics, 0, L * METRIC_WORDS);
      const f = new Float32Array(w.buffer);
      const m: EpisodeMetrics = {
        onlineCorrect: new Uint32Array(L),
        onlineCrossEntropy: new Float32Array(L),
        queryCorrect: new Uint32Array(L),
        queryCrossEntropy: new Float32Array(L),
      };
      for (let l = 0; l < L; l++) {
        const o = l * METRIC_WORDS;
        m.onlineCorrect[l] = w[o + METRIC.onlineCorrect];
        m.onlineCrossEntropy[l] = f[o + METRIC.onlineCe];
        m.queryCorrect[l] = w[o + METRIC.queryCorrect];
        m.queryCrossEntropy[l] = f[o + METRIC.queryCe];
      }
      if (predictions) m.queryPredictions = await gpu.readU32(predictions, 0, L * batch.queryLength);
      return m;
    } finally {
      learnIdx.destroy();
      queryIdx.destroy();
      predictions?.destroy();
      for (const b of uniforms) b.destroy();
    }
  }

  /** The learned state after the last episode, [L][hidden] each (tests and inspection). */
  async readState(): Promise<{ h: Float32Array; c: Float32Array }> {
    return { h: await this.gpu.readF32(this.h), c: await this.gpu.readF32(this.c) };
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const b of [this.h, this.c, this.hNext, this.prevLabel, this.metrics, this.ctrl]) b.destroy();
  }
}
