/**
 * `npm run train -- [options]`: meta-train VSML learners with evolution on the GPU.
 * Config layers: --preset (default: the embedded defaults) < --config file.json < flags / --set.
 */
import { readFileSync } from 'node:fs';
import { GpuDeviceLostError } from '../gpu/errors';
import { CheckpointError } from '../meta/checkpoint';
import { runTraining, summary } from './run-training';
import { DEFAULT_TRAIN_CONFIG, PRESETS, TrainConfigError, layerConfig, validateTrainConfig, type TrainConfig } from '../meta/train-config';

export const TRAIN_HELP = `Usage: npm run train -- [options]

Meta-trains the shared parameters of VSML learners (issue 4: outer loop) on class-ordered
episodes sampled from the TRAIN split, and writes metrics.jsonl and checkpoint.json.

Options:
  --preset NAME            default (SwiftShader-sized, minutes), vsml (close to the paper; GPU), tiny
  --config FILE.json       a (partial) training config layered over the preset
  --out DIR                output directory (default runs/train-<time>)
  --resume CHECKPOINT      continue a run exactly where its checkpoint left it
  --generations N          total generations (also allowed with --resume, to extend a run)
  --seed N                 run seed (tasks, noise, GA choices)
  --dataset NAME|DIR|URL   mnist, fashion-mnist, an IDX directory or URL (train split only)
  --strategy KIND          openai-es, snes or ga (with that strategy's defaults)
  --fitness KIND           query-accuracy, query-cross-entropy or online-cross-entropy
  --checkpoint-every N     checkpoint interval in generations (0: end and Ctrl-C only)
  --set PATH=VALUE         any config field, e.g. --set strategy.pairs=64 --set tasks.learnLength=100
                           (VALUE is parsed as JSON when it can be, else taken as a string)
  --print-config           print the resolved config and exit
  --quiet                  no progress output
  -h, --help               this text

Ctrl-C stops after the current generation and writes a checkpoint; a second Ctrl-C exits at once.
The config schema (fields, ranges, defaults) is src/meta/train-config.ts; docs/outer-loop.md explains it.

Several machines: --redis URL --role coordinator|worker (npm run train -- --role worker --help;
docs/distributed.md).`;

export interface ParsedArgs {
  config?: TrainConfig;
  resume?: string;
  generations?: number;
  out?: string;
  quiet: boolean;
  printConfig: boolean;
  help: boolean;
}

function setPath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let o = obj;
  for (const k of keys.slice(0, -1)) {
    if (o[k] === undefined || typeof o[k] !== 'object' || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  o[keys[keys.length - 1]] = value;
}

function parseValue(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/** Parse argv (without node and script) into a validated config or a resume request. */
export function parseTrainArgs(argv: string[]): ParsedArgs {
  const out: ParsedArgs = { quiet: false, printConfig: false, help: false };
  let preset = 'default';
  let file: Record<string, unknown> | undefined;
  const over: Record<string, unknown> = {};
  const changed: string[] = [];
  const intArg = (flag: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n)) throw new TrainConfigError(flag, `expects an integer, got '${v}'`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    // --flag=value and --flag value are both accepted.
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new TrainConfigError(flag, 'needs a value');
      i++;
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        out.help = true;
        break;
      case '--quiet':
        out.quiet = true;
        break;
      case '--print-config':
        out.printConfig = true;
        break;
      case '--preset':
        preset = value();
        if (!PRESETS[preset]) throw new TrainConfigError('--preset', `unknown preset '${preset}' (known: ${Object.keys(PRESETS).join(', ')})`);
        break;
      case '--config': {
        const path = value();
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch (e) {
          throw new TrainConfigError('--config', `cannot read ${path}: ${(e as Error).message}`);
        }
        try {
          file = JSON.parse(text);
        } catch (e) {
          throw new TrainConfigError('--config', `${path} is not valid JSON: ${(e as Error).message}`);
        }
        break;
      }
      case '--out':
        out.out = value();
        break;
      case '--resume':
        out.resume = value();
        break;
      case '--generations':
        out.generations = intArg(flag, value());
        over.generations = out.generations;
        break;
      case '--seed':
        over.seed = intArg(flag, value());
        changed.push(flag);
        break;
      case '--dataset':
        over.dataset = value();
        changed.push(flag);
        break;
      case '--strategy':
        setPath(over, 'strategy.kind', value());
        changed.push(flag);
        break;
      case '--fitness':
        over.fitness = value();
        changed.push(flag);
        break;
      case '--checkpoint-every':
        over.checkpointEvery = intArg(flag, value());
        changed.push(flag);
        break;
      case '--set': {
        const kv = value();
        const at = kv.indexOf('=');
        if (at <= 0) throw new TrainConfigError('--set', `expects PATH=VALUE, got '${kv}'`);
        setPath(over, kv.slice(0, at), parseValue(kv.slice(at + 1)));
        changed.push(`--set ${kv.slice(0, at)}`);
        break;
      }
      default:
        throw new TrainConfigError(a, 'unknown option (see --help)');
    }
  }
  if (out.help) return out;
  if (out.resume) {
    if (file || preset !== 'default' || changed.length) {
      throw new TrainConfigError('--resume', `continues the checkpoint's own config; only --generations may change (got ${[...changed, file ? '--config' : '', preset !== 'default' ? '--preset' : ''].filter(Boolean).join(', ')})`);
    }
    return out;
  }
  const base = DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>;
  const layered = layerConfig(layerConfig(layerConfig(base, PRESETS[preset]), file ?? {}), over);
  out.config = validateTrainConfig(layered);
  return out;
}

/** The `npm run train` / `npm start` job; returns the exit code. */
export async function trainMain(argv: string[]): Promise<number> {
  // Distributed roles (coordinator / worker over Redis) have their own options: src/cli/train-distributed.ts.
  if (argv.some((a) => /^--(redis|role)(=|$)/.test(a))) return (await import('./train-distributed')).distributedMain(argv, parseTrainArgs);
  let args: ParsedArgs;
  try {
    args = parseTrainArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --help for the options.`);
    return 2;
  }
  if (args.help) {
    console.log(TRAIN_HELP);
    return 0;
  }
  if (args.printConfig) {
    console.log(JSON.stringify(args.config ?? { resume: args.resume }, null, 2));
    return 0;
  }
  try {
    const r = await runTraining({ config: args.config, resume: args.resume, generations: args.generations, out: args.out, quiet: args.quiet, handleSignals: true });
    const config = args.config ?? { generations: args.generations ?? r.generation } as TrainConfig;
    console.log(summary(r, config));
    return 0;
  } catch (e) {
    if (e instanceof GpuDeviceLostError || e instanceof CheckpointError || e instanceof TrainConfigError) {
      console.error(`\n${e.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

// Run only as a script (the parser is imported by tests).
if (/src[\\/]cli[\\/]train\.ts$/.test(process.argv[1] ?? '')) {
  process.exitCode = await trainMain(process.argv.slice(2));
}
