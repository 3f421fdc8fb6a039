/**
 * deflate-raw through the platform's CompressionStream / DecompressionStream (browsers, workers,
 * Node >= 21.2 / 20.x). Decompression is bounded: it stops and fails as soon as the output would
 * pass `maxBytes`, so a tiny hostile input cannot expand into gigabytes (a decompression bomb).
 */

export async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

export class InflateError extends Error {
  override name = 'InflateError';
  constructor(
    readonly reason: 'corrupt' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

/** Inflate `bytes`, failing with reason 'too-large' once more than `maxBytes` come out. */
export async function inflateRawBounded(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const ds = new DecompressionStream('deflate-raw');
  const writer = ds.writable.getWriter();
  // Errors surface on the reader; these promises are observed only so none goes unhandled.
  writer.write(bytes as Uint8Array<ArrayBuffer>).catch(() => undefined);
  writer.close().catch(() => undefined);
  const reader = ds.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        throw new InflateError('corrupt', `compressed data is corrupt (${(e as Error).message ?? e})`);
      }
      if (r.done) break;
      total += r.value.length;
      if (total > maxBytes) throw new InflateError('too-large', `decompressed data exceeds ${maxBytes} bytes`);
      chunks.push(r.value);
    }
  } catch (e) {
    reader.cancel().catch(() => undefined);
    throw e;
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
