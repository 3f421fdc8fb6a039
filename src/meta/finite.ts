/**
 * Checks that parameters read from files are finite numbers, and JSON parse errors that say what
 * is wrong. Shared by checkpoints and rule files (and any reader of saved parameters): a NaN that
 * reaches the GPU silently poisons every result, so it is refused where the file is read.
 */

/** Index of the first NaN or infinite value, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** `what[i] is NaN` for the first non-finite value, or null when all are finite. */
export function nonFiniteProblem(values: ArrayLike<number>, what: string): string | null {
  const i = firstNonFinite(values);
  return i < 0 ? null : `${what}[${i}] is ${values[i]} (the first non-finite of ${values.length} values)`;
}

/**
 * Every Float32Array / Float64Array inside `value` (a parsed state), depth first, with its path,
 * e.g. `strategy.adam.m`. Plain numbers are not visited (their validators check them).
 */
export function floatArrays(value: unknown, path = ''): { path: string; values: Float32Array | Float64Array }[] {
  if (value instanceof Float32Array || value instanceof Float64Array) return [{ path, values: value }];
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [`${path}[${i}]`, v] as const)
    : Object.entries(value).map(([k, v]) => [path ? `${path}.${k}` : k, v] as const);
  return entries.flatMap(([p, v]) => floatArrays(v, p));
}

/** The first non-finite parameter anywhere in `value`, as a message, or null. */
export function nonFiniteInState(value: unknown): string | null {
  for (const { path, values } of floatArrays(value)) {
    const problem = nonFiniteProblem(values, path);
    if (problem) return problem;
  }
  return null;
}

/**
 * Why JSON.parse failed, for a file: a bare NaN / Infinity (which JSON cannot hold, so this file
 * was not written by JSON.stringify) is named with its line and column; only an input that ends
 * early is reported as possibly truncated.
 */
export function describeJsonError(text: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const literal = nonFiniteLiteral(text);
  if (literal)
    return `invalid JSON: non-finite literal ${literal.token} at line ${literal.line}, column ${literal.column} (JSON has no NaN or Infinity)`;
  // Truncated: the parser ran out of input (V8 says so, or points at the end of the text).
  const at = /at position (\d+)/.exec(message);
  const atEnd = at !== null && Number(at[1]) >= text.trimEnd().length;
  if (/end of (JSON )?input|Unterminated string/i.test(message) || atEnd || text.trim() === '')
    return `not valid JSON (${message}); the file may be truncated`;
  return `invalid JSON (${message})`;
}

/** The first NaN / Infinity / -Infinity token outside strings, with its position (1-based). */
export function nonFiniteLiteral(text: string): { token: string; line: number; column: number } | null {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    const m = /^-?(NaN|Infinity)/.exec(text.slice(i, i + 9));
    if (m && !/[A-Za-z0-9_$]/.test(text[i - 1] ?? '')) {
      const before = text.slice(0, i);
      const line = before.split('\n').length;
      return { token: m[0], line, column: i - before.lastIndexOf('\n') };
    }
  }
  return null;
}
