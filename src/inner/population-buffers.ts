/**
 * GPU buffers of a VsmlPopulation: a pool that owns (and optionally poisons) them, and the
 * per-group set (state slabs, messages, partial sums, inputs, metrics). Sizes come from the plan
 * (src/inner/population-plan.ts); layouts are documented in src/spec/plan.ts and the kernels.
 */
import type { GpuContext } from '../gpu/context';
import { projectionBytes } from '../spec/buffer-layout';
import { CTRL_WORDS, METRIC_WORDS } from '../kernels/vsml-readout';
import { packedLayout } from '../spec/plan';
import type { PopulationShape, RunPlan } from './population-plan';
import { type VsmlConfig, numClasses } from '../spec/vsml-config';

const POISON_WORD = 0x7fc0dead;

/** Every buffer a population creates, destroyed together; per-run uniforms are released after the run. */
export class BufferPool {
  private readonly owned: GPUBuffer[] = [];

  constructor(
    private readonly gpu: GpuContext,
    private readonly poison: boolean,
  ) {}

  storage(label: string, bytes: number): GPUBuffer {
    const b = this.gpu.storage(label, Math.max(16, bytes));
    this.owned.push(b);
    if (this.poison) this.gpu.upload(b, new Uint32Array(b.size / 4).fill(POISON_WORD));
    return b;
  }

  uniform(label: string, data: Uint32Array): GPUBuffer {
    const b = this.gpu.uniform(label, data);
    this.owned.push(b);
    return b;
  }

  /** A mark to release back to: buffers created after it are destroyed by `release(mark)`. */
  mark(): number {
    return this.owned.length;
  }

  release(mark = 0): void {
    for (const b of this.owned.splice(mark)) b.destroy();
  }
}

export interface Slab {
  buffer: GPUBuffer;
  unitBase: number;
  unitCount: number;
}

export interface LayerBuffers {
  slabs: Slab[];
  /** [Lg][E][partRows][B][H] partial sums over a (forward); none on the column mapping, which applies the head itself. */
  partB: GPUBuffer | null;
  /** [Lg][bTiles][A][H] partial sums over b (backward; layers > 0). */
  partA: GPUBuffer | null;
  /** [Lg][E][B][M] forward messages out. */
  fwdOut: GPUBuffer;
  /** [Lg][B][M] incoming backward messages (last layer: the feedback). */
  bwdIn: GPUBuffer;
  /** CPU path, row mapping: backward terms [Lg][B][row quads] vec4 (src/kernels/vsml-terms.ts). */
  gb: GPUBuffer | null;
}

/** A group of learners [first, first + count) that shares every buffer. */
export interface Group {
  first: number;
  count: number;
  ctrl: GPUBuffer;
  indices: GPUBuffer;
  labelMap: GPUBuffer;
  stateSeeds: GPUBuffer;
  projSeeds: GPUBuffer;
  /** Projection sign blocks [Lg][A0][blocks] vec4<u32>, drawn once per episode (src/kernels/vsml-projection.ts); null without projection. */
  projBits: GPUBuffer | null;
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

export function allocateGroup(
  pool: BufferPool,
  c: VsmlConfig,
  run: RunPlan,
  shape: PopulationShape,
  first: number,
  count: number,
  slabs: [number, number][][],
): Group {
  const E = run.plan.queryBatch;
  const H = c.hidden;
  const M = c.message;
  const C = numClasses(c);
  const T = shape.tasksPerMember;
  const name = `vsml g${first}`;
  const buffer = (label: string, bytes: number) => pool.storage(label, bytes);
  const layers: LayerBuffers[] = run.plan.layers.map((lp, k) => ({
    slabs: slabs[k].map(([unitBase, unitCount]) => ({
      buffer: buffer(`${name} L${k} state [${unitBase}, +${unitCount})`, unitCount * lp.unitVec4s * 16),
      unitBase,
      unitCount,
    })),
    partB: lp.columns ? null : buffer(`${name} L${k} partB`, count * E * lp.partRows * lp.B * H * 4),
    partA: lp.isInput ? null : buffer(`${name} L${k} partA`, count * lp.bTiles * lp.A * H * 4),
    fwdOut: buffer(`${name} L${k} fwdOut`, count * E * lp.B * M * 4),
    bwdIn: buffer(`${name} L${k} bwdIn`, count * lp.B * M * 4),
    gb:
      lp.weights === 'private' && !lp.columns
        ? buffer(`${name} L${k} gb`, count * lp.B * packedLayout(c).rowQuads * 16)
        : null,
  }));
  const idxWords = Math.max(run.stepsPerSubmit, run.queryStepsPerSubmit * E);
  const members: [number, number] = [Math.floor(first / T), Math.floor((first + count - 1) / T)];
  return {
    first,
    count,
    ctrl: buffer(`${name} ctrl`, CTRL_WORDS * 4),
    indices: buffer(`${name} indices`, idxWords * count * 4),
    labelMap: buffer(`${name} labelMap`, count * C * 4),
    stateSeeds: buffer(`${name} stateSeeds`, count * 4),
    projSeeds: buffer(`${name} projSeeds`, count * 4),
    projBits: c.projection ? buffer(`${name} projBits`, count * projectionBytes(c.layers[0], c.inputSize)) : null,
    x: buffer(`${name} x`, count * E * c.layers[0] * 4),
    labels: buffer(`${name} labels`, count * E * 4),
    packed: buffer(`${name} packed`, (members[1] - members[0] + 1) * packedLayout(c).size * 16),
    metrics: buffer(`${name} metrics`, count * METRIC_WORDS * 4),
    predictions: buffer(`${name} predictions`, count * Math.max(1, shape.queryLength) * 4),
    layers,
    members,
  };
}
