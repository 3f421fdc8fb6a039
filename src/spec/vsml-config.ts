/**
 * VSML learner configuration: one schema, validated with errors that name the field, and the
 * meta-parameter layout (offsets, shapes, init scales) that WGSL and TypeScript both read.
 *
 * Cell equations (both cell kinds), per weight (a, b) and tick, with z = [fwd_a (M), bwd_b (M), h (H)]:
 *   pre = W z + bias            (full)     or   pre = U (V z) + bias     (lstm-lowrank, rank r)
 *   i = sigmoid(pre_i + INPUT_GATE_OFFSET)   f = sigmoid(pre_f + FORGET_GATE_OFFSET)
 *   g = tanh(pre_g)                          o = sigmoid(pre_o)
 *   c = f * c + i * g                        h = o * tanh(c)
 * Gate rows are ordered i, f, g, o (row = gate * H + unit); columns of W / V are [fwd | bwd | h].
 * Heads (after the last tick): fwd_out = Wf h + bf (M), bwd_out = Wb h + bb (M).
 */
import { z } from 'zod';
import { RNG_DOMAIN, fillNormal } from '../rng/philox';
import { bool, int, integer, shown, parseOrThrow, strict } from './schema';

export type CellConfig = { kind: 'lstm' } | { kind: 'lstm-lowrank'; rank: number };

export interface ReadoutConfig {
  /** Component of the last layer's forward message read as the class logit (default 1). */
  component: number;
  /** Logit bound: y = bound * tanh(f[component] / bound) (default 100). */
  bound: number;
}

export interface VsmlConfig {
  /** Raw input size (pixels per example, 784 for MNIST). */
  inputSize: number;
  /**
   * Unit counts of the stack: layers[0] is what the first VSML layer reads (the raw input, or the
   * projection's output), the last entry is the number of classes. [784, 10] = one 784 -> 10 layer.
   */
  layers: number[];
  /**
   * A fixed random projection inputSize -> layers[0], entries +-1/sqrt(inputSize) regenerated
   * from each learner's projection seed (never stored).
   */
  projection: boolean;
  /** Default projection seed when an EpisodeBatch gives none per learner. */
  projectionSeed: number;
  /** LSTM hidden size H (a multiple of 4: state is moved as vec4). */
  hidden: number;
  /** Message size M. */
  message: number;
  /** Cell steps per example (same incoming messages every tick). */
  ticks: number;
  cell: CellConfig;
  readout: ReadoutConfig;
  /**
   * Label feeding: the last layer's incoming backward message carries, besides the error
   * softmax(y) - onehot in slot 0, the previous example's one-hot label in slot 1 (needs M >= 2).
   */
  labelFeeding: boolean;
}

/** Fixed gate offsets added to the pre-activations (not meta-parameters). */
export const INPUT_GATE_OFFSET = -5;
export const FORGET_GATE_OFFSET = 5;

export const DEFAULT_VSML_CONFIG: Readonly<VsmlConfig> = Object.freeze<VsmlConfig>({
  inputSize: 784,
  layers: [784, 10],
  projection: false,
  projectionSeed: 0,
  hidden: 16,
  message: 8,
  ticks: 2,
  cell: { kind: 'lstm' },
  readout: { component: 1, bound: 100 },
  labelFeeding: false,
});

export class VsmlConfigError extends Error {
  override name = 'VsmlConfigError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`VSML config: ${field}: ${message}`);
  }
}

const d = DEFAULT_VSML_CONFIG;

/** What a cell may say; `rank` is range-checked with the whole config (its bound depends on H and M). */
const cellSchema = z.discriminatedUnion(
  'kind',
  [strict({ kind: z.literal('lstm') }), strict({ kind: z.literal('lstm-lowrank'), rank: integer().optional() })],
  {
    error: (iss) =>
      iss.code === 'invalid_union'
        ? `must be 'lstm' or 'lstm-lowrank', got ${shown((iss.input as { kind?: unknown }).kind)}`
        : `expected an object, got ${shown(iss.input)}`,
  },
);

const layersMessage = (iss: { input?: unknown }) =>
  `must be an array of at least 2 unit counts (input, ..., classes), got ${shown(iss.input)}`;
const boundMessage = (iss: { input?: unknown }) => `must be a positive finite number, got ${shown(iss.input)}`;

/**
 * The fields of a (partial) VSML config as they may be given. Fields whose default or range
 * depends on other fields (inputSize, layers, cell, readout.component) stay optional here and are
 * settled in vsmlConfigSchema's transform.
 */
const vsmlShape = {
  inputSize: int(1, 1 << 24).optional(),
  layers: z
    .array(int(1, 1 << 24), { error: layersMessage })
    .min(2, { error: layersMessage })
    .optional(),
  projection: bool().default(d.projection),
  projectionSeed: int(0, 0xffffffff).default(d.projectionSeed),
  hidden: int(4, 256)
    .refine((h) => h % 4 === 0, {
      error: (iss) => `must be a multiple of 4 (state moves as vec4), got ${shown(iss.input)}`,
    })
    .default(d.hidden),
  message: int(1, 256).default(d.message),
  ticks: int(1, 64).default(d.ticks),
  cell: cellSchema.optional(),
  readout: strict({
    component: integer().optional(),
    bound: z.number({ error: boundMessage }).gt(0, { error: boundMessage }).optional(),
  }).optional(),
  labelFeeding: bool().default(d.labelFeeding),
} satisfies Record<keyof VsmlConfig, z.ZodType>;

/**
 * The VSML config schema: parses a partial config into the normalised VsmlConfig (defaults from
 * DEFAULT_VSML_CONFIG, fields in a fixed order, so equal configs serialise identically), refusing
 * unknown fields (catches typos). When `layers` is given without `inputSize` and there is no
 * projection, inputSize follows layers[0].
 */
export const vsmlConfigSchema = strict(vsmlShape).transform((o, ctx): VsmlConfig => {
  const fail = (path: (string | number)[], message: string) => {
    ctx.issues.push({ code: 'custom', path, message, input: o });
    return z.NEVER;
  };
  const layers = o.layers ?? [...d.layers];
  if (layers[layers.length - 1] < 2)
    return fail(['layers', layers.length - 1], 'the output layer needs at least 2 classes');
  const inputSize = o.inputSize ?? (o.layers !== undefined && !o.projection ? layers[0] : d.inputSize);
  if (!o.projection && layers[0] !== inputSize)
    return fail(['layers', 0], `without a projection it must equal inputSize (${inputSize}), got ${layers[0]}`);
  if (o.labelFeeding && o.message < 2)
    return fail(['labelFeeding'], `needs message >= 2 (slot 1 carries the label), message is ${o.message}`);
  let cell: CellConfig = { kind: 'lstm' };
  if (o.cell?.kind === 'lstm-lowrank') {
    const maxRank = Math.min(4 * o.hidden, 2 * o.message + o.hidden);
    const rank = o.cell.rank ?? 4;
    if (rank < 1 || rank > maxRank) return fail(['cell', 'rank'], `must be in [1, ${maxRank}], got ${rank}`);
    cell = { kind: 'lstm-lowrank', rank };
  }
  const component = o.readout?.component ?? d.readout.component;
  if (component < 0 || component > o.message - 1)
    return fail(['readout', 'component'], `must be in [0, ${o.message - 1}], got ${component}`);
  return {
    inputSize,
    layers,
    projection: o.projection,
    projectionSeed: o.projectionSeed,
    hidden: o.hidden,
    message: o.message,
    ticks: o.ticks,
    cell,
    readout: { component, bound: o.readout?.bound ?? d.readout.bound },
    labelFeeding: o.labelFeeding,
  };
});

/** Validate a (possibly partial) config object (vsmlConfigSchema); throws VsmlConfigError naming the field. */
export function validateVsmlConfig(obj: unknown): VsmlConfig {
  return parseOrThrow(vsmlConfigSchema, obj, (field, message) => new VsmlConfigError(field, message));
}

/** Bytes of learned cell state (h and c, f32) one learner holds: sum over layers of a x b cells x 2H. */
export function learnerStateBytes(c: VsmlConfig): number {
  let cells = 0;
  for (let i = 0; i + 1 < c.layers.length; i++) cells += c.layers[i] * c.layers[i + 1];
  return cells * 2 * c.hidden * 4;
}

/** Number of classes = units of the last layer. */
export function numClasses(c: VsmlConfig): number {
  return c.layers[c.layers.length - 1];
}

/** One named block of the meta-parameter vector, row-major rows x cols. */
export interface ParamSegment {
  name: string;
  offset: number;
  rows: number;
  cols: number;
  size: number;
  /** Std of the normal initialisation (0: zeros). */
  initStd: number;
}

export interface MetaParamLayout {
  /** D: floats per population member. */
  size: number;
  segments: ParamSegment[];
  /** Segment by name; throws for an unknown name (catches layout drift between users). */
  get(name: SegmentName): ParamSegment;
}

export type SegmentName =
  'lstm.W' | 'lstm.U' | 'lstm.V' | 'lstm.b' | 'head.fwd.W' | 'head.fwd.b' | 'head.bwd.W' | 'head.bwd.b';

/**
 * The meta-parameter layout. Full cell: lstm.W (4H x (2M+H)), lstm.b (4H), head.fwd.W (M x H),
 * head.fwd.b (M), head.bwd.W (M x H), head.bwd.b (M): 2,384 floats for H=16, M=8.
 * Low-rank cell: lstm.U (4H x r) and lstm.V (r x (2M+H)) replace lstm.W.
 */
export function metaParamLayout(c: VsmlConfig): MetaParamLayout {
  const H = c.hidden;
  const M = c.message;
  const Z = 2 * M + H;
  const specs: [SegmentName, number, number, number][] = [];
  if (c.cell.kind === 'lstm') specs.push(['lstm.W', 4 * H, Z, 1 / Math.sqrt(Z)]);
  else {
    const r = c.cell.rank;
    // U V has about the scale of the full W: var(UV)_ij = r * (1/r) * (1/Z).
    specs.push(['lstm.U', 4 * H, r, 1 / Math.sqrt(r)], ['lstm.V', r, Z, 1 / Math.sqrt(Z)]);
  }
  specs.push(
    ['lstm.b', 4 * H, 1, 0],
    ['head.fwd.W', M, H, 1 / Math.sqrt(H)],
    ['head.fwd.b', M, 1, 0],
    ['head.bwd.W', M, H, 1 / Math.sqrt(H)],
    ['head.bwd.b', M, 1, 0],
  );
  const segments: ParamSegment[] = [];
  let offset = 0;
  for (const [name, rows, cols, initStd] of specs) {
    segments.push({ name, offset, rows, cols, size: rows * cols, initStd });
    offset += rows * cols;
  }
  const byName = new Map(segments.map((s) => [s.name, s]));
  return {
    size: offset,
    segments,
    get(name) {
      const s = byName.get(name);
      if (!s) throw new Error(`meta-parameter segment '${name}' does not exist for cell '${c.cell.kind}'`);
      return s;
    },
  };
}

/**
 * Initial meta-parameters for one member: element i = initStd(segment) * normalAt(seed,
 * paramInit, i). Deterministic, and reproducible on the GPU from the same stream.
 */
export function initMetaParams(c: VsmlConfig, seed: number): Float32Array {
  const layout = metaParamLayout(c);
  const out = new Float32Array(layout.size);
  fillNormal(out, seed >>> 0, RNG_DOMAIN.paramInit);
  for (const s of layout.segments) {
    for (let i = s.offset; i < s.offset + s.size; i++) out[i] = s.initStd === 0 ? 0 : Math.fround(out[i] * s.initStd);
  }
  return out;
}

/** A short human-readable description, for logs and reports. */
export function describeVsmlConfig(c: VsmlConfig): string {
  const cell = c.cell.kind === 'lstm' ? 'lstm' : `lstm-lowrank(r=${c.cell.rank})`;
  const proj = c.projection ? `proj ${c.inputSize}->` : '';
  return `${proj}${c.layers.join('->')} H${c.hidden} M${c.message} ticks${c.ticks} ${cell}${c.labelFeeding ? ' +labels' : ''}`;
}
