/**
 * What the GPU runs for a VsmlPopulation, as recorded dispatches (program pattern:
 * src/kernels/program.ts):
 *
 *  - `encodeInit`: repack each group's meta-parameters (vsml-pack), draw the projection's sign bits
 *    (vsml-projection), clear the state slabs and draw the random part of the initial cell states
 *    (vsml-init), once per episode;
 *  - `buildStep`: one example step of one group, built once per run and replayed for every step
 *    of a submission: input -> per layer (backward terms on the CPU path's row mapping) cell ->
 *    heads (not after the column mapping, whose cell kernel applies the forward head) ->
 *    readout -> advance the step counter.
 */
import { type GpuImageSplit, maxBindingBytes } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { GpuLimitError } from '../gpu/errors';
import { type Binding, type Dispatch, threadGrid } from '../kernels/program';
import { encodeKernels, type KernelCall, prepareKernel } from '../kernels/runner';
import { type CellMode, cellProgram } from '../kernels/vsml-cell';
import { headsProgram, headsThreads } from '../kernels/vsml-heads';
import { initParams, initProgram } from '../kernels/vsml-init';
import { initQuads, projectionThreads } from '../spec/buffer-layout';
import { inputParams, inputProgram, inputThreadsPerExample } from '../kernels/vsml-input';
import { packProgram } from '../kernels/vsml-pack';
import { projectionProgram } from '../kernels/vsml-projection';
import { advanceProgram, readoutProgram } from '../kernels/vsml-readout';
import { termsProgram } from '../kernels/vsml-terms';
import type { BufferPool, Group } from './population-buffers';
import type { RunPlan } from './population-plan';
import { packedLayout } from '../spec/plan';
import { type VsmlConfig, numClasses } from '../spec/vsml-config';

export interface StepContext {
  gpu: GpuContext;
  config: VsmlConfig;
  run: RunPlan;
  tasksPerMember: number;
  /** Per-run uniforms are created here (released after the run). */
  pool: BufferPool;
}

/** The part of the meta-parameter buffer a group reads, at an offset the device accepts. */
/**
 * Largest fraction of nonzero image words for which the projection runs over the nonzero-word
 * lists. With 8 units per thread a listed word costs 0.85-1.1x a word of the every-word form
 * (bench:profile, 128 `small` learners on MNIST, docs/perf.md), so the lists pay unless nearly
 * every word is nonzero (MNIST: 0.28).
 */
export const SPARSE_PROJECTION_MAX = 0.9;

export function paramRange(ctx: StepContext, g: Group, metaParams: GPUBuffer): { binding: Binding; shift: number } {
  const D4 = ctx.run.paramsPerMember * 4;
  const align = ctx.gpu.device.limits.minStorageBufferOffsetAlignment;
  const offset = Math.floor((g.members[0] * D4) / align) * align;
  const end = (g.members[1] + 1) * D4;
  const size = end - offset;
  if (size > maxBindingBytes(ctx.gpu))
    throw new GpuLimitError(`meta-parameters of group ${g.first} need ${size} bytes, above the binding limit`);
  return { binding: { buffer: metaParams, offset, size }, shift: offset / 4 };
}

/** Everything one example step of one group needs, encoded once per runEpisodes call. */
export function buildStep(
  ctx: StepContext,
  g: Group,
  mode: CellMode,
  metaParams: GPUBuffer,
  split: GpuImageSplit,
  length: number,
  wantPredictions: boolean,
): Dispatch[] {
  const { gpu, config: c, pool } = ctx;
  const plan = ctx.run.plan;
  const learn = mode === 'learn';
  const E = learn ? 1 : plan.queryBatch;
  const T = ctx.tasksPerMember;
  const { binding: mp, shift } = paramRange(ctx, g, metaParams);
  const K = plan.layers.length;
  const calls: KernelCall[] = [];

  // Input: one dispatch per piece of the split. The projection visits only nonzero words where
  // they are at most SPARSE_PROJECTION_MAX of the split's words.
  const sparse = c.projection && split.nonzeroStride > 0 && split.nonzeroFraction <= SPARSE_PROJECTION_MAX;
  const inProg = inputProgram(
    {
      units: c.layers[0],
      pixels: split.pixels,
      wordsPerImage: split.wordsPerImage,
      projection: c.projection,
      sparse,
      examples: E,
      numClasses: numClasses(c),
    },
    `vsml-input-${mode}`,
  );
  const inGrid = threadGrid(
    gpu,
    inProg,
    g.count * E * inputThreadsPerExample({ units: c.layers[0], projection: c.projection }),
  );
  split.pieces.forEach((piece, i) => {
    const bindings: Binding[] = [g.ctrl, g.indices, piece.images, piece.labels, g.labelMap, g.x, g.labels];
    if (c.projection) bindings.push(g.projBits!);
    if (sparse) bindings.push(piece.nonzero);
    const uniforms = inputParams({
      learners: g.count,
      length,
      gridX: inGrid[0],
      pieceFirst: piece.first,
      pieceCount: piece.count,
      isFirstPiece: i === 0 ? 1 : 0,
      nonzeroStride: split.nonzeroStride,
      pad1: 0,
    });
    calls.push({ program: inProg, grid: inGrid, uniforms, bindings, label: 'vsml input' });
  });

  for (let k = 0; k < K; k++) {
    const lp = plan.layers[k];
    const lb = g.layers[k];
    const cellProg = cellProgram({ config: c, layer: lp, mode, examples: E });
    const fwdIn = k === 0 ? g.x : g.layers[k - 1].fwdOut;
    const zeroBwd = !learn && lp.isLast ? 1 : 0;
    if (lb.gb) {
      const uniforms = {
        learners: g.count,
        firstLearner: g.first,
        tasksPerMember: T,
        firstMember: g.members[0],
        zeroBwd,
      };
      calls.push({
        program: termsProgram(c, lp),
        threads: g.count * lp.B * packedLayout(c).rowQuads,
        uniforms,
        bindings: [g.packed, lb.bwdIn, lb.gb],
        label: `vsml terms L${k}`,
      });
    }
    // Cell: one workgroup per tile ("unit"), slab by slab.
    // The column mapping writes the forward messages itself (its thread holds the whole sum over
    // a); the other mappings write partial sums for the heads kernel.
    for (const slab of lb.slabs) {
      const bindings: Binding[] = [g.packed, slab.buffer, fwdIn, lb.gb ?? lb.bwdIn];
      if (lp.columns) bindings.push(lb.fwdOut, mp);
      else bindings.push(lb.partB!);
      if (learn && !lp.isInput) bindings.push(lb.partA!);
      const uniforms = {
        unitBase: slab.unitBase,
        unitCount: slab.unitCount,
        firstLearner: g.first,
        tasksPerMember: T,
        firstMember: g.members[0],
        zeroBwd,
        paramShift: shift,
      };
      const size = lp.columns ? { threads: slab.unitCount * lp.TB } : { grid: gpu.grid(slab.unitCount) };
      calls.push({ program: cellProg, ...size, uniforms, bindings, label: `vsml cell L${k}` });
    }
    if (lp.columns) continue;
    const backward = learn && !lp.isInput;
    const hBindings: Binding[] = [mp, lb.partB!, lb.fwdOut];
    if (backward) hBindings.push(lb.partA!, g.layers[k - 1].bwdIn);
    calls.push({
      program: headsProgram(c, lp, E, backward),
      threads: headsThreads(lp, g.count, E, backward),
      uniforms: { learners: g.count, firstLearner: g.first, tasksPerMember: T, paramShift: shift },
      bindings: hBindings,
      label: `vsml heads L${k}`,
    });
  }

  const roBindings: Binding[] = [g.ctrl, g.layers[K - 1].fwdOut, g.labels, g.metrics];
  if (learn) roBindings.push(g.layers[K - 1].bwdIn);
  else if (wantPredictions) roBindings.push(g.predictions);
  calls.push({
    program: readoutProgram(c, mode, E, wantPredictions),
    threads: g.count,
    uniforms: { learners: g.count, length },
    bindings: roBindings,
    label: 'vsml readout',
  });
  calls.push({ program: advanceProgram(), grid: [1, 1], bindings: [g.ctrl], label: 'vsml advance' });
  return calls.map((call) => prepareKernel(gpu, call, (label, data) => pool.uniform(label, data)));
}

/** Pack every group's meta-parameters and draw the initial states (one compute pass). */
export function encodeInit(ctx: StepContext, groups: Group[], enc: GPUCommandEncoder, metaParams: GPUBuffer): void {
  const { gpu, config, pool } = ctx;
  const H = config.hidden;
  // h, the non-random half of c and padding cells are zero; the init kernel writes the rest.
  for (const g of groups) for (const l of g.layers) for (const slab of l.slabs) enc.clearBuffer(slab.buffer);
  const calls: KernelCall[] = [];
  for (const g of groups) {
    const { binding, shift } = paramRange(ctx, g, metaParams);
    const members = g.members[1] - g.members[0] + 1;
    calls.push({
      program: packProgram(config),
      threads: members * packedLayout(config).size,
      uniforms: { members, firstMember: g.members[0], paramShift: shift },
      bindings: [binding, g.packed],
      label: 'vsml pack',
    });
    if (g.projBits) {
      calls.push({
        program: projectionProgram(config.layers[0], config.inputSize),
        threads: g.count * projectionThreads(config.layers[0], config.inputSize),
        uniforms: { learners: g.count },
        bindings: [g.projSeeds, g.projBits],
        label: 'vsml projection',
      });
    }
    const initProg = initProgram(H);
    ctx.run.plan.layers.forEach((lp, k) => {
      for (const slab of g.layers[k].slabs) {
        const grid = threadGrid(gpu, initProg, slab.unitCount * initQuads(H) * lp.TT);
        const uniforms = initParams(lp, H, { unitBase: slab.unitBase, unitCount: slab.unitCount, gridX: grid[0] });
        calls.push({ program: initProg, grid, uniforms, bindings: [g.stateSeeds, slab.buffer], label: 'vsml init' });
      }
    });
  }
  encodeKernels(
    enc,
    calls.map((call) => prepareKernel(gpu, call, (label, data) => pool.uniform(label, data))),
    'vsml init',
  );
}
