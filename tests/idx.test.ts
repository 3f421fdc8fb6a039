import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeIdx, encodeIdx, parseIdx } from '../src/data/idx';
import { splitFromIdx } from '../src/data/dataset';

function sampleImages(n = 3, rows = 4, cols = 5): { dims: number[]; data: Uint8Array } {
  const data = new Uint8Array(n * rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) & 255;
  return { dims: [n, rows, cols], data };
}

describe('IDX reader', () => {
  it('round-trips raw and gzipped data', async () => {
    const { dims, data } = sampleImages();
    const bytes = encodeIdx(dims, data);
    const raw = await decodeIdx(bytes, 'raw.idx');
    expect(raw.dims).toEqual(dims);
    expect([...raw.data]).toEqual([...data]);
    const gz = await decodeIdx(new Uint8Array(gzipSync(bytes)), 'file.idx.gz');
    expect(gz.dims).toEqual(dims);
    expect([...gz.data]).toEqual([...data]);
  });

  it('rejects a wrong magic number, naming the file', () => {
    const bytes = encodeIdx([2], new Uint8Array([1, 2]));
    bytes[0] = 0x50; // e.g. a PNG or text file
    expect(() => parseIdx(bytes, 'bad-magic.idx')).toThrow(/bad-magic\.idx: wrong magic number 0x50/);
  });

  it('rejects an unsupported data type', () => {
    const bytes = encodeIdx([2], new Uint8Array([1, 2]));
    bytes[2] = 0x0d; // float
    expect(() => parseIdx(bytes, 'f.idx')).toThrow(/f\.idx: data type 0xd is not supported/);
  });

  it('rejects truncated data and truncated headers with the sizes involved', () => {
    const { dims, data } = sampleImages();
    const bytes = encodeIdx(dims, data);
    expect(() => parseIdx(bytes.subarray(0, bytes.length - 7), 'cut.idx')).toThrow(
      /cut\.idx: truncated: header says 3 x 4 x 5 = 60 bytes of data, file has 53/,
    );
    expect(() => parseIdx(bytes.subarray(0, 9), 'hdr.idx')).toThrow(/hdr\.idx: truncated header: 9 bytes, need 16/);
    expect(() => parseIdx(bytes.subarray(0, 2), 'tiny.idx')).toThrow(/too short/);
  });

  it('rejects trailing bytes and a wrong shape', () => {
    const { dims, data } = sampleImages();
    const bytes = encodeIdx(dims, data);
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(() => parseIdx(longer, 'long.idx')).toThrow(/3 unexpected trailing bytes/);
    expect(() => parseIdx(bytes, 'shape.idx', [null, 28, 28])).toThrow(/wrong shape 3 x 4 x 5, expected N x 28 x 28/);
  });

  it('rejects corrupt and truncated gzip streams', async () => {
    const gz = new Uint8Array(gzipSync(encodeIdx(...(Object.values(sampleImages()) as [number[], Uint8Array]))));
    await expect(decodeIdx(gz.subarray(0, gz.length - 10), 'cut.gz')).rejects.toThrow(
      /cut\.gz: corrupt or truncated gzip/,
    );
    const flipped = gz.slice();
    flipped[20] ^= 0xff;
    await expect(decodeIdx(flipped, 'flip.gz')).rejects.toThrow(/flip\.gz/);
  });

  it('checks that labels match images in count and range', async () => {
    const { dims, data } = sampleImages();
    const imgs = encodeIdx(dims, data);
    await expect(splitFromIdx('s', imgs, encodeIdx([2], new Uint8Array([0, 1])), 'i', 'l')).rejects.toThrow(
      /l: 2 labels but i has 3 images/,
    );
    await expect(splitFromIdx('s', imgs, encodeIdx([3], new Uint8Array([0, 10, 1])), 'i', 'l')).rejects.toThrow(
      /label 10 at index 1 is outside 0\.\.9/,
    );
  });
});
