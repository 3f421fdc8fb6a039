/**
 * Share links: a config and an evolved learner packed into a URL fragment ("#s=..."), so that a
 * colleague's browser can rebuild the learner and replay it. Runtime-agnostic (browser, worker,
 * Node).
 *
 * Wire format, version 1 (little-endian), base64url without padding after "s=":
 *
 *   header (17 bytes):  "VSL" | version u8 | flags u8 (bit 0: deflate-raw) | bodyLength u32 |
 *                       storedLength u32 | crc32 u32 (of the header's first 13 bytes, then the
 *                       stored body bytes)
 *   stored body:        the body, deflate-raw compressed when flag 0 is set
 *   body (uncompressed): configLength u32 | config JSON (UTF-8) | stateSeed u32 | learner
 *   learner, kind u8 = 1 (GA genome):   initSeed u32 | sigma f32 | chainLength u32 | seeds u32 x n
 *   learner, kind u8 = 2 (quantised):   dim u32 | bits u8 (8|16) | blockSize u16 |
 *                                       scales f32 x ceil(dim/blockSize) | values int8|int16 x dim
 *   learner, kind u8 = 3 (exact f32):   dim u32 | values f32 x dim
 *
 * Kind 3 came after the first links; it is a new learner kind inside version 1 (a page that
 * predates it refuses such a link as 'unknown learner kind 3'). Hand-designed and evolved rules
 * use it: their constants span orders of magnitude, and the replay must be their scoreboard row.
 *
 * The config JSON is { vsml, lstm?, train?, note? }: the learner's VsmlConfig (checked by the config
 * module's validator), optionally the training config that produced it and a short note; the
 * zod schemas in schema.ts check it (and what a caller asks to encode), naming the bad field.
 * With `lstm` (added inside version 1, like kind 3; an older page refuses it as an unknown field)
 * the shared learner is that black-box LSTM (src/spec/lstm-config.ts), sized from `vsml` (its
 * input size and classes): the parameter vector is lstmParamLayout(lstm), a GA genome rebuilds
 * from initLstmParams, and the state check counts its h and c.
 *
 * What the shared learner IS: its meta-parameter vector `params` as returned by decodeShare. For a
 * GA genome that is rebuildGenome(initMetaParams(vsml, initSeed), chain, sigma), exact; for other
 * strategies it is the dequantised vector (f32(q * scale)), which replaces the original floats.
 * Encoding returns the same vector, so the sender can replay exactly what the receiver will get.
 *
 * Decoding trusts nothing: lengths are checked before any allocation or decompression, the
 * decompressed size is bounded, the checksum covers header and body, the JSON is parsed with
 * limits, the config is validated, and every number is range-checked. Failures are ShareError with
 * a specific `code`.
 */
import { initMetaParams, learnerStateBytes, metaParamLayout, type VsmlConfig } from '../spec/vsml-config';
import { type LstmLearnerConfig, initLstmParams, lstmParamLayout } from '../spec/lstm-config';
import { rebuildGenome } from '../meta/strategies/ga';
import { validateTrainConfig } from '../meta/train-config';
import { Base64Error, decodeBase64url, encodeBase64url } from './base64url';
import { ByteReader, ByteWriter, TruncatedError } from './bytes';
import { InflateError, deflateRaw, inflateRawBounded } from './compress';
import { crc32 } from './crc32';
import { QMAX, dequantise, quantise, type QuantBits, type Quantised } from './quantise';
import { SafeJsonError, parseSafeJson } from './safe-json';
import { formatIssue, shareConfigSchema, sharePayloadSchema, type ShareLearnerSpec, type ShareNote } from './schema';

export type { ShareLearnerSpec, ShareNote, StreamKind } from './schema';

export const SHARE_VERSION = 1;
export const SHARE_PREFIX = 's=';
const MAGIC = [0x56, 0x53, 0x4c]; // "VSL"
const HEADER_BYTES = 17;
const FLAG_DEFLATE = 1;
const KIND_GA = 1;
const KIND_QUANTISED = 2;
const KIND_F32 = 3;

/**
 * The maximum share link length: characters after "s=" (524,288). Browsers cap whole URLs:
 * Chromium at 2 MiB (url::kMaxURLChars = 2,097,152), Firefox at 1 MiB (network.standard-url.
 * max-length = 1,048,576; a longer address is not opened at all). Half of the smaller cap leaves
 * the page address room to spare. Servers never see it (a fragment is not sent with the request),
 * so their request-line limits (RFC 9110 asks for at least 8,000 octets) do not apply. Encoding
 * refuses a longer link with its size and this limit; decoding refuses it before reading it.
 */
export const MAX_LINK_CHARS = 512 * 1024;

/** Limits, checked before the work they protect. */
export const SHARE_LIMITS = {
  /** Characters after "s=": MAX_LINK_CHARS. */
  maxFragmentChars: MAX_LINK_CHARS,
  /** Uncompressed body bytes. */
  maxBodyBytes: 2 * 1024 * 1024,
  maxConfigBytes: 16 * 1024,
  /** Meta-parameters of a shared learner. */
  maxDim: 1 << 20,
  /**
   * GA chain length, and chain x dim: the TypeScript rebuild costs one normal draw per element
   * (about 0.3 us each), so 25M (a 10,000-generation chain of the default learner) is ~8 s.
   */
  maxChain: 20_000,
  maxChainWork: 25_000_000,
  /** |parameter| bound for quantised learners (an evolved VSML cell stays far below). */
  maxAbsParam: 1e6,
  maxSigma: 100,
  /**
   * Learned state of the shared learner (cells x 2H floats): a link must not make the replay page
   * allocate gigabytes. 256 MiB is ~250 times the default 784 -> 10 learner.
   */
  maxStateBytes: 256 * 1024 * 1024,
} as const;

// One definition, in the learner spec; re-exported for the share API.
export { learnerStateBytes };

export type ShareErrorCode =
  | 'empty'
  | 'bad-prefix'
  | 'too-long'
  | 'bad-encoding'
  | 'truncated'
  | 'bad-magic'
  | 'unsupported-version'
  | 'bad-header'
  | 'too-large'
  | 'corrupt'
  | 'length-mismatch'
  | 'checksum'
  | 'bad-json'
  | 'bad-config'
  | 'bad-learner'
  | 'trailing-bytes'
  | 'encode';

export class ShareError extends Error {
  override name = 'ShareError';
  constructor(
    readonly code: ShareErrorCode,
    message: string,
  ) {
    super(`share link: ${message}`);
  }
}

export interface ShareConfig {
  vsml: VsmlConfig;
  /** Present when the shared learner is the black-box LSTM sized from `vsml` (see the file comment). */
  lstm?: LstmLearnerConfig;
  /** The training config that produced the learner (validated by `validateTrain` if given). */
  train?: unknown;
  note?: ShareNote;
}

export type DecodedLearner =
  | { kind: 'ga'; initSeed: number; sigma: number; chain: number[] }
  | { kind: 'quantised'; bits: QuantBits; blockSize: number; dim: number }
  | { kind: 'f32'; dim: number };

export interface SharePayload {
  /** Checked like a received config (so it may be any JSON-like value). */
  config: ShareConfig;
  /** Seed of the learner's initial cell state. */
  stateSeed: number;
  learner: ShareLearnerSpec;
}

export interface DecodedShare {
  config: ShareConfig;
  stateSeed: number;
  learner: DecodedLearner;
  /** The shared learner's meta-parameters (see file comment). */
  params: Float32Array;
  /** Bytes before base64 (header + compressed body) and uncompressed body bytes. */
  sizes: { wireBytes: number; bodyBytes: number; fragmentChars: number };
}

export interface EncodedShare {
  /** "s=..." (without '#'). */
  fragment: string;
  /** What the receiver's learner will be: decodeShare(fragment).params, bit for bit. */
  params: Float32Array;
  sizes: DecodedShare['sizes'];
}

export interface ShareCodecOptions {
  /** Validator of the `train` section; must throw on invalid input. Default: validateTrainConfig. */
  validateTrain?: (train: unknown) => unknown;
}

const DEFAULT_BITS: QuantBits = 16;
const DEFAULT_BLOCK = 64;

// ---------------------------------------------------------------------------------------------
// Encoding

export async function encodeShare(payload: SharePayload, opts: ShareCodecOptions = {}): Promise<EncodedShare> {
  const shape = sharePayloadSchema.safeParse(payload);
  if (!shape.success) throw new ShareError('encode', formatIssue(shape.error));
  // Validate what we send with the same checks the receiver applies.
  const config = checkConfig(payload.config, opts);
  const json = new TextEncoder().encode(JSON.stringify(config));
  if (json.length > SHARE_LIMITS.maxConfigBytes) {
    throw new ShareError('encode', `config JSON is ${json.length} bytes, above ${SHARE_LIMITS.maxConfigBytes}`);
  }
  const dim = paramCount(config);
  const body = new ByteWriter()
    .u32(json.length)
    .bytes(json)
    .u32(checkU32(payload.stateSeed, 'stateSeed', 'encode'));
  let params: Float32Array = new Float32Array(0);
  const l = payload.learner;
  if (l.kind === 'ga') {
    const chain = l.chain.map((s, i) => checkU32(s, `chain[${i}]`, 'encode'));
    checkGa(chain.length, Math.fround(l.sigma), dim, 'encode');
    body
      .u8(KIND_GA)
      .u32(checkU32(l.initSeed, 'initSeed', 'encode'))
      .f32(l.sigma)
      .u32(chain.length);
    for (const s of chain) body.u32(s);
    params = rebuildGa(config, l.initSeed >>> 0, Math.fround(l.sigma), chain);
  } else {
    if (l.params.length !== dim) {
      throw new ShareError('encode', `learner has ${l.params.length} parameters, the config's layout needs ${dim}`);
    }
    checkParams(l.params, 'encode');
  }
  if (l.kind === 'ga') {
    // encoded above
  } else if (l.bits === 32) {
    body.u8(KIND_F32).u32(dim);
    for (const v of l.params) body.f32(v);
    params = Float32Array.from(l.params);
  } else {
    let q: Quantised;
    try {
      q = quantise(l.params, (l.bits as QuantBits | undefined) ?? DEFAULT_BITS, l.blockSize ?? DEFAULT_BLOCK);
    } catch (e) {
      throw new ShareError('encode', (e as Error).message);
    }
    body.u8(KIND_QUANTISED).u32(dim).u8(q.bits).u16(q.blockSize);
    for (const s of q.scales) body.f32(s);
    body.bytes(new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.byteLength));
    params = dequantise(q);
    checkParams(params, 'encode');
  }
  const raw = body.finish();
  if (raw.length > SHARE_LIMITS.maxBodyBytes) {
    throw new ShareError('encode', `payload is ${raw.length} bytes, above ${SHARE_LIMITS.maxBodyBytes}`);
  }
  const compressed = await deflateRaw(raw);
  // Store uncompressed when deflate does not help (tiny GA genomes).
  const useDeflate = compressed.length < raw.length;
  const stored = useDeflate ? compressed : raw;
  const header = new ByteWriter()
    .bytes(Uint8Array.from(MAGIC))
    .u8(SHARE_VERSION)
    .u8(useDeflate ? FLAG_DEFLATE : 0)
    .u32(raw.length)
    .u32(stored.length)
    .finish();
  // The checksum covers the bytes as sent, so tampering is caught before any decompression.
  const crc = crc32(stored, crc32(header));
  const wire = new ByteWriter().bytes(header).u32(crc).bytes(stored).finish();
  const fragment = SHARE_PREFIX + encodeBase64url(wire);
  if (fragment.length - SHARE_PREFIX.length > SHARE_LIMITS.maxFragmentChars) {
    throw new ShareError(
      'encode',
      `link would be ${fragment.length - SHARE_PREFIX.length} characters (${dim} parameters), above the maximum link length of ${SHARE_LIMITS.maxFragmentChars} (MAX_LINK_CHARS)${l.kind === 'params' && l.bits !== 8 ? '; 8-bit quantisation (--bits 8) makes it about half as long' : ''}`,
    );
  }
  return { fragment, params, sizes: { wireBytes: wire.length, bodyBytes: raw.length, fragmentChars: fragment.length } };
}

/** A full share URL: `base` (e.g. .../replay.html) with the fragment. */
export function shareUrl(base: string, fragment: string): string {
  return `${base.split('#')[0]}#${fragment}`;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Decode "#s=...", "s=..." or a whole URL containing one. */
export async function decodeShare(input: string, opts: ShareCodecOptions = {}): Promise<DecodedShare> {
  if (typeof input !== 'string') throw new ShareError('empty', 'no share data');
  const hash = input.indexOf('#');
  let frag = hash >= 0 ? input.slice(hash + 1) : input;
  if (frag.length === 0) throw new ShareError('empty', 'the URL has no share data (nothing after #)');
  // Check the length before anything else touches the text.
  if (frag.length > SHARE_LIMITS.maxFragmentChars + SHARE_PREFIX.length) {
    throw new ShareError('too-long', `${frag.length} characters, the limit is ${SHARE_LIMITS.maxFragmentChars}`);
  }
  if (!frag.startsWith(SHARE_PREFIX)) {
    throw new ShareError(
      'bad-prefix',
      `expected the fragment to start with "${SHARE_PREFIX}", got "${frag.slice(0, 12)}"`,
    );
  }
  frag = frag.slice(SHARE_PREFIX.length);
  let wire: Uint8Array;
  try {
    wire = decodeBase64url(frag);
  } catch (e) {
    if (e instanceof Base64Error && e.kind === 'length') {
      throw new ShareError(
        'truncated',
        `the link ends mid-character-group (${e.message}): was it cut short when copied?`,
      );
    }
    throw new ShareError('bad-encoding', (e as Error).message);
  }
  if (MAGIC.some((b, i) => i < wire.length && wire[i] !== b))
    throw new ShareError('bad-magic', 'this is not a VSML share link');
  if (wire.length < HEADER_BYTES) {
    throw new ShareError('truncated', `${wire.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  }
  const r = new ByteReader(wire);
  r.bytesCopy(3, 'magic');
  const version = r.u8('version');
  if (version !== SHARE_VERSION) {
    throw new ShareError(
      'unsupported-version',
      `format version ${version}; this page reads version ${SHARE_VERSION}${version > SHARE_VERSION ? ' (the link is from a newer release)' : ''}`,
    );
  }
  const flags = r.u8('flags');
  if ((flags & ~FLAG_DEFLATE) !== 0) throw new ShareError('bad-header', `unknown flags 0x${flags.toString(16)}`);
  const bodyLength = r.u32('body length');
  if (bodyLength > SHARE_LIMITS.maxBodyBytes) {
    throw new ShareError('too-large', `declared body of ${bodyLength} bytes exceeds ${SHARE_LIMITS.maxBodyBytes}`);
  }
  const storedLength = r.u32('stored length');
  const crc = r.u32('checksum');
  const stored = wire.subarray(HEADER_BYTES);
  if (stored.length < storedLength) {
    throw new ShareError(
      'truncated',
      `the link is cut short: ${stored.length} of ${storedLength} payload bytes present`,
    );
  }
  if (stored.length > storedLength)
    throw new ShareError('trailing-bytes', `${stored.length - storedLength} unexpected bytes after the payload`);
  const want = crc32(stored, crc32(wire.subarray(0, 13)));
  if (want !== crc) {
    throw new ShareError(
      'checksum',
      `checksum mismatch (stored ${hex(crc)}, computed ${hex(want)}): the link was altered or cut`,
    );
  }
  let raw: Uint8Array;
  if (flags & FLAG_DEFLATE) {
    try {
      // One byte more than declared is enough to detect a lying header without inflating a bomb.
      raw = await inflateRawBounded(stored, bodyLength + 1);
    } catch (e) {
      if (!(e instanceof InflateError)) throw e;
      if (e.reason === 'too-large')
        throw new ShareError('too-large', `body inflates past its declared ${bodyLength} bytes`);
      throw new ShareError('corrupt', e.message);
    }
  } else raw = stored;
  if (raw.length !== bodyLength) {
    throw new ShareError(
      raw.length < bodyLength ? 'truncated' : 'length-mismatch',
      `body is ${raw.length} bytes, the header says ${bodyLength}`,
    );
  }
  try {
    return parseBody(
      raw,
      { wireBytes: wire.length, bodyBytes: raw.length, fragmentChars: frag.length + SHARE_PREFIX.length },
      opts,
    );
  } catch (e) {
    if (e instanceof TruncatedError) throw new ShareError('truncated', e.message);
    throw e;
  }
}

function parseBody(raw: Uint8Array, sizes: DecodedShare['sizes'], opts: ShareCodecOptions): DecodedShare {
  const r = new ByteReader(raw);
  const configLength = r.u32('config length');
  if (configLength > SHARE_LIMITS.maxConfigBytes) {
    throw new ShareError('too-large', `config of ${configLength} bytes exceeds ${SHARE_LIMITS.maxConfigBytes}`);
  }
  const jsonBytes = r.bytesCopy(configLength, 'the config');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes);
  } catch {
    throw new ShareError('bad-json', 'config is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = parseSafeJson(text);
  } catch (e) {
    throw new ShareError('bad-json', e instanceof SafeJsonError ? e.message : String(e));
  }
  const config = checkConfig(json, opts);
  const stateSeed = r.u32('state seed');
  const dim = paramCount(config);
  const kind = r.u8('learner kind');
  let learner: DecodedLearner;
  let params: Float32Array;
  if (kind === KIND_GA) {
    const initSeed = r.u32('GA init seed');
    const sigma = r.f32('GA sigma');
    const n = r.u32('GA chain length');
    checkGa(n, sigma, dim, 'bad-learner');
    if (n * 4 > r.remaining)
      throw new TruncatedError(
        `truncated while reading the GA seed chain: ${n} seeds need ${n * 4} bytes, ${r.remaining} left`,
      );
    const chain: number[] = [];
    for (let i = 0; i < n; i++) chain.push(r.u32('GA seed chain'));
    learner = { kind: 'ga', initSeed, sigma, chain };
    params = rebuildGa(config, initSeed, sigma, chain);
  } else if (kind === KIND_QUANTISED) {
    const d = r.u32('parameter count');
    if (d !== dim) throw new ShareError('bad-learner', `learner has ${d} parameters, the config's layout needs ${dim}`);
    const bits = r.u8('quantisation bits');
    if (bits !== 8 && bits !== 16) throw new ShareError('bad-learner', `quantisation bits ${bits}, expected 8 or 16`);
    const blockSize = r.u16('block size');
    if (blockSize < 1) throw new ShareError('bad-learner', 'block size 0');
    const blocks = Math.ceil(d / blockSize);
    const need = blocks * 4 + d * (bits / 8);
    if (need > r.remaining)
      throw new TruncatedError(`truncated while reading quantised parameters: need ${need} bytes, ${r.remaining} left`);
    const scales = new Float32Array(blocks);
    const qmax = QMAX[bits];
    for (let b = 0; b < blocks; b++) {
      const s = r.f32('scales');
      if (!Number.isFinite(s) || s < 0 || s * qmax > SHARE_LIMITS.maxAbsParam) {
        throw new ShareError(
          'bad-learner',
          `scale ${b} is ${s}: must be finite, >= 0 and below ${SHARE_LIMITS.maxAbsParam / qmax}`,
        );
      }
      scales[b] = s;
    }
    const bytes = r.bytesCopy(d * (bits / 8), 'quantised values');
    const values = bits === 8 ? new Int8Array(bytes.buffer) : new Int16Array(bytes.buffer);
    for (let i = 0; i < d; i++) {
      if (values[i] < -qmax)
        throw new ShareError('bad-learner', `value ${i} is ${values[i]}, outside [-${qmax}, ${qmax}]`);
    }
    learner = { kind: 'quantised', bits, blockSize, dim: d };
    params = dequantise({ bits, blockSize, scales, values });
    checkParams(params, 'bad-learner');
  } else if (kind === KIND_F32) {
    const d = r.u32('parameter count');
    if (d !== dim) throw new ShareError('bad-learner', `learner has ${d} parameters, the config's layout needs ${dim}`);
    if (d * 4 > r.remaining)
      throw new TruncatedError(`truncated while reading f32 parameters: need ${d * 4} bytes, ${r.remaining} left`);
    params = new Float32Array(d);
    for (let i = 0; i < d; i++) params[i] = r.f32('parameters');
    checkParams(params, 'bad-learner');
    learner = { kind: 'f32', dim: d };
  } else {
    throw new ShareError('bad-learner', `unknown learner kind ${kind}`);
  }
  if (r.remaining !== 0) throw new ShareError('trailing-bytes', `${r.remaining} unexpected bytes after the learner`);
  return { config, stateSeed, learner, params, sizes };
}

// ---------------------------------------------------------------------------------------------
// Checks shared by both directions

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function checkU32(v: number, what: string, code: ShareErrorCode): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff)
    throw new ShareError(code, `${what} must be a 32-bit unsigned integer, got ${v}`);
  return v;
}

function checkGa(n: number, sigma: number, dim: number, code: ShareErrorCode): void {
  if (n > SHARE_LIMITS.maxChain) throw new ShareError(code, `GA chain of ${n} seeds exceeds ${SHARE_LIMITS.maxChain}`);
  if (n * dim > SHARE_LIMITS.maxChainWork) {
    throw new ShareError(
      code,
      `GA chain of ${n} seeds x ${dim} parameters is too costly to rebuild (limit ${SHARE_LIMITS.maxChainWork})`,
    );
  }
  if (!Number.isFinite(sigma) || sigma <= 0 || sigma > SHARE_LIMITS.maxSigma) {
    throw new ShareError(code, `GA sigma ${sigma} must be finite and in (0, ${SHARE_LIMITS.maxSigma}]`);
  }
}

function checkParams(params: Float32Array, code: ShareErrorCode): void {
  for (let i = 0; i < params.length; i++) {
    if (!Number.isFinite(params[i]) || Math.abs(params[i]) > SHARE_LIMITS.maxAbsParam) {
      throw new ShareError(
        code,
        `parameter ${i} is ${params[i]}, outside [-${SHARE_LIMITS.maxAbsParam}, ${SHARE_LIMITS.maxAbsParam}]`,
      );
    }
  }
}

/** Meta-parameters of the shared learner: the LSTM's when the config names one, else the VSML cell's. */
function paramCount(c: ShareConfig): number {
  return c.lstm ? lstmParamLayout(c.lstm).size : metaParamLayout(c.vsml).size;
}

/** Learned state of the shared learner: the LSTM's h and c, or every VSML cell's. */
function stateBytesOf(c: ShareConfig): number {
  return c.lstm ? 2 * 4 * c.lstm.hidden : learnerStateBytes(c.vsml);
}

function rebuildGa(config: ShareConfig, initSeed: number, sigma: number, chain: number[]): Float32Array {
  // The same start the trainer's GA draws (randomLearnerParams in src/meta/learner-kind.ts).
  const init = config.lstm ? initLstmParams(config.lstm, initSeed) : initMetaParams(config.vsml, initSeed);
  const params = rebuildGenome(init, { initSeed, chain }, sigma);
  checkParams(params, 'bad-learner');
  return params;
}

/** Validated copy of a config section: only known fields, built fresh (never the input object). */
function checkConfig(v: unknown, opts: ShareCodecOptions): ShareConfig {
  const parsed = shareConfigSchema(opts.validateTrain ?? validateTrainConfig).safeParse(v);
  if (!parsed.success) throw new ShareError('bad-config', formatIssue(parsed.error, 'config'));
  const { vsml, lstm, train, note } = parsed.data;
  const dim = paramCount({ vsml, lstm });
  if (dim > SHARE_LIMITS.maxDim)
    throw new ShareError('bad-config', `the config needs ${dim} meta-parameters, above ${SHARE_LIMITS.maxDim}`);
  const stateBytes = stateBytesOf({ vsml, lstm });
  if (stateBytes > SHARE_LIMITS.maxStateBytes) {
    throw new ShareError(
      'bad-config',
      `the learner would hold ${stateBytes} bytes of state, above ${SHARE_LIMITS.maxStateBytes}`,
    );
  }
  const out: ShareConfig = lstm ? { vsml, lstm } : { vsml };
  if (train !== undefined) out.train = train;
  if (note !== undefined)
    out.note = Object.fromEntries(Object.entries(note).filter(([, x]) => x !== undefined)) as ShareNote;
  return out;
}
