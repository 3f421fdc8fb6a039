/** GpuImageSplit: packed upload, pieces within the binding limit, exact readback. */
import { describe, expect, it } from 'vitest';
import type { ImageSplit } from '../src/data/dataset';
import { maxBindingBytes, uploadImageSplit } from '../src/data/gpu-dataset';
import { GpuLimitError } from '../src/gpu/errors';
import { PhiloxStream } from '../src/rng/philox';
import { useGpu } from './helpers/gpu';
import { testSeed } from './helpers/seed';

const gpu = useGpu({ limits: { maxStorageBufferBindingSize: 4096 } });

const seed = testSeed(0x5eed000b); // fixed (VSML_TEST_SEED overrides); printed in the describe name
const rng = new PhiloxStream(seed, 0);

function randomSplit(count: number, rows: number, cols: number): ImageSplit {
  const images = Uint8Array.from({ length: count * rows * cols }, () => rng.int(256));
  const labels = Uint8Array.from({ length: count }, () => rng.int(10));
  return { name: 'random', count, rows, cols, images, labels, numClasses: 10 };
}

async function readBack(split: ImageSplit, maxPieceBytes?: number) {
  const g = gpu();
  const gs = uploadImageSplit(g, split, { maxPieceBytes });
  const px = split.rows * split.cols;
  const images = new Uint8Array(split.count * px);
  const labels = new Uint8Array(split.count);
  let next = 0;
  for (const p of gs.pieces) {
    expect(p.first).toBe(next);
    expect(p.images.size).toBeLessThanOrEqual(Math.max(16, maxBindingBytes(g)));
    const words = new Uint8Array(await g.read(p.images, 0, p.count * gs.wordsPerImage * 4));
    for (let i = 0; i < p.count; i++)
      images.set(words.subarray(i * gs.wordsPerImage * 4, i * gs.wordsPerImage * 4 + px), (p.first + i) * px);
    const l = await g.readU32(p.labels, 0, p.count);
    for (let i = 0; i < p.count; i++) labels[p.first + i] = l[i];
    next += p.count;
  }
  gs.destroy();
  return { images, labels, pieces: gs.pieces.length, wordsPerImage: gs.wordsPerImage, total: next };
}

describe(`uploadImageSplit (seed ${seed})`, () => {
  it('splits into pieces within the (lowered) binding limit and reads back every byte', async () => {
    const s = randomSplit(50, 28, 28);
    const r = await readBack(s);
    expect(r.pieces).toBe(Math.ceil(50 / Math.floor(4096 / 784)));
    expect(r.total).toBe(50);
    expect(r.images).toEqual(s.images);
    expect(r.labels).toEqual(s.labels);
  });

  it('pads images whose size is not a multiple of 4 bytes, and honours maxPieceBytes', async () => {
    const s = randomSplit(23, 7, 7);
    const r = await readBack(s, 10 * 52 + 51); // 10 whole images per piece
    expect(r.wordsPerImage).toBe(13);
    expect(r.pieces).toBe(3);
    expect(r.images).toEqual(s.images);
    expect(r.labels).toEqual(s.labels);
  });

  it("lists every image's nonzero words (count, then two 16-bit indices per u32), in every piece", async () => {
    // 7 x 7 images (13 words, the last holding one pixel), about 60% of the words zero.
    const s = randomSplit(23, 7, 7);
    for (let i = 0; i < s.images.length; i++)
      if (rng.int(10) < 6)
        s.images[i - (i % 4)] = s.images[i - (i % 4) + 1] = s.images[i - (i % 4) + 2] = s.images[i - (i % 4) + 3] = 0;
    const g = gpu();
    const gs = uploadImageSplit(g, s, { maxPieceBytes: 10 * 52 + 51 });
    const px = 49;
    const W = 13;
    const want = Array.from({ length: s.count }, (_, i) =>
      Array.from({ length: W }, (_, w) => w).filter((w) =>
        [0, 1, 2, 3].some((k) => 4 * w + k < px && s.images[i * px + 4 * w + k] !== 0),
      ),
    );
    const most = Math.max(...want.map((l) => l.length));
    expect(gs.nonzeroStride).toBe(2 + (most >> 1));
    expect(gs.nonzeroFraction).toBeCloseTo(want.reduce((a, l) => a + l.length, 0) / (s.count * W), 12);
    expect(gs.pieces.length).toBe(3);
    for (const p of gs.pieces) {
      const words = await g.readU32(p.nonzero, 0, p.count * gs.nonzeroStride);
      for (let i = 0; i < p.count; i++) {
        const row = words.subarray(i * gs.nonzeroStride, (i + 1) * gs.nonzeroStride);
        const got = Array.from({ length: row[0] }, (_, k) => (row[1 + (k >> 1)] >>> (16 * (k & 1))) & 0xffff);
        expect(got, `image ${p.first + i} (seed ${seed})`).toEqual(want[p.first + i]);
        // Unused halves and slots are 0 (the kernel reads the pair after an odd count's last one).
        for (let k = row[0]; k < 2 * (gs.nonzeroStride - 1); k++)
          expect((row[1 + (k >> 1)] >>> (16 * (k & 1))) & 0xffff).toBe(0);
      }
    }
    gs.destroy();
  });

  it('refuses an image larger than a binding', () => {
    expect(() => uploadImageSplit(gpu(), randomSplit(1, 100, 100))).toThrow(GpuLimitError);
  });
});
