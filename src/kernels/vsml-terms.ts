/**
 * Backward message terms for the CPU cell path: gb[lg][b][q] = (bias + gate offset, full cell) +
 * sum_m (rows 4q..4q+3 of the backward columns, column m) * bwdIn[lg][b][m]. They are the same for
 * every input row a, so computing them once per step here replaces a per-cell recomputation (whose
 * scattered loads dominate on SwiftShader). One thread per (learner, b, row quad).
 */
import { type LayerPlan, packedLayout } from '../spec/plan';
import type { VsmlConfig } from '../spec/vsml-config';
import { cachedProgram, type Program } from './program';
import { configKey } from './vsml-common';
import template from './vsml-terms.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const TERMS_WORKGROUP = 64;
export const TERMS_PARAMS = [
  'learners',
  'gridX',
  'firstLearner',
  'tasksPerMember',
  'firstMember',
  'zeroBwd',
  'pad0',
  'pad1',
] as const;

export function termsProgram(c: VsmlConfig, lp: LayerPlan): Program<(typeof TERMS_PARAMS)[number]> {
  return cachedProgram(`vsml-terms/${configKey(c)}/B${lp.B}`, () => ({
    label: `vsml-terms-L${lp.k}`,
    code: termsKernelSource(c, lp),
    entryPoint: 'main',
    workgroupSize: TERMS_WORKGROUP,
    uniforms: TERMS_PARAMS,
  }));
}

export function termsKernelSource(c: VsmlConfig, lp: LayerPlan): string {
  const pk = packedLayout(c);
  return fillWgsl(
    template,
    {
      B: u(lp.B),
      M: u(c.message),
      RQ: u(pk.rowQuads),
      PV: u(pk.size),
      CQ: u(pk.cq),
      WB: u(pk.wb),
      LOW_RANK: c.cell.kind === 'lstm-lowrank',
      WG: TERMS_WORKGROUP,
      WG_U: u(TERMS_WORKGROUP),
    },
    'vsml-terms',
  );
}
