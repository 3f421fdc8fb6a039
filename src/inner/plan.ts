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
import { type VsmlConfig, metaParamLayout } from './vsml-config';

/** Threads per workgroup of the cell kernel (one per cell of a tile). */
export const CELL_WORKGROUP = 64;
/** Largest TB: keeps the per-output staging (TB x 4H floats) within 16 KiB of workgroup memory. */
const MAX_TB = 16;

export interface LayerPlan {
  k: number;
  /** Input and output units. */
  A: number;
  B: number;
  /** Tile shape and counts. */
  TA: number;
  TB: number;
  TT: number;
  aTiles: number;
  bTiles: number;
  unitsPerLearner: number;
  /** vec4 per unit: (2H/4) * TT. */
  unitVec4s: number;
  isInput: boolean;
  isLast: boolean;
  /** Rows of the per-unit message terms: 4H (full) or r padded to a multiple of 4 (low-rank). */
  termRows: number;
  /** Workgroup memory the cell kernel needs (bytes) and whether the cell matrices are staged there. */
  sharedBytes: number;
  stageWeights: boolean;
}

export function tileShape(A: number, B: number, wg = CELL_WORKGROUP): { TA: number; TB: number } {
  const bSplits = Math.ceil(B / Math.min(MAX_TB, wg));
  const TB = Math.ceil(B / bSplits);
  const TA = Math.max(1, Math.min(A, Math.floor(wg / TB)));
  return { TA, TB };
}

/** Padded rank (multiple of 4) of the low-rank cell; 0 for the full cell. */
export function paddedRank(c: VsmlConfig): number {
  return c.cell.kind === 'lstm-lowrank' ? Math.ceil(c.cell.rank / 4) * 4 : 0;
}

function sharedFloats(c: VsmlConfig, TA: number, TB: number, stage: boolean): number {
  const H = c.hidden;
  const R = paddedRank(c);
  const termRows = c.cell.kind === 'lstm' ? 4 * H : R;
  const weights = !stage ? 0 : c.cell.kind === 'lstm' ? 4 * H * H : R * H + 4 * H * R + 4 * H;
  const constRows = c.cell.kind === 'lstm' ? 0 : stage ? 0 : 4 * H;
  return weights + constRows + (TA + TB) * termRows + TA * TB * H;
}

export function planLayers(c: VsmlConfig, maxSharedBytes: number, wg = CELL_WORKGROUP): LayerPlan[] {
  const H = c.hidden;
  const out: LayerPlan[] = [];
  const K = c.layers.length - 1;
  for (let k = 0; k < K; k++) {
    const A = c.layers[k];
    const B = c.layers[k + 1];
    const { TA, TB } = tileShape(A, B, wg);
    let stage = true;
    let bytes = sharedFloats(c, TA, TB, true) * 4;
    if (bytes > maxSharedBytes) {
      stage = false;
      bytes = sharedFloats(c, TA, TB, false) * 4;
    }
    if (bytes > maxSharedBytes) {
      throw new GpuLimitError(
        `layer ${k} (${A} -> ${B}, H=${H}) needs ${bytes} bytes of workgroup memory, above maxComputeWorkgroupStorageSize ${maxSharedBytes}`,
      );
    }
    out.push({
      k,
      A,
      B,
      TA,
      TB,
      TT: TA * TB,
      aTiles: Math.ceil(A / TA),
      bTiles: Math.ceil(B / TB),
      unitsPerLearner: Math.ceil(A / TA) * Math.ceil(B / TB),
      unitVec4s: (2 * H * TA * TB) / 4,
      isInput: k === 0,
      isLast: k === K - 1,
      termRows: c.cell.kind === 'lstm' ? 4 * H : paddedRank(c),
      sharedBytes: bytes,
      stageWeights: stage,
    });
  }
  return out;
}

/** Logical (a, b, quad q of h or c) -> vec4 index inside a learner's layer state (tiled layout). */
export function stateVec4Index(lp: LayerPlan, H: number, a: number, b: number, quad: number): number {
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
export function perLearnerBytes(c: VsmlConfig, layers: LayerPlan[], E: number, stepsPerSubmit: number, queryLength: number): Record<string, number> {
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
  };
  for (const l of layers) {
    r[`partialB${l.k}`] = E * l.aTiles * l.B * H * 4;
    if (!l.isInput) r[`partialA${l.k}`] = l.bTiles * l.A * H * 4;
    r[`forward${l.k}`] = E * l.B * M * 4;
    r[`backward${l.k}`] = l.B * M * 4;
  }
  return r;
}

export function planPopulation(
  c: VsmlConfig,
  learners: number,
  limits: { maxBinding: number; maxSharedBytes: number },
  opts: { queryBatch: number; stepsPerSubmit: number; queryLength: number },
): PopulationPlan {
  const layers = planLayers(c, limits.maxSharedBytes);
  let E = Math.max(1, opts.queryBatch);
  let perLearner = 0;
  for (;;) {
    const sizes = perLearnerBytes(c, layers, E, opts.stepsPerSubmit, opts.queryLength);
    perLearner = Math.max(...Object.values(sizes)) + 256; // + alignment slack of sub-bindings
    if (perLearner <= limits.maxBinding || E === 1) break;
    E = Math.max(1, Math.floor(E / 2));
  }
  if (perLearner > limits.maxBinding) {
    const sizes = perLearnerBytes(c, layers, E, opts.stepsPerSubmit, opts.queryLength);
    const worst = Object.entries(sizes).sort((x, y) => y[1] - x[1])[0];
    throw new GpuLimitError(
      `one learner's '${worst[0]}' buffer needs ${worst[1]} bytes, above the binding limit ${limits.maxBinding}` +
        (worst[0] === 'indices' ? ' (lower stepsPerSubmit)' : worst[0] === 'predictions' ? ' (do not request predictions, or shorten queries)' : ''),
    );
  }
  const perGroup = Math.max(1, Math.min(learners, Math.floor(limits.maxBinding / perLearner)));
  const groups: GroupPlan[] = [];
  for (let first = 0; first < learners; first += perGroup) {
    const count = Math.min(perGroup, learners - first);
    const slabs = layers.map((l) => {
      const unitBytes = l.unitVec4s * 16;
      if (unitBytes > limits.maxBinding) {
        throw new GpuLimitError(`a ${l.TA}x${l.TB} tile of layer ${l.k} state needs ${unitBytes} bytes, above the binding limit ${limits.maxBinding}`);
      }
      const perSlab = Math.floor(limits.maxBinding / unitBytes);
      const total = count * l.unitsPerLearner;
      const s: [number, number][] = [];
      for (let u = 0; u < total; u += perSlab) s.push([u, Math.min(perSlab, total - u)]);
      return s;
    });
    groups.push({ first, count, slabs });
  }
  return { layers, learners, queryBatch: E, groups, maxBinding: limits.maxBinding };
}
