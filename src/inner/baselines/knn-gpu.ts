/**
 * kNN distances and top-k on the GPU (knn-dist.wgsl, knn-topk.wgsl), exact: images stay u8 (packed four per u32 word) and
 * squared distances are integer sums (at most d * 255^2, far below 2^32), so the GPU answer is
 * bit-identical to the CPU one, ties included: order is (distance, stored index).
 *
 * Two passes per chunk of queries: `knn_dist` writes the distance of every (query, stored) pair
 * (one thread per pair; the query is staged in workgroup memory), then `knn_topk` has one
 * workgroup per query scan its row (64 threads, each keeping a private sorted top-k) and merge.
 * The float64 reference is `referenceNearest` in knn.ts; tests/baseline-knn-gpu.test.ts checks parity.
 */
import type { GpuContext } from '../../gpu/context';
import { cachedProgram, type Program } from '../../kernels/program';
import { encodeKernels, prepareKernel } from '../../kernels/runner';
import { fillWgsl } from '../../wgsl/template';
import type { KnnDistanceBackend, KnnIndex } from './knn';
import distTemplate from './knn-dist.wgsl?raw';
import topkTemplate from './knn-topk.wgsl?raw';

const WG = 64;
/** Largest k the top-k kernel is compiled for. */
export const KNN_GPU_MAX_K = 16;
const NONE = 0xffffffff;

const DIST_UNIFORMS = ['n', 'words', 'queries', 'pad'] as const;
const TOPK_UNIFORMS = ['n', 'k', 'pad0', 'pad1'] as const;

/** Distances for images of `words` u32 words (the query is staged in a workgroup array of that size). */
export function knnDistProgram(words: number): Program<(typeof DIST_UNIFORMS)[number]> {
  return cachedProgram(`knn-dist/${words}`, () => ({
    label: 'knn-dist',
    code: fillWgsl(distTemplate, { WG, WG_U: `${WG}u`, WORDS: words }, 'knn-dist'),
    entryPoint: 'main',
    workgroupSize: WG,
    uniforms: DIST_UNIFORMS,
  }));
}

/** Top-k (k compiled in: private arrays of k entries per thread). */
export function knnTopkProgram(k: number): Program<(typeof TOPK_UNIFORMS)[number]> {
  return cachedProgram(`knn-topk/${k}`, () => ({
    label: 'knn-topk',
    code: fillWgsl(
      topkTemplate,
      { WG, WG_U: `${WG}u`, K: `${k}u`, WG_K: WG * k, WG_K_U: `${WG * k}u`, NONE: `${NONE}u` },
      'knn-topk',
    ),
    entryPoint: 'main',
    workgroupSize: WG,
    uniforms: TOPK_UNIFORMS,
  }));
}

/** u8 images (d bytes each) packed into u32 words, ceil(d / 4) per image, zero-padded. */
export function packImages(images: Uint8Array, count: number, d: number): Uint32Array {
  const words = Math.ceil(d / 4);
  const out = new Uint32Array(count * words);
  if (d % 4 === 0) {
    out.set(new Uint32Array(images.slice(0, count * d).buffer));
    return out;
  }
  const bytes = new Uint8Array(out.buffer);
  for (let j = 0; j < count; j++) bytes.set(images.subarray(j * d, (j + 1) * d), j * words * 4);
  return out;
}

export interface GpuKnnOptions {
  /** Fill outputs with this word before each dispatch (tests: catches unwritten entries). */
  poison?: number;
  /** Cap on queries per dispatch (tests use it to exercise chunking). */
  maxQueriesPerChunk?: number;
}

/** A GPU index over n stored images: the store is uploaded once. */
export class GpuKnnIndex implements KnnIndex {
  private readonly storeBuf: GPUBuffer;
  private readonly words: number;
  /** The last chunk's distance rows (tests read them back). */
  lastDistances: Uint32Array | null = null;

  constructor(
    private readonly gpu: GpuContext,
    store: Uint8Array,
    readonly n: number,
    readonly d: number,
    private readonly opts: GpuKnnOptions = {},
    private readonly keepDistances = false,
  ) {
    this.words = Math.ceil(d / 4);
    this.storeBuf = gpu.storage('knn store', n > 0 ? packImages(store, n, d) : new Uint32Array(4));
  }

  async nearest(queries: Uint8Array, count: number, k: number): Promise<Int32Array> {
    if (!(k >= 1 && k <= KNN_GPU_MAX_K)) throw new Error(`GPU kNN supports 1 <= k <= ${KNN_GPU_MAX_K}, got ${k}`);
    const { gpu, n, words } = this;
    const out = new Int32Array(count * k).fill(-1);
    if (n === 0 || count === 0) return out;
    const maxBinding = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize, 1 << 28);
    const perChunk = Math.max(
      1,
      Math.min(
        count,
        Math.floor(maxBinding / (4 * n)),
        gpu.limits.maxComputeWorkgroupsPerDimension,
        this.opts.maxQueriesPerChunk ?? Infinity,
      ),
    );
    const xGroups = Math.ceil(n / WG);
    if (xGroups > gpu.limits.maxComputeWorkgroupsPerDimension)
      throw new Error(`GPU kNN: ${n} stored examples need ${xGroups} workgroups in x, above the device limit`);
    const distProg = knnDistProgram(words);
    const topkProg = knnTopkProgram(k);
    const distBuf = gpu.storage('knn dist', perChunk * n * 4);
    const queryBuf = gpu.storage('knn queries', perChunk * words * 4);
    const outBuf = gpu.storage('knn nearest', perChunk * k * 4);
    const uniforms: GPUBuffer[] = [];
    const uniform = (label: string, data: Uint32Array) => {
      const b = gpu.uniform(label, data);
      uniforms.push(b);
      return b;
    };
    try {
      for (let s = 0; s < count; s += perChunk) {
        const m = Math.min(perChunk, count - s);
        gpu.upload(queryBuf, packImages(queries.subarray(s * this.d, (s + m) * this.d), m, this.d));
        if (this.opts.poison !== undefined) {
          gpu.upload(distBuf, new Uint32Array(m * n).fill(this.opts.poison));
          gpu.upload(outBuf, new Uint32Array(m * k).fill(this.opts.poison));
        }
        const enc = gpu.device.createCommandEncoder({ label: 'knn' });
        // Dispatch shapes: distances on a (stored / WG) x query grid, top-k one workgroup per query.
        const dist = {
          program: distProg,
          grid: [xGroups, m] as [number, number],
          uniforms: { n, words, queries: 0 },
          bindings: [this.storeBuf, queryBuf, distBuf],
        };
        encodeKernels(enc, [prepareKernel(gpu, dist, uniform)], 'knn-dist');
        const topk = {
          program: topkProg,
          grid: [m, 1] as [number, number],
          uniforms: { n, k },
          bindings: [distBuf, outBuf],
        };
        encodeKernels(enc, [prepareKernel(gpu, topk, uniform)], 'knn-topk');
        gpu.device.queue.submit([enc.finish()]);
        out.set(new Int32Array(await gpu.read(outBuf, 0, m * k * 4)), s * k);
        if (this.keepDistances) this.lastDistances = await gpu.readU32(distBuf, 0, m * n);
      }
    } finally {
      for (const b of [distBuf, queryBuf, outBuf, ...uniforms]) b.destroy();
    }
    return out;
  }

  dispose(): void {
    this.storeBuf.destroy();
  }
}

export function gpuKnnBackend(gpu: GpuContext, opts: GpuKnnOptions = {}): KnnDistanceBackend {
  return { name: 'gpu', prepare: (store, n, d) => new GpuKnnIndex(gpu, store, n, d, opts) };
}
