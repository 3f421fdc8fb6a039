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
import { RNG_DOMAIN, fillNormal } from '../rng/philox';

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

const KNOWN_KEYS = new Set(Object.keys(DEFAULT_VSML_CONFIG));

function int(field: string, v: unknown, min: number, max = 2 ** 31): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new VsmlConfigError(field, `must be an integer, got ${JSON.stringify(v)}`);
  if (v < min || v > max) throw new VsmlConfigError(field, `must be in [${min}, ${max}], got ${v}`);
  return v;
}

function bool(field: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new VsmlConfigError(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Validate a (possibly partial) config object: missing fields take DEFAULT_VSML_CONFIG values,
 * unknown fields are refused (catches typos). When `layers` is given without `inputSize` and
 * there is no projection, inputSize follows layers[0].
 */
export function validateVsmlConfig(obj: unknown): VsmlConfig {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new VsmlConfigError('(root)', `expected an object, got ${JSON.stringify(obj)}`);
  }
  const o = obj as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!KNOWN_KEYS.has(k)) throw new VsmlConfigError(k, `unknown field (known: ${[...KNOWN_KEYS].join(', ')})`);
  }
  const d = DEFAULT_VSML_CONFIG;
  const projection = bool('projection', o.projection ?? d.projection);

  const layersRaw = o.layers ?? d.layers;
  if (!Array.isArray(layersRaw) || layersRaw.length < 2) {
    throw new VsmlConfigError('layers', `must be an array of at least 2 unit counts (input, ..., classes), got ${JSON.stringify(layersRaw)}`);
  }
  const layers = layersRaw.map((v, i) => int(`layers[${i}]`, v, 1, 1 << 24));
  if (layers[layers.length - 1] < 2) throw new VsmlConfigError(`layers[${layers.length - 1}]`, 'the output layer needs at least 2 classes');

  const inputDefault = o.layers !== undefined && !projection ? layers[0] : d.inputSize;
  const inputSize = int('inputSize', o.inputSize ?? inputDefault, 1, 1 << 24);
  if (!projection && layers[0] !== inputSize) {
    throw new VsmlConfigError('layers[0]', `without a projection it must equal inputSize (${inputSize}), got ${layers[0]}`);
  }
  const projectionSeed = int('projectionSeed', o.projectionSeed ?? d.projectionSeed, 0, 0xffffffff);

  const hidden = int('hidden', o.hidden ?? d.hidden, 4, 256);
  if (hidden % 4 !== 0) throw new VsmlConfigError('hidden', `must be a multiple of 4 (state moves as vec4), got ${hidden}`);
  const message = int('message', o.message ?? d.message, 1, 256);
  const ticks = int('ticks', o.ticks ?? d.ticks, 1, 64);
  const labelFeeding = bool('labelFeeding', o.labelFeeding ?? d.labelFeeding);
  if (labelFeeding && message < 2) {
    throw new VsmlConfigError('labelFeeding', `needs message >= 2 (slot 1 carries the label), message is ${message}`);
  }

  const cellRaw = (o.cell ?? d.cell) as Record<string, unknown>;
  if (cellRaw === null || typeof cellRaw !== 'object') throw new VsmlConfigError('cell', `expected an object, got ${JSON.stringify(cellRaw)}`);
  let cell: CellConfig;
  if (cellRaw.kind === 'lstm') {
    for (const k of Object.keys(cellRaw)) if (k !== 'kind') throw new VsmlConfigError(`cell.${k}`, "unknown field for kind 'lstm'");
    cell = { kind: 'lstm' };
  } else if (cellRaw.kind === 'lstm-lowrank') {
    for (const k of Object.keys(cellRaw)) if (k !== 'kind' && k !== 'rank') throw new VsmlConfigError(`cell.${k}`, "unknown field for kind 'lstm-lowrank'");
    const maxRank = Math.min(4 * hidden, 2 * message + hidden);
    cell = { kind: 'lstm-lowrank', rank: int('cell.rank', cellRaw.rank ?? 4, 1, maxRank) };
  } else {
    throw new VsmlConfigError('cell.kind', `must be 'lstm' or 'lstm-lowrank', got ${JSON.stringify(cellRaw.kind)}`);
  }

  const roRaw = (o.readout ?? d.readout) as Record<string, unknown>;
  if (roRaw === null || typeof roRaw !== 'object') throw new VsmlConfigError('readout', `expected an object, got ${JSON.stringify(roRaw)}`);
  for (const k of Object.keys(roRaw)) if (k !== 'component' && k !== 'bound') throw new VsmlConfigError(`readout.${k}`, 'unknown field');
  const component = int('readout.component', roRaw.component ?? d.readout.component, 0, message - 1);
  const bound = roRaw.bound ?? d.readout.bound;
  if (typeof bound !== 'number' || !Number.isFinite(bound) || bound <= 0) {
    throw new VsmlConfigError('readout.bound', `must be a positive finite number, got ${JSON.stringify(bound)}`);
  }
  return {
    inputSize,
    layers,
    projection,
    projectionSeed,
    hidden,
    message,
    ticks,
    cell,
    readout: { component, bound },
    labelFeeding,
  };
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
  | 'lstm.W'
  | 'lstm.U'
  | 'lstm.V'
  | 'lstm.b'
  | 'head.fwd.W'
  | 'head.fwd.b'
  | 'head.bwd.W'
  | 'head.bwd.b';

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
