/**
 * Work planning for a VSML population: cell tiles per layer, the state layout, learner groups and
 * state slabs sized from the context's (possibly lowered) limits, and steps per submission.
 * Pure TypeScript: every kernel reads its sizes and strides from here, nothing is duplicated.
 *
 * Tiles: a workgroup steps one tile of TA x TB cells (a, b) of one learner and layer. State is
 * stored tile by tile so that any run of whole tiles ("units") is contiguous: a unit holds
 * 2H/4 vec4 rows (h quads then c quads) of TT = TA * TB cells, row-major [quad][cell in tile].
 * Consecutive threads read consecutive vec4s (coalesced), and a buffer can be cut between units.
 */
import { GpuLimitError } from '../gpu/errors';
import { initQuads, projectionBytes, projectionThreads } from './buffer-layout';
import { type VsmlConfig, metaParamLayout } from './vsml-config';

/** Threads per workgroup of the cell kernel. */
export const CELL_WORKGROUP = 64;
/** Largest TB: keeps the per-output staging (TB x 4H floats) within 16 KiB of workgroup memory. */
const MAX_TB = 16;

/**
 * Where the cell kernel reads the recurrent matrices: 'workgroup' (staged once per workgroup; the
 * GPU path), 'private' (copied once into each thread's private array; the CPU path: SwiftShader's
 * workgroup and storage loads are gathers, private loads at constant offsets are plain vector
 * loads), or 'storage' (read where they are; the fallback when workgroup memory is too small).
 */
export type WeightSource = 'workgroup' | 'private' | 'storage';

export interface CellKernelOptions {
  weights: WeightSource;
  /** Private path: use the column mapping for input layers where it fits (default true; false: rows, as before issue 10). */
  columns?: boolean;
  /**
   * Private path, row mapping: query batches step each cell's examples together and compute the
   * first tick's recurrent product once per cell (`LayerPlan.reuse`). Default false.
   */
  reuse?: boolean;
  /**
   * Column mapping: copy the weights into the thread's private array with a loop rather than one
   * statement per vec4 (`LayerPlan.weightLoop`). Default false.
   */
  weightLoop?: boolean;
  /** Column mapping: cells a thread steps side by side in a learning step (`LayerPlan.cellBlock`). Default 1. */
  cellBlock?: number;
}

export interface LayerPlan {
  k: number;
  /** Input and output units. */
  A: number;
  B: number;
  /** Tile shape (cells TA x TB) and counts. */
  TA: number;
  TB: number;
  TT: number;
  /** Cells per thread (consecutive b, stepped in turn: TB on the private path, else 1) and threads per tile row: TB = NC * TBC. */
  NC: number;
  TBC: number;
  /** Threads per workgroup: TA * TBC. */
  threads: number;
  aTiles: number;
  bTiles: number;
  /**
   * Rows of forward partial sums per (learner, example, b): aTiles when a workgroup sums its tile
   * in workgroup memory; A on the private-weights path's row mapping, which writes each row's h
   * directly; 1 on its column mapping (`columns`), which sums all A rows in registers and applies
   * the forward head itself, so no partial sums are stored or dispatched there.
   */
  partRows: number;
  unitsPerLearner: number;
  /** vec4 per unit: (2H/4) * TT. */
  unitVec4s: number;
  isInput: boolean;
  isLast: boolean;
  /** Rows of the per-unit message terms: 4H (full) or r padded to a multiple of 4 (low-rank). */
  termRows: number;
  /** Workgroup memory the cell kernel needs (bytes) and where it reads the cell matrices. */
  sharedBytes: number;
  weights: WeightSource;
  /**
   * Column mapping of the private-weights path (input layers): a unit is a learner's whole input
   * range (TA = A) for TB outputs, and one thread owns one output column b, stepping its cells
   * a = 0..A-1 in order and summing their h in registers (partRows = 1; the same additions, in the
   * same order, as the aggregation over A rows). `threads` is then the workgroup size and the cell
   * dispatch has one invocation per (unit, tb).
   */
  columns: boolean;
  /**
   * Row mapping of the private path (issue 20, lavapipe): a query batch loops over the thread's
   * cells outside its examples, so each cell is loaded once and the first tick's recurrent product
   * (it depends only on the stored h) is computed once for all E examples, as the column mapping
   * does. Same operations in the same order per example: identical bits to the plain row mapping.
   */
  reuse: boolean;
  /**
   * Column mapping (issue 20, lavapipe): the private weight array is filled by a loop with runtime
   * indices instead of one statement per vec4 with constant ones. llvmpipe then keeps it in memory
   * rather than in thousands of registers and builds the H 16 kernels 5x faster, for learning steps
   * about 25% slower. The same values: identical bits.
   */
  weightLoop: boolean;
  /**
   * Column mapping, learning steps of the full cell (issue 20, lavapipe): the thread steps this
   * many consecutive cells a side by side, loading each weight vec4 once for all of them
   * (register blocking across cells; on a CPU the weights cannot stay in registers). Each cell's
   * sums are the same expressions in the same order: identical bits. 1 elsewhere.
   */
  cellBlock: number;
}

/** Padded rank (multiple of 4) of the low-rank cell; 0 for the full cell. */
export function paddedRank(c: VsmlConfig): number {
  return c.cell.kind === 'lstm-lowrank' ? Math.ceil(c.cell.rank / 4) * 4 : 0;
}

/**
 * Per-member weights repacked once per episode (src/kernels/vsml-pack.ts) into vec4-aligned
 * blocks the cell kernel loads directly. Offsets and sizes in vec4.
 *  rec: full W_h [4H rows][H/4] | low-rank V_h [R rows][H/4] (rows >= r are 0)
 *  u:   low-rank U [4H rows][R/4] (columns >= r are 0)
 *  wf, wb: message columns as row quads, [rowQuads][M]: vec4 = rows 4q..4q+3 of column m
 *  cq:  bias + fixed gate offset, [H] quads of the 4H gate rows
 */
export interface PackedLayout {
  rec: number;
  u: number;
  wf: number;
  wb: number;
  cq: number;
  /** vec4 per member. */
  size: number;
  recSize: number;
  uSize: number;
  rowQuads: number;
}

export function packedLayout(c: VsmlConfig): PackedLayout {
  const H = c.hidden;
  const H4 = H / 4;
  const M = c.message;
  const R = paddedRank(c);
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const rowQuads = lowRank ? R / 4 : H;
  const recSize = lowRank ? R * H4 : 4 * H * H4;
  const uSize = lowRank ? 4 * H * (R / 4) : 0;
  const rec = 0;
  const u = rec + recSize;
  const wf = u + uSize;
  const wb = wf + rowQuads * M;
  const cq = wb + rowQuads * M;
  return { rec, u, wf, wb, cq, size: cq + H, recSize, uSize, rowQuads };
}

function sharedVec4s(c: VsmlConfig, TA: number, TB: number, weights: WeightSource): number {
  const pk = packedLayout(c);
  const staged = weights === 'workgroup' ? pk.recSize + pk.uSize + (c.cell.kind === 'lstm' ? 0 : c.hidden) : 0;
  // sGf, sGb, and the h of every cell of the tile for the partial sums.
  return staged + (TA + TB) * pk.rowQuads + (TA * TB * c.hidden) / 4;
}

export interface PlanLimits {
  /** Largest storage binding (min of binding and buffer size limits). */
  maxBinding: number;
  maxSharedBytes: number;
  maxWorkgroupsPerDimension: number;
}

export function planLayers(
  c: VsmlConfig,
  limits: PlanLimits,
  opts: CellKernelOptions,
  wg = CELL_WORKGROUP,
): LayerPlan[] {
  const maxSharedBytes = limits.maxSharedBytes;
  const H = c.hidden;
  const out: LayerPlan[] = [];
  const K = c.layers.length - 1;
  for (let k = 0; k < K; k++) {
    const A = c.layers[k];
    const B = c.layers[k + 1];
    const bSplits = Math.ceil(B / Math.min(MAX_TB, wg));
    const TB = Math.ceil(B / bSplits);
    if (opts.weights === 'private' && opts.columns !== false && k === 0 && 2 * H * A * TB * 4 <= limits.maxBinding) {
      // CPU path, input layer: one thread per output column b walks all A inputs (see `columns`).
      out.push({
        k,
        A,
        B,
        TA: A,
        TB,
        TT: A * TB,
        NC: 1,
        TBC: TB,
        threads: wg,
        aTiles: 1,
        bTiles: Math.ceil(B / TB),
        partRows: 1,
        unitsPerLearner: Math.ceil(B / TB),
        unitVec4s: (2 * H * A * TB) / 4,
        isInput: true,
        isLast: k === K - 1,
        termRows: c.cell.kind === 'lstm' ? 4 * H : paddedRank(c),
        sharedBytes: 0,
        weights: 'private',
        columns: true,
        reuse: false,
        weightLoop: opts.weightLoop === true,
        cellBlock: Math.max(1, Math.floor(opts.cellBlock ?? 1)),
      });
      continue;
    }
    if (opts.weights === 'private') {
      // CPU path: one thread per input row a, stepping the tile's TB outputs in turn; no workgroup
      // memory and no barriers (SwiftShader's compile time grows with workgroup memory size).
      let TA = Math.max(1, Math.min(A, wg));
      while (2 * H * TA * TB * 4 > limits.maxBinding && TA > 1) TA = Math.ceil(TA / 2);
      out.push({
        k,
        A,
        B,
        TA,
        TB,
        TT: TA * TB,
        NC: TB,
        TBC: 1,
        threads: TA,
        aTiles: Math.ceil(A / TA),
        bTiles: Math.ceil(B / TB),
        partRows: A,
        unitsPerLearner: Math.ceil(A / TA) * Math.ceil(B / TB),
        unitVec4s: (2 * H * TA * TB) / 4,
        isInput: k === 0,
        isLast: k === K - 1,
        termRows: c.cell.kind === 'lstm' ? 4 * H : paddedRank(c),
        sharedBytes: 0,
        weights: 'private',
        columns: false,
        reuse: opts.reuse === true,
        weightLoop: false,
        cellBlock: 1,
      });
      continue;
    }
    const NC = 1;
    const TBC = TB;
    let TA = Math.max(1, Math.min(A, Math.floor(wg / TBC)));
    let weights = opts.weights;
    const bytes = () => sharedVec4s(c, TA, TB, weights) * 16;
    // A tile's state (one unit) must fit one binding; its workgroup memory must fit too.
    const unitBytes = () => 2 * H * TA * TB * 4;
    while ((bytes() > maxSharedBytes || unitBytes() > limits.maxBinding) && TA > 1) TA = Math.ceil(TA / 2);
    if (bytes() > maxSharedBytes) weights = 'storage';
    if (bytes() > maxSharedBytes) {
      throw new GpuLimitError(
        `layer ${k} (${A} -> ${B}, H=${H}) needs ${bytes()} bytes of workgroup memory, above maxComputeWorkgroupStorageSize ${maxSharedBytes}`,
      );
    }
    out.push({
      k,
      A,
      B,
      TA,
      TB,
      TT: TA * TB,
      NC,
      TBC,
      threads: TA * TBC,
      aTiles: Math.ceil(A / TA),
      bTiles: Math.ceil(B / TB),
      partRows: Math.ceil(A / TA),
      unitsPerLearner: Math.ceil(A / TA) * Math.ceil(B / TB),
      unitVec4s: (2 * H * TA * TB) / 4,
      isInput: k === 0,
      isLast: k === K - 1,
      termRows: c.cell.kind === 'lstm' ? 4 * H : paddedRank(c),
      sharedBytes: bytes(),
      weights,
      columns: false,
      reuse: false,
      weightLoop: false,
      cellBlock: 1,
    });
  }
  return out;
}

/** Logical (a, b, quad q of h or c) -> vec4 index inside a learner's layer state (tiled layout). */
export function stateVec4Index(lp: LayerPlan, a: number, b: number, quad: number): number {
  const aTile = Math.floor(a / lp.TA);
  const bTile = Math.floor(b / lp.TB);
  const t = (a % lp.TA) * lp.TB + (b % lp.TB);
  const unit = aTile * lp.bTiles + bTile;
  return unit * lp.unitVec4s + quad * lp.TT + t;
}

export interface GroupPlan {
  /** First learner (global) and number of learners. */
  first: number;
  count: number;
  /** Per layer: state slabs as [first unit, unit count] within the group. */
  slabs: [number, number][][];
}

export interface PopulationPlan {
  layers: LayerPlan[];
  learners: number;
  /** Queries per learner handled by one query step. */
  queryBatch: number;
  groups: GroupPlan[];
  /** Largest binding in bytes this plan assumes. */
  maxBinding: number;
}

/** Bytes per learner of each per-group buffer that scales with the number of learners. */
export function perLearnerBytes(
  c: VsmlConfig,
  layers: LayerPlan[],
  E: number,
  stepsPerSubmit: number,
  queryLength: number,
): Record<string, number> {
  const H = c.hidden;
  const M = c.message;
  const C = c.layers[c.layers.length - 1];
  const D = metaParamLayout(c).size;
  const r: Record<string, number> = {
    indices: stepsPerSubmit * E * 4,
    input: E * c.layers[0] * 4,
    labels: E * 4,
    labelMap: C * 4,
    predictions: Math.max(1, queryLength) * 4,
    metaParams: D * 4,
    packedParams: packedLayout(c).size * 16,
  };
  if (c.projection) r.projectionSigns = projectionBytes(c.layers[0], c.inputSize);
  for (const l of layers) {
    if (!l.columns) r[`partialB${l.k}`] = E * l.partRows * l.B * H * 4;
    if (!l.isInput) r[`partialA${l.k}`] = l.bTiles * l.A * H * 4;
    r[`forward${l.k}`] = E * l.B * M * 4;
    r[`backward${l.k}`] = l.B * M * 4;
    r[`terms${l.k}`] = l.B * packedLayout(c).rowQuads * 16;
  }
  return r;
}

export function planPopulation(
  c: VsmlConfig,
  learners: number,
  limits: PlanLimits,
  opts: { queryBatch: number; stepsPerSubmit: number; queryLength: number; cell: CellKernelOptions },
): PopulationPlan {
  // Column layers: one thread per output b of every learner, each walking all A inputs, so few
  // learners make few threads. A workgroup runs on one CPU core on SwiftShader: shrink the
  // workgroup (down to the 4-lane SIMD width) until there are at least 8 of them, so both cores
  // (and more) get work; the threads are independent, so the results are the same.
  const maxWg = limits.maxWorkgroupsPerDimension ** 2;
  const layers = planLayers(c, limits, opts.cell).map((l) => {
    if (!l.columns) return l;
    const total = learners * l.unitsPerLearner * l.TB;
    let wg = l.threads;
    while (wg > 4 && Math.ceil(total / wg) < 8 && Math.ceil(total / (wg / 2)) <= maxWg) wg /= 2;
    return { ...l, threads: wg };
  });
  // Dispatches with one thread per (learner, unit) must fit a maxWG x maxWG grid of 64-thread workgroups.
  const maxThreads = limits.maxWorkgroupsPerDimension ** 2 * 64;
  const pk = packedLayout(c);
  const threadsFor = (e: number) =>
    Math.max(
      e * c.layers[0],
      pk.size,
      c.projection ? projectionThreads(c.layers[0], c.inputSize) : 0,
      ...layers.map((l) => e * l.B + l.A),
    );
  let E = Math.max(1, opts.queryBatch);
  let perLearner: number;
  for (;;) {
    const sizes = perLearnerBytes(c, layers, E, opts.stepsPerSubmit, opts.queryLength);
    perLearner = Math.max(...Object.values(sizes)) + 256; // + alignment slack of sub-bindings
    // A query batch also has to fit one learner's threads into the dispatch grid.
    if ((perLearner <= limits.maxBinding && threadsFor(E) <= maxThreads) || E === 1) break;
    E = Math.max(1, Math.floor(E / 2));
  }
  if (perLearner > limits.maxBinding) {
    const sizes = perLearnerBytes(c, layers, E, opts.stepsPerSubmit, opts.queryLength);
    const worst = Object.entries(sizes).sort((x, y) => y[1] - x[1])[0];
    throw new GpuLimitError(
      `one learner's '${worst[0]}' buffer needs ${worst[1]} bytes, above the binding limit ${limits.maxBinding}` +
        (worst[0] === 'indices'
          ? ' (lower stepsPerSubmit)'
          : worst[0] === 'predictions'
            ? ' (do not request predictions, or shorten queries)'
            : ''),
    );
  }
  const threadsPerLearner = threadsFor(E);
  const perGroup = Math.max(
    1,
    Math.min(learners, Math.floor(limits.maxBinding / perLearner), Math.floor(maxThreads / threadsPerLearner)),
  );
  if (threadsPerLearner > maxThreads)
    throw new GpuLimitError(
      `one learner needs ${threadsPerLearner} threads in one dispatch, above a ${limits.maxWorkgroupsPerDimension}^2 grid of 64`,
    );
  const groups: GroupPlan[] = [];
  for (let first = 0; first < learners; first += perGroup) {
    const count = Math.min(perGroup, learners - first);
    const slabs = layers.map((l) => {
      const unitBytes = l.unitVec4s * 16;
      if (unitBytes > limits.maxBinding) {
        throw new GpuLimitError(
          `a ${l.TA}x${l.TB} tile of layer ${l.k} state needs ${unitBytes} bytes, above the binding limit ${limits.maxBinding}`,
        );
      }
      // One workgroup per unit (cell kernel) and TT threads per quad of normals and unit (init kernel) within the grid.
      const perSlab = Math.max(
        1,
        Math.min(
          Math.floor(limits.maxBinding / unitBytes),
          maxWg,
          Math.floor((maxWg * 64) / (l.TT * initQuads(c.hidden))),
        ),
      );
      const total = count * l.unitsPerLearner;
      const s: [number, number][] = [];
      for (let u = 0; u < total; u += perSlab) s.push([u, Math.min(perSlab, total - u)]);
      return s;
    });
    groups.push({ first, count, slabs });
  }
  return { layers, learners, queryBatch: E, groups, maxBinding: limits.maxBinding };
}
