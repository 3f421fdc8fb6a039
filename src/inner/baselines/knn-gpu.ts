/**
 * kNN distances and top-k on the GPU (WGSL), exact: images stay u8 (packed four per u32 word) and
 * squared distances are integer sums (at most d * 255^2, far below 2^32), so the GPU answer is
 * bit-identical to the CPU one, ties included: order is (distance, stored index).
 *
 * Two passes per chunk of queries: `knn_dist` writes the distance of every (query, stored) pair
 * (one thread per pair; the query is staged in workgroup memory), then `knn_topk` has one
 * workgroup per query scan its row (64 threads, each keeping a private sorted top-k) and merge.
 * The float64 reference is `referenceNearest` in knn.ts; tests/baseline-knn-gpu.test.ts checks parity.
 */
import type { GpuContext } from '../../gpu/context';
import type { KnnDistanceBackend, KnnIndex } from './knn';

const WG = 64;
/** Largest k the top-k kernel is compiled for. */
export const KNN_GPU_MAX_K = 16;
const NONE = 0xffffffff;

function distSource(words: number): string {
  return /* wgsl */ `
struct Params { n: u32, words: u32, queries: u32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> store: array<u32>;
@group(0) @binding(2) var<storage, read> query: array<u32>;
@group(0) @binding(3) var<storage, read_write> dist: array<u32>;
var<workgroup> qw: array<u32, ${words}>;

fn sq_diff4(a: u32, b: u32) -> u32 {
  var s = 0u;
  for (var sh = 0u; sh < 32u; sh += 8u) {
    let x = i32((a >> sh) & 255u) - i32((b >> sh) & 255u);
    s += u32(x * x);
  }
  return s;
}

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = wid.y;
  for (var w = lid; w < P.words; w += ${WG}u) { qw[w] = query[q * P.words + w]; }
  workgroupBarrier();
  let j = wid.x * ${WG}u + lid;
  if (j >= P.n) { return; }
  var s = 0u;
  let base = j * P.words;
  for (var w = 0u; w < P.words; w++) { s += sq_diff4(store[base + w], qw[w]); }
  dist[q * P.n + j] = s;
}`;
}

function topkSource(k: number): string {
  return /* wgsl */ `
struct Params { n: u32, k: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> dist: array<u32>;
@group(0) @binding(2) var<storage, read_write> nearest: array<i32>;
const K = ${k}u;
var<workgroup> sd: array<u32, ${WG * k}>;
var<workgroup> si: array<u32, ${WG * k}>;

// (d, i) before (e, j) in the benchmark's order: distance, then stored index.
fn before(d: u32, i: u32, e: u32, j: u32) -> bool { return d < e || (d == e && i < j); }

@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let q = wid.x;
  var bd: array<u32, K>;
  var bi: array<u32, K>;
  for (var t = 0u; t < K; t++) { bd[t] = ${NONE}u; bi[t] = ${NONE}u; }
  // Each thread sees its indices in increasing order, so strict < keeps earlier ones first.
  for (var j = lid; j < P.n; j += ${WG}u) {
    let v = dist[q * P.n + j];
    if (v < bd[K - 1u]) {
      var p = K - 1u;
      while (p > 0u && v < bd[p - 1u]) { bd[p] = bd[p - 1u]; bi[p] = bi[p - 1u]; p--; }
      bd[p] = v; bi[p] = j;
    }
  }
  for (var t = 0u; t < K; t++) { sd[lid * K + t] = bd[t]; si[lid * K + t] = bi[t]; }
  workgroupBarrier();
  if (lid != 0u) { return; }
  for (var t = 0u; t < P.k; t++) {
    var best = 0u;
    for (var c = 1u; c < ${WG * k}u; c++) {
      if (before(sd[c], si[c], sd[best], si[best])) { best = c; }
    }
    let idx = si[best];
    nearest[q * P.k + t] = select(i32(idx), -1, idx == ${NONE}u);
    sd[best] = ${NONE}u; si[best] = ${NONE}u;
  }
}`;
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
    const perChunk = Math.max(1, Math.min(count, Math.floor(maxBinding / (4 * n)), gpu.limits.maxComputeWorkgroupsPerDimension, this.opts.maxQueriesPerChunk ?? Infinity));
    const xGroups = Math.ceil(n / WG);
    if (xGroups > gpu.limits.maxComputeWorkgroupsPerDimension) throw new Error(`GPU kNN: ${n} stored examples need ${xGroups} workgroups in x, above the device limit`);
    const distPipe = gpu.pipeline({ code: distSource(words), label: 'knn-dist' });
    const topkPipe = gpu.pipeline({ code: topkSource(k), label: 'knn-topk' });
    const distBuf = gpu.storage('knn dist', perChunk * n * 4);
    const queryBuf = gpu.storage('knn queries', perChunk * words * 4);
    const outBuf = gpu.storage('knn nearest', perChunk * k * 4);
    const distParams = gpu.uniform('knn dist params', new Uint32Array([n, words, 0, 0]));
    const topkParams = gpu.uniform('knn topk params', new Uint32Array([n, k, 0, 0]));
    try {
      for (let s = 0; s < count; s += perChunk) {
        const m = Math.min(perChunk, count - s);
        gpu.upload(queryBuf, packImages(queries.subarray(s * this.d, (s + m) * this.d), m, this.d));
        if (this.opts.poison !== undefined) {
          gpu.upload(distBuf, new Uint32Array(m * n).fill(this.opts.poison));
          gpu.upload(outBuf, new Uint32Array(m * k).fill(this.opts.poison));
        }
        const enc = gpu.device.createCommandEncoder({ label: 'knn' });
        const p1 = enc.beginComputePass({ label: 'knn-dist' });
        p1.setPipeline(distPipe);
        p1.setBindGroup(0, gpu.bindGroup(distPipe, [distParams, this.storeBuf, queryBuf, distBuf]));
        p1.dispatchWorkgroups(xGroups, m);
        p1.end();
        const p2 = enc.beginComputePass({ label: 'knn-topk' });
        p2.setPipeline(topkPipe);
        p2.setBindGroup(0, gpu.bindGroup(topkPipe, [topkParams, distBuf, outBuf]));
        p2.dispatchWorkgroups(m);
        p2.end();
        gpu.device.queue.submit([enc.finish()]);
        out.set(new Int32Array(await gpu.read(outBuf, 0, m * k * 4)), s * k);
        if (this.keepDistances) this.lastDistances = await gpu.readU32(distBuf, 0, m * n);
      }
    } finally {
      for (const b of [distBuf, queryBuf, outBuf, distParams, topkParams]) b.destroy();
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
