/**
 * Zod building blocks shared by the config schemas (the VSML learner here, the training config in
 * meta/train-config.ts): field types whose messages say what is allowed and what came in, and the
 * reduction of a zod error to one field path and one reason, so every config error reads
 * `<field.path[i]>: <what is wrong>`.
 */
import { z } from 'zod';

/** The value as it came in, for messages (JSON: strings quoted, NaN and Infinity as null). */
export const shown = (v: unknown): string => JSON.stringify(v);

const range = (min: number, max: number, openMin = false, openMax = false) =>
  `${openMin ? '(' : '['}${min}, ${max}${openMax ? ')' : ']'}`;

/** An integer in [min, max]. */
export function int(min: number, max: number) {
  const notInt = (iss: { input?: unknown }) => `must be an integer, got ${shown(iss.input)}`;
  const outside = (iss: { input?: unknown }) => `must be in ${range(min, max)}, got ${iss.input}`;
  return (
    z
      .number({ error: notInt })
      // zod's int() also refuses integers beyond 2^53; those are out of range, and say so.
      .int({ error: (iss) => (Number.isInteger(iss.input) ? outside(iss) : notInt(iss)) })
      .min(min, { error: outside })
      .max(max, { error: outside })
  );
}

/** A finite number in [min, max]; `openMin` / `openMax` exclude the bound. */
export function num(min: number, max = Infinity, { openMin = false, openMax = false } = {}) {
  const outside = (iss: { input?: unknown }) => `must be in ${range(min, max, openMin, openMax)}, got ${iss.input}`;
  const lower = z.number({ error: (iss) => `must be a finite number, got ${shown(iss.input)}` });
  const low = openMin ? lower.gt(min, { error: outside }) : lower.gte(min, { error: outside });
  return max === Infinity ? low : openMax ? low.lt(max, { error: outside }) : low.lte(max, { error: outside });
}

/** An integer, range checked elsewhere (where its bounds depend on other fields). */
export function integer() {
  const notInt = (iss: { input?: unknown }) => `must be an integer, got ${shown(iss.input)}`;
  return z.number({ error: notInt }).refine(Number.isInteger, { error: notInt });
}

export function bool() {
  return z.boolean({ error: (iss) => `must be true or false, got ${shown(iss.input)}` });
}

export function oneOf<const T extends readonly [string, ...string[]]>(options: T) {
  return z.enum(options, { error: (iss) => `must be one of ${options.join(', ')}; got ${shown(iss.input)}` });
}

/** An object of exactly these fields: an unknown one (a typo) is an error naming it and the known ones. */
export function strict<S extends z.core.$ZodLooseShape>(shape: S) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field (known: ${known})`
        : `expected an object, got ${shown(iss.input)}`,
  });
}

/** `a.b[2].c` from a zod issue path ('(root)' for the whole value). */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(root)';
}

/**
 * The one issue to report, as a field path and a reason. An unknown field wins (the outermost
 * first): a typo leaves the intended field at its default, and the checks that default then fails
 * would hide the typo.
 */
export function firstIssue(error: z.ZodError): { field: string; message: string } {
  const unknown = error.issues
    .filter((i) => i.code === 'unrecognized_keys')
    .sort((a, b) => a.path.length - b.path.length);
  const issue = unknown[0] ?? error.issues[0];
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
  return { field: fieldPath(path), message: issue.message };
}

/** `schema`'s output for `value`, or the error `fail` makes of its first issue (firstIssue). */
export function parseOrThrow<T>(
  schema: z.ZodType<T>,
  value: unknown,
  fail: (field: string, message: string) => Error,
): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const { field, message } = firstIssue(r.error);
  throw fail(field, message);
}

/** `true` when A and B are the same type (for compile-time checks of a schema against an interface). */
export type SameType<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
