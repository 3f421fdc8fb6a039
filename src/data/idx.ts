/**
 * IDX file format (LeCun's MNIST format): magic 0x0000 <type> <ndims>, then ndims big-endian u32
 * dimensions, then the data. We accept unsigned-byte data (type 0x08), raw or gzipped, and check
 * everything: magic, type, dimension count, exact length. Errors name the file and the problem.
 */

export class IdxFormatError extends Error {
  override name = 'IdxFormatError';
  constructor(
    readonly source: string,
    problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b];

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/** Gunzip with the platform's DecompressionStream (browser and Node >= 18). */
export async function gunzip(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new IdxFormatError(source, `corrupt or truncated gzip data (${(e as Error).message})`);
  }
}

/**
 * Parse IDX bytes (already decompressed). `expectedDims` (null entries = any) lets callers insist on
 * a shape, e.g. [null, 28, 28] for images.
 */
export function parseIdx(bytes: Uint8Array, source: string, expectedDims?: (number | null)[]): IdxArray {
  if (bytes.length < 4) throw new IdxFormatError(source, `file is ${bytes.length} bytes, too short for an IDX header`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(
      source,
      `wrong magic number 0x${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('')} ` +
        '(IDX files start with 0x0000, a type byte and a dimension count)',
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    throw new IdxFormatError(source, `data type 0x${type.toString(16)} is not supported (only unsigned bytes, 0x08)`);
  }
  const ndims = bytes[3];
  if (ndims < 1 || ndims > 4) throw new IdxFormatError(source, `dimension count ${ndims} is outside 1..4`);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new IdxFormatError(
      source,
      `truncated header: ${bytes.length} bytes, need ${headerLen} for ${ndims} dimensions`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (dims.some((d) => d === 0)) throw new IdxFormatError(source, `a dimension is zero (${dims.join(' x ')})`);
  const expectedLen = headerLen + count;
  if (bytes.length < expectedLen) {
    throw new IdxFormatError(
      source,
      `truncated: header says ${dims.join(' x ')} = ${count} bytes of data, file has ${bytes.length - headerLen}`,
    );
  }
  if (bytes.length > expectedLen) {
    throw new IdxFormatError(
      source,
      `${bytes.length - expectedLen} unexpected trailing bytes after ${dims.join(' x ')} data`,
    );
  }
  if (expectedDims) {
    const ok = expectedDims.length === dims.length && expectedDims.every((d, i) => d === null || d === dims[i]);
    if (!ok) {
      throw new IdxFormatError(
        source,
        `wrong shape ${dims.join(' x ')}, expected ${expectedDims.map((d) => (d === null ? 'N' : d)).join(' x ')}`,
      );
    }
  }
  return { dims, data: bytes.subarray(headerLen, expectedLen) };
}

/** Parse raw or gzipped IDX bytes. */
export async function decodeIdx(
  bytes: Uint8Array,
  source: string,
  expectedDims?: (number | null)[],
): Promise<IdxArray> {
  const raw = isGzip(bytes) ? await gunzip(bytes, source) : bytes;
  return parseIdx(raw, source, expectedDims);
}

/** Encode an IDX u8 array (used by tests and to write small fixture sets). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
