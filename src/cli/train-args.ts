/**
 * The options of `npm run train`, shared by `npm run train:browser` and the distributed
 * coordinator: one table (TRAIN_OPTIONS) and the parser that layers them into a validated config.
 * Its own module so that train-distributed.ts (imported lazily by train.ts while train.ts's
 * top-level await runs) can import it without waiting on train.ts.
 */
import { readFileSync } from 'node:fs';
import {
  DEFAULT_TRAIN_CONFIG,
  FITNESS_KINDS,
  PRESETS,
  TrainConfigError,
  layerConfig,
  validateTrainConfig,
  type TrainConfig,
} from '../meta/train-config';
import { CELL_MAPPINGS, type CellMapping } from '../meta/cell-mapping';
import { type OptionSpecs, UsageError, defineCommand, intArg, parseCommand } from './args';

/** The training options (npm run train; train:browser and the distributed coordinator take them too). */
export const TRAIN_OPTIONS = {
  preset: {
    type: 'string',
    value: 'NAME',
    choices: Object.keys(PRESETS),
    default: 'default',
    description: 'base config: default is SwiftShader-sized (minutes), vsml close to the paper (GPU), tiny for tests',
  },
  config: { type: 'string', value: 'FILE.json', description: 'a (partial) training config layered over the preset' },
  out: { type: 'string', value: 'DIR', defaultText: 'runs/train-<time>', description: 'output directory' },
  resume: { type: 'string', value: 'CHECKPOINT', description: 'continue a run exactly where its checkpoint left it' },
  generations: {
    type: 'string',
    value: 'N',
    description: 'total generations (also allowed with --resume, to extend a run)',
  },
  seed: { type: 'string', value: 'N', description: 'run seed (tasks, noise, GA choices)' },
  dataset: {
    type: 'string',
    value: 'NAME|DIR|URL',
    description: 'mnist, fashion-mnist, an IDX directory or URL (train split only)',
  },
  strategy: { type: 'string', value: 'KIND', description: "openai-es, snes or ga (with that strategy's defaults)" },
  fitness: { type: 'string', value: 'KIND', choices: FITNESS_KINDS, description: 'what members are scored by' },
  'checkpoint-every': {
    type: 'string',
    value: 'N',
    description: 'checkpoint interval in generations (0: end and Ctrl-C only)',
  },
  set: {
    type: 'string',
    value: 'PATH=VALUE',
    multiple: true,
    description:
      'any config field, e.g. --set strategy.pairs=64 (VALUE parsed as JSON when it can be, else a string; applied after the flags above)',
  },
  'print-config': { type: 'boolean', description: 'print the resolved config and exit' },
  quiet: { type: 'boolean', description: 'no progress output' },
} as const satisfies OptionSpecs;

/** Options of a run on this machine only (npm run train / npm start), not of train:browser or the coordinator. */
export const LOCAL_TRAIN_OPTIONS = {
  mapping: {
    type: 'string',
    value: 'MODE',
    choices: CELL_MAPPINGS,
    default: 'auto',
    description:
      "the VSML input layer's cell mapping: rows, columns, or auto (lavapipe moves to columns once they pay: src/meta/cell-mapping.ts); same bits either way",
  },
} as const satisfies OptionSpecs;

export const TRAIN_EPILOG = `Ctrl-C stops after the current generation and writes a checkpoint; a second Ctrl-C exits at once.
The config schema (fields, ranges, defaults) is src/meta/train-config.ts; docs/outer-loop.md explains it.`;

export const TRAIN_COMMAND = defineCommand({
  name: 'train',
  description: `Meta-trains the shared parameters of VSML learners (issue 4: outer loop) on class-ordered
episodes sampled from the TRAIN split, and writes metrics.jsonl and checkpoint.json.
Config layers: --preset < --config FILE.json < the flags below and --set.`,
  options: { ...TRAIN_OPTIONS, ...LOCAL_TRAIN_OPTIONS },
  epilog: `${TRAIN_EPILOG}

Several machines: --redis URL --role coordinator|worker (npm run train -- --role worker --help;
docs/distributed.md).`,
});

export interface ParsedArgs {
  config?: TrainConfig;
  resume?: string;
  generations?: number;
  out?: string;
  quiet: boolean;
  printConfig: boolean;
  help: boolean;
  /** --mapping (npm run train / npm start only). */
  mapping: CellMapping;
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
  const parsed = parseCommand(TRAIN_COMMAND, argv);
  if (!parsed) return { quiet: false, printConfig: false, help: true, mapping: 'auto' };
  const v = parsed.values;
  const out: ParsedArgs = {
    quiet: v.quiet,
    printConfig: v['print-config'],
    help: false,
    out: v.out,
    resume: v.resume,
    mapping: v.mapping as CellMapping,
  };
  let file: Record<string, unknown> | undefined;
  if (v.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(v.config, 'utf8');
    } catch (e) {
      throw new TrainConfigError('--config', `cannot read ${v.config}: ${(e as Error).message}`);
    }
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new TrainConfigError('--config', `${v.config} is not valid JSON: ${(e as Error).message}`);
    }
  }
  const over: Record<string, unknown> = {};
  if (v.generations !== undefined) over.generations = out.generations = intArg('--generations', v.generations);
  if (v.seed !== undefined) over.seed = intArg('--seed', v.seed);
  if (v.dataset !== undefined) over.dataset = v.dataset;
  if (v.strategy !== undefined) setPath(over, 'strategy.kind', v.strategy);
  if (v.fitness !== undefined) over.fitness = v.fitness;
  if (v['checkpoint-every'] !== undefined) over.checkpointEvery = intArg('--checkpoint-every', v['checkpoint-every']);
  for (const kv of v.set) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new UsageError('--set', `expects PATH=VALUE, got '${kv}'`);
    setPath(over, kv.slice(0, at), parseValue(kv.slice(at + 1)));
  }
  if (out.resume) {
    const changed = [
      ...(['seed', 'dataset', 'strategy', 'fitness', 'checkpoint-every', 'config'] as const)
        .filter((k) => v[k] !== undefined)
        .map((k) => `--${k}`),
      ...v.set.map((kv) => `--set ${kv.slice(0, Math.max(0, kv.indexOf('=')))}`),
      ...(v.preset !== 'default' ? ['--preset'] : []),
    ];
    if (changed.length)
      throw new UsageError(
        '--resume',
        `continues the checkpoint's own config; only --generations may change (got ${changed.join(', ')})`,
      );
    return out;
  }
  const base = DEFAULT_TRAIN_CONFIG as unknown as Record<string, unknown>;
  const layered = layerConfig(layerConfig(layerConfig(base, PRESETS[v.preset]), file ?? {}), over);
  out.config = validateTrainConfig(layered);
  return out;
}
