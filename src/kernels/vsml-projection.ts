/**
 * The projection's sign bits (vsml-projection.wgsl): for a group's learners, the Philox blocks
 * that give s_ap = +-1 (see vsml-input.ts), [Lg][A0][blocks] vec4<u32>, drawn once per episode
 * instead of once per example and input unit by the input kernel (issue 10: on SwiftShader the
 * per-example Philox made the input kernel cost as much as the cell of the small meta-training
 * learner). The bits are the same words the input kernel drew before, so x is unchanged.
 */
import { PHILOX_WGSL, RNG_DOMAIN } from './philox';
import { cachedProgram, type Program } from './program';
import template from './vsml-projection.wgsl?raw';
import { fillWgsl, u } from './wgsl';

export const PROJECTION_WORKGROUP = 64;
export const PROJECTION_PARAMS = ['learners', 'gridX', 'pad0', 'pad1'] as const;

/** Philox blocks (128 pixels each) per input unit. */
export const projectionBlocks = (pixels: number): number => Math.ceil(pixels / 128);

export function projectionProgram(units: number, pixels: number): Program<(typeof PROJECTION_PARAMS)[number]> {
  return cachedProgram(`vsml-projection/${units}/${pixels}`, () => ({
    label: 'vsml-projection',
    code: fillWgsl(
      template,
      {
        PHILOX: PHILOX_WGSL,
        A0: u(units),
        BLOCKS: u(projectionBlocks(pixels)),
        DOMAIN_PROJECTION: u(RNG_DOMAIN.projection),
        WG: PROJECTION_WORKGROUP,
        WG_U: u(PROJECTION_WORKGROUP),
      },
      'vsml-projection',
    ),
    entryPoint: 'main',
    workgroupSize: PROJECTION_WORKGROUP,
    uniforms: PROJECTION_PARAMS,
  }));
}
