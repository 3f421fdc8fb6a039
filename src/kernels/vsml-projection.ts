/**
 * The projection's sign bits (vsml-projection.wgsl): for a group's learners, the Philox blocks
 * that give s_ap = +-1 (see vsml-input.ts), drawn once per episode instead of once per example and
 * input unit by the input kernel (issue 10), and transposed for it: [Lg][G][32 * blocks] u32,
 * word w of group g holding the 4 sign bits of pixels 4w .. 4w+3 for each of units 8g .. 8g+7
 * (nibble u = unit 8g + u; units past A0 are 0). An input thread then sums one image word for 8
 * units with one load of signs. The bits are the same the input kernel drew before, so x is
 * unchanged.
 */
import { PHILOX_WGSL, RNG_DOMAIN } from '../rng/philox';
import { PROJECTION_GROUP, projectionBlocks, projectionGroups } from '../spec/buffer-layout';
import { cachedProgram, type Program } from './program';
import template from './vsml-projection.wgsl?raw';
import { fillWgsl, u } from '../wgsl/template';

export const PROJECTION_WORKGROUP = 64;
export const PROJECTION_PARAMS = ['learners', 'gridX', 'pad0', 'pad1'] as const;

export function projectionProgram(units: number, pixels: number): Program<(typeof PROJECTION_PARAMS)[number]> {
  return cachedProgram(`vsml-projection/${units}/${pixels}`, () => {
    const G = projectionGroups(units);
    const us = Array.from({ length: PROJECTION_GROUP }, (_, i) => i);
    // Units past A0 (last group only) draw nothing: their nibbles are 0.
    const draw = us
      .map((k) =>
        units % PROJECTION_GROUP === 0
          ? `  let b${k} = philox4x32(key, vec4<u32>(j, g * 8u + ${u(k)}, 0u, 0u));`
          : `  let b${k} = select(vec4<u32>(0u), philox4x32(key, vec4<u32>(j, g * 8u + ${u(k)}, 0u, 0u)), g * 8u + ${u(k)} < ${u(units)});`,
      )
      .join('\n');
    const write = Array.from(
      { length: 32 },
      (_, w) =>
        `  bits[o + ${u(w)}] = ${us.map((k) => `(((b${k}[${w >> 3}] >> ${u(4 * (w & 7))}) & 15u) << ${u(4 * k)})`).join(' | ')};`,
    ).join('\n');
    return {
      label: 'vsml-projection',
      code: fillWgsl(
        template,
        {
          PHILOX: PHILOX_WGSL,
          G: u(G),
          BLOCKS: u(projectionBlocks(pixels)),
          DOMAIN_PROJECTION: u(RNG_DOMAIN.projection),
          WG: PROJECTION_WORKGROUP,
          WG_U: u(PROJECTION_WORKGROUP),
          DRAW: draw,
          WRITE: write,
        },
        'vsml-projection',
      ),
      entryPoint: 'main',
      workgroupSize: PROJECTION_WORKGROUP,
      uniforms: PROJECTION_PARAMS,
    };
  });
}
