/**
 * What the GPU runs for a VsmlPopulation, as recorded dispatches (program pattern:
 * src/kernels/program.ts):
 *
 *  - `encodeInit`: repack each group's meta-parameters (vsml-pack), draw the projection's sign bits
 *    (vsml-projection), clear the state slabs and draw the random part of the initial cell states
 *    (vsml-init), once per episode;
 *  - `buildStep`: one example step of one group, built once per run and replayed for every step
 *    of a submission: input -> per layer (backward terms on the CPU path) cell -> heads ->
 *    readout -> advance the step counter.
 */
import { type GpuImageSplit, maxBindingBytes } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { GpuLimitError } from '../gpu/errors';
import { type Binding, bindGroupOf, type Dispatch, encodeDispatch, pipelineOf, type Program, threadGrid, uniformData } from '../kernels/program';
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
  if (size > maxBindingBytes(ctx.gpu)) throw new GpuLimitError(`meta-parameters of group ${g.first} need ${size} bytes, above the binding limit`);
  return { binding: { buffer: metaParams, offset, size }, shift: offset / 4 };
}

/** Everything one example step of one group needs, encoded once per runEpisodes call. */
export function buildStep(ctx: StepContext, g: Group, mode: CellMode, metaParams: GPUBuffer, split: GpuImageSplit, length: number, wantPredictions: boolean): Dispatch[] {
  const { gpu, config: c, pool } = ctx;
  const plan = ctx.run.plan;
  const learn = mode === 'learn';
  const E = learn ? 1 : plan.queryBatch;
  const T = ctx.tasksPerMember;
  const { binding: mp, shift } = paramRange(ctx, g, metaParams);
  const K = plan.layers.length;
  const calls: Dispatch[] = [];
  const record = (p: Program, entries: Binding[], label: string, grid: [number, number]) => {
    const pipeline = pipelineOf(gpu, p);
    calls.push([pipeline, bindGroupOf(gpu, pipeline, entries, label), grid]);
  };

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
  const inGrid = threadGrid(gpu, inProg, g.count * E * inputThreadsPerExample({ units: c.layers[0], projection: c.projection }));
  split.pieces.forEach((piece, i) => {
    const u = pool.uniform(
      'vsml input params',
      inputParams({ learners: g.count, length, gridX: inGrid[0], pieceFirst: piece.first, pieceCount: piece.count, isFirstPiece: i === 0 ? 1 : 0, nonzeroStride: split.nonzeroStride, pad1: 0 }),
    );
    const entries: Binding[] = [u, g.ctrl, g.indices, piece.images, piece.labels, g.labelMap, g.x, g.labels];
    if (c.projection) entries.push(g.projBits!);
    if (sparse) entries.push(piece.nonzero);
    record(inProg, entries, 'vsml input', inGrid);
  });

  for (let k = 0; k < K; k++) {
    const lp = plan.layers[k];
    const lb = g.layers[k];
    const cellProg = cellProgram({ config: c, layer: lp, mode, examples: E });
    const fwdIn = k === 0 ? g.x : g.layers[k - 1].fwdOut;
    const zeroBwd = !learn && lp.isLast ? 1 : 0;
    if (lb.gb) {
      const tProg = termsProgram(c, lp);
      const tGrid = threadGrid(gpu, tProg, g.count * lp.B * packedLayout(c).rowQuads);
      const tu = pool.uniform(
        'vsml terms params',
        uniformData(tProg, { learners: g.count, gridX: tGrid[0], firstLearner: g.first, tasksPerMember: T, firstMember: g.members[0], zeroBwd, pad0: 0, pad1: 0 }),
      );
      record(tProg, [tu, g.packed, lb.bwdIn, lb.gb], `vsml terms L${k}`, tGrid);
    }
    // Cell: one workgroup per tile ("unit"), slab by slab.
    for (const slab of lb.slabs) {
      const grid = lp.columns ? threadGrid(gpu, cellProg, slab.unitCount * lp.TB) : gpu.grid(slab.unitCount);
      const u = pool.uniform(
        'vsml cell params',
        uniformData(cellProg, {
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
      record(cellProg, entries, `vsml cell L${k}`, grid);
    }
    const backward = learn && !lp.isInput;
    const hProg = headsProgram(c, lp, E, backward);
    const hGrid = threadGrid(gpu, hProg, headsThreads(lp, g.count, E, backward));
    const hu = pool.uniform(
      'vsml heads params',
      uniformData(hProg, { learners: g.count, gridX: hGrid[0], firstLearner: g.first, tasksPerMember: T, paramShift: shift, pad0: 0, pad1: 0, pad2: 0 }),
    );
    const hEntries: Binding[] = [hu, mp, lb.partB, lb.fwdOut];
    if (backward) hEntries.push(lb.partA!, g.layers[k - 1].bwdIn);
    record(hProg, hEntries, `vsml heads L${k}`, hGrid);
  }

  const roProg = readoutProgram(c, mode, E, wantPredictions);
  const roGrid = threadGrid(gpu, roProg, g.count);
  const ru = pool.uniform('vsml readout params', uniformData(roProg, { learners: g.count, length, gridX: roGrid[0], pad: 0 }));
  const roEntries: Binding[] = [ru, g.ctrl, g.layers[K - 1].fwdOut, g.labels, g.metrics];
  if (learn) roEntries.push(g.layers[K - 1].bwdIn);
  else if (wantPredictions) roEntries.push(g.predictions);
  record(roProg, roEntries, 'vsml readout', roGrid);

  record(advanceProgram(), [g.ctrl], 'vsml advance', [1, 1]);
  return calls;
}

/** Pack every group's meta-parameters and draw the initial states (one compute pass). */
export function encodeInit(ctx: StepContext, groups: Group[], enc: GPUCommandEncoder, metaParams: GPUBuffer): void {
  const { gpu, config, pool } = ctx;
  const H = config.hidden;
  // h, the non-random half of c and padding cells are zero; the init kernel writes the rest.
  for (const g of groups) for (const l of g.layers) for (const slab of l.slabs) enc.clearBuffer(slab.buffer);
  const pass = enc.beginComputePass({ label: 'vsml init' });
  const packProg = packProgram(config);
  const packPipe = pipelineOf(gpu, packProg);
  const initProg = initProgram(H);
  const initPipe = pipelineOf(gpu, initProg);
  for (const g of groups) {
    const { binding, shift } = paramRange(ctx, g, metaParams);
    const members = g.members[1] - g.members[0] + 1;
    const grid = threadGrid(gpu, packProg, members * packedLayout(config).size);
    const u = pool.uniform('vsml pack params', uniformData(packProg, { members, firstMember: g.members[0], paramShift: shift, gridX: grid[0] }));
    encodeDispatch(pass, [packPipe, bindGroupOf(gpu, packPipe, [u, binding, g.packed], 'vsml pack'), grid]);
    if (g.projBits) {
      const projProg = projectionProgram(config.layers[0], config.inputSize);
      const projPipe = pipelineOf(gpu, projProg);
      const grid = threadGrid(gpu, projProg, g.count * projectionThreads(config.layers[0], config.inputSize));
      const u = pool.uniform('vsml projection params', uniformData(projProg, { learners: g.count, gridX: grid[0], pad0: 0, pad1: 0 }));
      encodeDispatch(pass, [projPipe, bindGroupOf(gpu, projPipe, [u, g.projSeeds, g.projBits], 'vsml projection'), grid]);
    }
    ctx.run.plan.layers.forEach((lp, k) => {
      for (const slab of g.layers[k].slabs) {
        const grid = threadGrid(gpu, initProg, slab.unitCount * initQuads(H) * lp.TT);
        const u = pool.uniform('vsml init params', initParams(lp, H, { unitBase: slab.unitBase, unitCount: slab.unitCount, gridX: grid[0] }));
        encodeDispatch(pass, [initPipe, bindGroupOf(gpu, initPipe, [u, g.stateSeeds, slab.buffer], 'vsml init'), grid]);
      }
    });
  }
  pass.end();
}
