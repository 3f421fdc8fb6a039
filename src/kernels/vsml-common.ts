/**
 * WGSL snippets shared by the VSML kernels, generated from the TypeScript layouts
 * (src/inner/vsml-config.ts, src/inner/plan.ts) so offsets and strides exist in one place only.
 */
import { FORGET_GATE_OFFSET, INPUT_GATE_OFFSET, type VsmlConfig, metaParamLayout } from '../inner/vsml-config';

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

/**
 * Nonlinearities. tanh is clamped first: |x| > 20 gives +-1 in f32 anyway, and some drivers build
 * tanh from exp and return NaN for large |x|. sigmoid(x) = 1 / (1 + exp(-x)) is safe at both ends
 * (exp overflow gives 1/inf = 0).
 */
export const activationsWgsl = `
fn sig4(x: vec4<f32>) -> vec4<f32> { return 1.0 / (1.0 + exp(-x)); }
fn tanh4(x: vec4<f32>) -> vec4<f32> { return tanh(clamp(x, vec4<f32>(-20.0), vec4<f32>(20.0))); }
fn tanh1(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }`;

/** Four consecutive f32 of `arr` from `o` as a vec4 (storage arrays of f32 have no alignment). */
export function load4(arr: string, o: string): string {
  return `vec4<f32>(${arr}[${o}], ${arr}[${o} + 1u], ${arr}[${o} + 2u], ${arr}[${o} + 3u])`;
}

/** A u32 literal. */
export const u = (n: number): string => `${n >>> 0}u`;
