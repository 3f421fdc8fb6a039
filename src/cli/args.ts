/**
 * Command-line options of every entry script, on `node:util` parseArgs (strict: an unknown flag or
 * a missing value is an error naming the flag). Each command declares its options once; the same
 * table gives the parser, the value checks (choices) and the generated `--help`. Help is handled
 * before anything else runs, so `--help` never acquires a GPU, creates a file or starts a benchmark.
 */
import { parseArgs } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** One line for --help. */
  description: string;
  /** Placeholder of the value in --help ('N', 'DIR', 'LIST'). */
  value?: string;
  short?: string;
  /** Repeatable: every occurrence is kept, in order. */
  multiple?: boolean;
  /** Applied when the flag is absent, and shown in --help. */
  default?: string;
  /** Shown in --help when the default is computed at run time (e.g. per adapter). */
  defaultText?: string;
  /** The allowed values, checked after parsing and listed in --help. */
  choices?: readonly string[];
}

export type OptionSpecs = Record<string, OptionSpec>;

export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** The npm script, e.g. 'bench:ordered': the usage line is `npm run <name> -- [options]`. */
  name: string;
  /** What follows `npm run <name> --` in the usage line (default `[options]`). */
  usage?: string;
  /** A paragraph under the usage line. */
  description: string;
  options: O;
  /** Option groups with their own heading (the rest go under "Options:"). */
  groups?: { title: string; names: readonly string[] }[];
  /** One positional argument (device:bundle's output directory). */
  positional?: { name: string; description: string };
  /** Text after the options. */
  epilog?: string;
}

type ValueOf<S extends OptionSpec> = S['type'] extends 'boolean'
  ? boolean
  : S['multiple'] extends true
    ? string[]
    : S['default'] extends string
      ? string
      : string | undefined;

export type Values<O extends OptionSpecs> = { -readonly [K in keyof O]: ValueOf<O[K]> };

export interface OptionToken {
  name: string;
  rawName: string;
  value?: string;
  inlineValue?: boolean;
}

export interface Parsed<O extends OptionSpecs> {
  values: Values<O>;
  positional?: string;
  /** The options as given, in order (to pass a subset on to another parser). */
  tokens: OptionToken[];
}

/** A bad command line; `flag` is the option at fault. Entry scripts exit with code 2 on it. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
  }
}

/** Declares a command (keeps the literal option types for Values<O>). */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

const HELP: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help and exit' };

/** True when argv asks for help (anywhere before a `--` terminator). */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (a === '--help' || a === '-h') return true;
  }
  return false;
}

function optionLine(name: string, o: OptionSpec): [string, string] {
  const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'string' ? ` ${o.value ?? (o.choices ? o.choices.join('|') : 'VALUE')}` : ''}`;
  const notes: string[] = [];
  if (o.choices && o.value) notes.push(`one of ${o.choices.join(', ')}`);
  if (o.multiple) notes.push('repeatable');
  const dflt = o.defaultText ?? o.default;
  if (dflt !== undefined) notes.push(`default ${dflt}`);
  return [flag, `${o.description}${notes.length ? ` (${notes.join('; ')})` : ''}`];
}

/** The generated --help text. */
export function helpText(cmd: CommandSpec): string {
  const lines = [
    `Usage: npm run ${cmd.name} -- ${cmd.usage ?? (cmd.positional ? `[options] [${cmd.positional.name}]` : '[options]')}`,
    '',
    cmd.description,
    '',
  ];
  const grouped = new Set((cmd.groups ?? []).flatMap((g) => g.names));
  const sections: { title: string; rows: [string, string][] }[] = [];
  if (cmd.positional) sections.push({ title: 'Arguments:', rows: [[cmd.positional.name, cmd.positional.description]] });
  for (const g of cmd.groups ?? [])
    sections.push({ title: g.title, rows: g.names.map((n) => optionLine(n, cmd.options[n])) });
  const rest = Object.entries(cmd.options).filter(([n]) => !grouped.has(n));
  sections.push({
    title: cmd.groups?.length ? 'Other options:' : 'Options:',
    rows: [...rest.map(([n, o]) => optionLine(n, o)), optionLine('help', HELP)],
  });
  const width = Math.min(34, Math.max(...sections.flatMap((s) => s.rows.map(([f]) => f.length))) + 2);
  for (const s of sections) {
    lines.push(s.title);
    for (const [f, d] of s.rows)
      lines.push(f.length + 2 > width ? `  ${f}\n  ${' '.repeat(width)}${d}` : `  ${f.padEnd(width)}${d}`);
    lines.push('');
  }
  if (cmd.epilog) lines.push(cmd.epilog, '');
  return lines.join('\n').trimEnd();
}

/** 'a, b or c'. */
function orList(xs: readonly string[]): string {
  return xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

/** node:util's errors say "Option '--x <value>' argument missing"; ours name the flag first. */
function usageErrorOf(e: Error & { code?: string }): UsageError {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1] ?? /'([^']+)'/.exec(e.message)?.[1] ?? '?';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(flag, 'unknown option (see --help)');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(
        flag,
        /does not take an argument/.test(e.message)
          ? 'takes no value'
          : 'needs a value (a value starting with - is written --flag=-value)',
      );
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(flag, 'unexpected argument (options start with --; see --help)');
    default:
      return new UsageError(flag, e.message);
  }
}

/**
 * Parses argv (without node and the script) strictly. Returns null when help was asked for (the
 * caller prints helpText); throws UsageError on a bad command line. No side effects.
 */
export function parseCommand<O extends OptionSpecs>(cmd: CommandSpec<O>, argv: readonly string[]): Parsed<O> | null {
  if (wantsHelp(argv)) return null;
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean; default?: string }> =
    {};
  for (const [name, o] of Object.entries(cmd.options)) {
    options[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.default !== undefined ? { default: o.default } : {}),
    };
  }
  let r: ReturnType<typeof parseArgs>;
  try {
    r = parseArgs({ args: [...argv], options, strict: true, allowPositionals: Boolean(cmd.positional), tokens: true });
  } catch (e) {
    throw usageErrorOf(e as Error);
  }
  if (r.positionals.length > 1)
    throw new UsageError(r.positionals[1], `unexpected argument (only one ${cmd.positional!.name})`);
  const values = r.values as Record<string, unknown>;
  for (const [name, o] of Object.entries(cmd.options)) {
    if (o.type === 'boolean') values[name] ??= false;
    if (o.multiple) values[name] ??= [];
    const given = values[name];
    if (o.choices && typeof given === 'string' && !o.choices.includes(given)) {
      throw new UsageError(`--${name}`, `must be ${orList(o.choices)}, got '${given}'`);
    }
  }
  const tokens = (r.tokens ?? []).flatMap((t) =>
    t.kind === 'option' ? [{ name: t.name, rawName: t.rawName, value: t.value, inlineValue: t.inlineValue }] : [],
  );
  return { values: values as Values<O>, positional: r.positionals[0], tokens };
}

/** The given options among `names`, back as argv (in their order), for a parser of its own. */
export function argvOf(tokens: readonly OptionToken[], names: Iterable<string>): string[] {
  const keep = new Set(names);
  return tokens
    .filter((t) => keep.has(t.name))
    .flatMap((t) =>
      t.value === undefined ? [t.rawName] : t.inlineValue ? [`${t.rawName}=${t.value}`] : [t.rawName, t.value],
    );
}

/**
 * For scripts: parse process.argv; --help prints and exits 0, a bad command line prints the
 * error and exits 2, both before the script does anything else. `convert` turns the values into
 * the script's options; a UsageError it throws exits 2 too.
 */
export function cliArgs<O extends OptionSpecs, T = Parsed<O>>(
  cmd: CommandSpec<O>,
  convert?: (p: Parsed<O>) => T,
  argv: readonly string[] = process.argv.slice(2),
): T {
  const r = parseOrExit(cmd, argv);
  if (typeof r === 'number') process.exit(r);
  try {
    return convert ? convert(r) : (r as T);
  } catch (e) {
    process.exit(usageExit(cmd, e));
  }
}

/** An integer (>= min when given), or UsageError naming the flag. */
export function intArg(flag: string, v: string, min?: number): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || (min !== undefined && n < min))
    throw new UsageError(flag, `expects an integer${min === undefined ? '' : ` >= ${min}`}, got '${v}'`);
  return n;
}

/** intArg of a flag that may be absent. */
export function optInt(flag: string, v: string | undefined, min?: number): number | undefined {
  return v === undefined ? undefined : intArg(flag, v, min);
}

/** A number > 0, or UsageError naming the flag. */
export function positiveArg(flag: string, v: string): number {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(flag, `expects a positive number, got '${v}'`);
  return n;
}

/** A comma-separated list, empty items dropped. */
export function listArg(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `npm run <name> -- <args>`: the command line as recorded in result files. */
export function commandLine(name: string, argv: readonly string[] = process.argv.slice(2)): string {
  return `npm run ${name}${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
}

/**
 * For entry points that return an exit code instead of exiting (tested in-process): the parsed
 * options, or the code to return after --help (0, printed) or a bad command line (2, reported).
 */
export function parseOrExit<O extends OptionSpecs>(cmd: CommandSpec<O>, argv: readonly string[]): Parsed<O> | number {
  try {
    const r = parseCommand(cmd, argv);
    if (r) return r;
    console.log(helpText(cmd));
    return 0;
  } catch (e) {
    return usageExit(cmd, e);
  }
}

/** A UsageError reported the one way (exit code 2); anything else is rethrown. */
function usageExit(cmd: CommandSpec, e: unknown): number {
  if (!(e instanceof UsageError)) throw e;
  console.error(`${cmd.name}: ${e.message}\nRun with --help for the options.`);
  return 2;
}
