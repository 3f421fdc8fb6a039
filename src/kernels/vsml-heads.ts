/**
 * The VSML aggregation + heads kernel for one layer. The heads are affine, so the mean over a of
 * the forward heads equals the forward head of the mean h:
 *   fwdOut[b] = Wf (1/A sum_a h_ab) + bf,      bwdOut[a] = Wb (1/B sum_b h_ab) + bb.
 * Each thread finishes one sum from the cell kernel's per-tile partials, in a fixed order (no
 * atomics, so the result is deterministic), then applies the head.
 *
 * Threads [0, Lg*E*B): forward outputs (lg, e, b) -> fwdOut [Lg][E][B][M].
 * Threads [Lg*E*B, + Lg*A) (when `backward`): backward outputs (lg, a) -> bwdOut [Lg][A][M].
 */
import type { LayerPlan } from '../spec/plan';
import type { VsmlConfig } from '../spec/vsml-config';
import { cachedProgram, type Program } from './program';
import { configKey, layoutConstsWgsl } from './vsml-common';
import template from './vsml-heads.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const HEADS_WORKGROUP = 64;

export const HEADS_PARAMS = [
  'learners',
  'gridX',
  'firstLearner',
  'tasksPerMember',
  'paramShift',
  'pad0',
  'pad1',
  'pad2',
] as const;

export function headsThreads(lp: LayerPlan, learners: number, E: number, backward: boolean): number {
  return learners * E * lp.B + (backward ? learners * lp.A : 0);
}

export function headsProgram(
  c: VsmlConfig,
  lp: LayerPlan,
  E: number,
  backward: boolean,
): Program<(typeof HEADS_PARAMS)[number]> {
  return cachedProgram(
    `vsml-heads/${configKey(c)}/L${lp.k}/A${lp.A}/B${lp.B}/R${lp.partRows}/T${lp.bTiles}/E${E}/${backward ? 'bwd' : ''}`,
    () => ({
      label: `vsml-heads-${backward ? 'learn' : 'fwd'}-L${lp.k}`,
      code: headsKernelSource(c, lp, E, backward),
      entryPoint: 'main',
      workgroupSize: HEADS_WORKGROUP,
      uniforms: HEADS_PARAMS,
    }),
  );
}

export function headsKernelSource(c: VsmlConfig, lp: LayerPlan, E: number, backward: boolean): string {
  return fillWgsl(
    template,
    {
      LAYOUT: layoutConstsWgsl(c),
      A: u(lp.A),
      B: u(lp.B),
      PART_ROWS: u(lp.partRows),
      BTILES: u(lp.bTiles),
      E: u(E),
      BACKWARD: backward,
      WG: HEADS_WORKGROUP,
      WG_U: u(HEADS_WORKGROUP),
    },
    'vsml-heads',
  );
}
