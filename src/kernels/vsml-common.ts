/**
 * WGSL snippets shared by the VSML kernels, generated from the TypeScript layouts
 * (src/spec/vsml-config.ts, src/spec/plan.ts) so offsets and strides exist in one place only.
 */
import { FORGET_GATE_OFFSET, INPUT_GATE_OFFSET, type VsmlConfig, metaParamLayout } from '../spec/vsml-config';
import activationsSource from './vsml-activations.wgsl?raw';

/** `const` declarations for the meta-parameter layout: P_<SEGMENT> offsets, D, H, M, Z. */
export function layoutConstsWgsl(c: VsmlConfig): string {
  const layout = metaParamLayout(c);
  const lines = layout.segments.map((s) => `const P_${s.name.replace(/\./g, '_').toUpperCase()} = ${s.offset}u;`);
  return [
    `const D = ${layout.size}u;`,
    `const H = ${c.hidden}u;`,
    `const H4 = ${c.hidden / 4}u;`,
    `const M = ${c.message}u;`,
    `const Z = ${2 * c.message + c.hidden}u;`,
    ...lines,
  ].join('\n');
}

/** Fixed gate offset of pre-activation row `row` (i rows first, then f, g, o). */
export const gateOffsetWgsl = `
fn gate_offset(row: u32) -> f32 {
  if (row < H) { return ${INPUT_GATE_OFFSET.toFixed(1)}; }
  if (row < 2u * H) { return ${FORGET_GATE_OFFSET.toFixed(1)}; }
  return 0.0;
}`;

/** sig4, tanh4, tanh1 (vsml-activations.wgsl). */
export const activationsWgsl = activationsSource;

/** A u32 literal. */
export { u } from '../wgsl/template';

/** Program cache key of a configuration (the validated config determines every generated constant). */
export const configKey = (c: VsmlConfig): string => JSON.stringify(c);
