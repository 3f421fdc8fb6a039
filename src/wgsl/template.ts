/**
 * WGSL templates: a kernel's fixed code lives in a `.wgsl` file beside its TypeScript, written as
 * the body of a `wgsl-preprocessor` template literal:
 *
 *   ${NAME}                      replaced by values[NAME] (a constant, or generated code)
 *   #if ${NAME} ... #elif ${NAME} ... #else ... #endif
 *                                kept or dropped by the truthiness of values[NAME]
 *
 * `fillWgsl` turns the file's text into that template call and runs the preprocessor's `wgsl` tag
 * on it; every name used must be given (a typo is an error, not an empty string).
 */
// The package has no main/exports entry: import its one file.
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';

export type WgslValue = string | number | boolean;

const PLACEHOLDER = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}/g;

export function fillWgsl(template: string, values: Record<string, WgslValue>, name = 'kernel'): string {
  const strings: string[] = [];
  const args: WgslValue[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!Object.prototype.hasOwnProperty.call(values, m[1])) throw new Error(`${name}.wgsl: no value for \${${m[1]}}`);
    strings.push(template.slice(last, m.index));
    args.push(values[m[1]]);
    last = m.index! + m[0].length;
  }
  strings.push(template.slice(last));
  const tsa = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
  return wgsl(tsa, ...args);
}

/** A u32 literal. */
export const u = (n: number): string => `${n >>> 0}u`;
