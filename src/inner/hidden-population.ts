/**
 * A batched population of hidden-layer learners on the GPU (src/spec/hidden-config.ts): `learners`
 * learners stepped together, learner l using meta-parameter row l / tasksPerMember, each with its
 * own state, state seed and stream of example indices. One episode = initialise the state, learn
 * the stream one example at a time in order (forward, compete, backward, update, advance the step
 * counter: the kernels read the step from the counter, so the same recorded dispatches serve every
 * step and nothing is read back in the loop), then answer queries from the frozen state. Steps are
 * recorded `stepsPerSubmit` to a command encoder; each submit is awaited (progress, bounded queue).
 */
import type { GpuImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { GpuLimitError } from '../gpu/errors';
import { type Dispatch, encodeDispatch } from '../kernels/program';
import { type KernelCall, prepareKernel } from '../kernels/runner';
import {
  hiddenBackwardProgram,
  hiddenCompeteProgram,
  hiddenForwardProgram,
  hiddenUpdateProgram,
} from '../kernels/hidden';
import { advanceProgram } from '../kernels/vsml-readout';
import { type HiddenConfig, HIDDEN_PARAM_COUNT } from '../spec/hidden-config';
import { hiddenInitialState, hiddenOwnership } from './hidden-reference';

export interface HiddenEpisode {
  /** Learning images (one piece: the kernels bind the whole split). */
  learnSplit: GpuImageSplit;
  /** Query images (may be the same split). */
  querySplit: GpuImageSplit;
  learnLength: number;
  queryLength: number;
  /** learners * learnLength example indices into learnSplit, learner-major. */
  learnIndices: Uint32Array;
  /** learners * queryLength example indices into querySplit. */
  queryIndices: Uint32Array;
  /** One state seed per learner. */
  stateSeeds: Uint32Array;
}

export interface HiddenRunOptions {
  /** Learning steps recorded per command encoder (default 64). */
  stepsPerSubmit?: number;
  /** Query rows per dispatch (default 8192): bounds the distance scratch buffer. */
  queryRowsPerChunk?: number;
  /** Called after each submit: learning steps done of learnLength. */
  onProgress?: (done: number, total: number) => void;
  /** Read the learned state back (tests, inspection). */
  wantState?: boolean;
  /** Initial w of every learner (learners * H * A f32), instead of regenerating it from the seeds. */
  initialW?: Float32Array;
}

export interface HiddenRunResult {
  /** learners * queryLength * C logits, lambda P_b. */
  logits: Float32Array;
  /** argmax of each query's logits (first index on ties). */
  predictions: Uint8Array;
  state?: { w: Float32Array; count: Float32Array };
}

function onePiece(s: GpuImageSplit): GpuImageSplit['pieces'][number] {
  if (s.pieces.length !== 1)
    throw new GpuLimitError(
      `hidden learner: split '${s.name}' was uploaded in ${s.pieces.length} pieces; the kernels bind one (use a device with larger storage bindings or a smaller split)`,
    );
  return s.pieces[0];
}

/** Initial w of every learner, from its seed (CPU Philox, the same values the reference starts from). */
export function hiddenInitialW(c: HiddenConfig, seeds: ArrayLike<number>): Float32Array {
  const per = c.inputs * c.hidden;
  const w = new Float32Array(seeds.length * per);
  for (let l = 0; l < seeds.length; l++) w.set(hiddenInitialState(c, seeds[l]).w, l * per);
  return w;
}

export class HiddenPopulation {
  constructor(
    private readonly gpu: GpuContext,
    readonly config: HiddenConfig,
    readonly learners: number,
    readonly tasksPerMember = 1,
  ) {
    if (!Number.isInteger(learners) || learners < 1) throw new Error(`hidden population: learners ${learners}`);
    if (!Number.isInteger(tasksPerMember) || tasksPerMember < 1 || learners % tasksPerMember !== 0)
      throw new Error(`hidden population: tasksPerMember ${tasksPerMember} must divide learners ${learners}`);
  }

  get members(): number {
    return this.learners / this.tasksPerMember;
  }

  /** Run one episode for every learner with meta-parameters `params` (members * D f32). */
  async run(params: Float32Array, ep: HiddenEpisode, opts: HiddenRunOptions = {}): Promise<HiddenRunResult> {
    const { gpu, config: c, learners: L, tasksPerMember: T } = this;
    const { inputs: A, hidden: H, classes: C } = c;
    if (params.length !== this.members * HIDDEN_PARAM_COUNT)
      throw new Error(
        `hidden population: ${params.length} meta-parameters, expected ${this.members * HIDDEN_PARAM_COUNT}`,
      );
    for (const [name, arr, per] of [
      ['learnIndices', ep.learnIndices, ep.learnLength],
      ['queryIndices', ep.queryIndices, ep.queryLength],
      ['stateSeeds', ep.stateSeeds, 1],
    ] as const)
      if (arr.length !== L * per)
        throw new Error(`hidden episode: ${name} has ${arr.length} entries, expected ${L * per}`);
    for (const s of [ep.learnSplit, ep.querySplit])
      if (s.pixels !== A) throw new Error(`hidden learner reads ${A} pixels, split '${s.name}' has ${s.pixels}`);
    if (ep.learnIndices.some((i) => i >= ep.learnSplit.count))
      throw new Error('hidden episode: learn index out of range');
    if (ep.queryIndices.some((i) => i >= ep.querySplit.count))
      throw new Error('hidden episode: query index out of range');
    const learnPiece = onePiece(ep.learnSplit);
    const queryPiece = onePiece(ep.querySplit);
    const stepsPerSubmit = opts.stepsPerSubmit ?? 64;
    const chunkRows = Math.min(opts.queryRowsPerChunk ?? 8192, Math.max(1, L * ep.queryLength));

    const init = opts.initialW ?? hiddenInitialW(c, ep.stateSeeds);
    if (init.length !== L * H * A)
      throw new Error(`hidden population: initialW has ${init.length} floats, expected ${L * H * A}`);
    const own = new Float32Array(L * H * C);
    const per = hiddenOwnership(c);
    for (let l = 0; l < L; l++) own.set(per, l * H * C);

    const buffers: GPUBuffer[] = [];
    const keep = (b: GPUBuffer) => (buffers.push(b), b);
    const f32 = (label: string, n: number) => keep(gpu.storage(label, Math.max(4, 4 * n)));
    const p = keep(gpu.storage('hidden params', params));
    const w = keep(gpu.storage('hidden w', init));
    const ownB = keep(gpu.storage('hidden own', own));
    const count = keep(gpu.storage('hidden count', new Float32Array(L * H * C)));
    const d = f32('hidden d', Math.max(L, chunkRows) * H);
    const q = f32('hidden q', L * H * C);
    const outLearn = f32('hidden out (learn)', L * 2 * C);
    const outQuery = f32('hidden out (query)', L * ep.queryLength * 2 * C);
    const rho = f32('hidden rho', L * H);
    const ctrl = keep(gpu.storage('hidden ctrl', new Uint32Array(4)));
    const learnIdx = keep(
      gpu.storage('hidden learn idx', ep.learnIndices.length ? ep.learnIndices : new Uint32Array(1)),
    );
    const queryIdx = keep(
      gpu.storage('hidden query idx', ep.queryIndices.length ? ep.queryIndices : new Uint32Array(1)),
    );
    const uniform = (label: string, data: Uint32Array) => keep(gpu.uniform(label, data));
    const prep = (call: KernelCall): Dispatch => prepareKernel(gpu, call, uniform);

    try {
      const stride = ep.learnLength;
      const step: Dispatch[] = [
        prep({
          program: hiddenForwardProgram(c, ep.learnSplit.wordsPerImage),
          threads: L * H,
          uniforms: { rows: L, firstRow: 0, perLearner: 1, stride, useCtrl: 1, tasksPerMember: T },
          bindings: [p, learnPiece.images, learnIdx, ctrl, w, d],
        }),
        prep({
          program: hiddenCompeteProgram(c),
          threads: L * C,
          uniforms: { rows: L, firstRow: 0, perLearner: 1, tasksPerMember: T, writeQ: 1 },
          bindings: [p, d, ownB, count, q, outLearn],
        }),
        prep({
          program: hiddenBackwardProgram(c),
          threads: L * H,
          uniforms: { learners: L, stride, tasksPerMember: T },
          bindings: [p, learnPiece.labels, learnIdx, ctrl, q, outLearn, ownB, count, rho],
        }),
        prep({
          program: hiddenUpdateProgram(c, ep.learnSplit.wordsPerImage),
          threads: L * A,
          uniforms: { learners: L, stride, tasksPerMember: T },
          bindings: [p, learnPiece.images, learnIdx, ctrl, rho, w],
        }),
        prep({ program: advanceProgram(), grid: [1, 1], bindings: [ctrl] }),
      ];
      for (let done = 0; done < ep.learnLength;) {
        const n = Math.min(stepsPerSubmit, ep.learnLength - done);
        const enc = gpu.device.createCommandEncoder({ label: 'hidden learn' });
        const pass = enc.beginComputePass({ label: 'hidden learn' });
        for (let i = 0; i < n; i++) for (const disp of step) encodeDispatch(pass, disp);
        pass.end();
        gpu.device.queue.submit([enc.finish()]);
        await gpu.device.queue.onSubmittedWorkDone();
        gpu.check();
        done += n;
        opts.onProgress?.(done, ep.learnLength);
      }
      // Queries: chunks of rows, state frozen.
      const rows = L * ep.queryLength;
      for (let first = 0; first < rows; first += chunkRows) {
        const n = Math.min(chunkRows, rows - first);
        const qd: Dispatch[] = [
          prep({
            program: hiddenForwardProgram(c, ep.querySplit.wordsPerImage),
            threads: n * H,
            uniforms: {
              rows: n,
              firstRow: first,
              perLearner: ep.queryLength,
              stride: ep.queryLength,
              useCtrl: 0,
              tasksPerMember: T,
            },
            bindings: [p, queryPiece.images, queryIdx, ctrl, w, d],
          }),
          prep({
            program: hiddenCompeteProgram(c),
            threads: n * C,
            uniforms: { rows: n, firstRow: first, perLearner: ep.queryLength, tasksPerMember: T, writeQ: 0 },
            bindings: [p, d, ownB, count, q, outQuery],
          }),
        ];
        const enc = gpu.device.createCommandEncoder({ label: 'hidden queries' });
        const pass = enc.beginComputePass({ label: 'hidden queries' });
        for (const disp of qd) encodeDispatch(pass, disp);
        pass.end();
        gpu.device.queue.submit([enc.finish()]);
      }
      const out = rows > 0 ? await gpu.readF32(outQuery, 0, rows * 2 * C) : new Float32Array(0);
      const logits = new Float32Array(rows * C);
      const predictions = new Uint8Array(rows);
      for (let r = 0; r < rows; r++) {
        let best = 0;
        for (let b = 0; b < C; b++) {
          const v = out[r * 2 * C + C + b];
          logits[r * C + b] = v;
          if (v > logits[r * C + best]) best = b;
        }
        predictions[r] = best;
      }
      const result: HiddenRunResult = { logits, predictions };
      if (opts.wantState)
        result.state = { w: await gpu.readF32(w, 0, L * H * A), count: await gpu.readF32(count, 0, L * H * C) };
      gpu.check();
      return result;
    } finally {
      for (const b of buffers) b.destroy();
    }
  }
}
