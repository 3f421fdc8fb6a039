/**
 * noise-weighted-sum: g_i = sum_t coef_t * eps_t,i (and sum_t coefSq_t * eps_t,i^2) over many
 * Philox noise streams, the ES gradient estimate without ever storing the noise.
 *
 * Invocation (chunk, block) accumulates TERMS_PER_CHUNK terms for 4 consecutive elements in f32;
 * the host adds the per-chunk partial sums in float64. Chunking bounds the f32 rounding error
 * (see tests/es-gpu.test.ts for the bound) and gives dim/4 x chunks parallel work.
 */
import type { GpuContext } from '../gpu/context';
import type { NoiseBackend, NoiseTerm, WeightedNoiseSums } from '../meta/noise';
import { PHILOX_WGSL } from './philox';

const WG = 64;
export const TERMS_PER_CHUNK = 32;

const SOURCE = /* wgsl */ `${PHILOX_WGSL}
struct Params { blocks: u32, terms: u32, chunks: u32, squares: u32, rowStride: u32, termsPerChunk: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
// Two vec4 per term: (k0, k1, a, b), (c, coef bits, coefSq bits, unused).
@group(0) @binding(1) var<storage, read> terms: array<vec4<u32>>;
// [chunk][block] partial sums, then (if squares) the same for the squared terms.
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let idx = gid.x + gid.y * P.rowStride;
  let chunk = idx / P.blocks;
  if (chunk >= P.chunks) { return; }
  let blk = idx % P.blocks;
  let t0 = chunk * P.termsPerChunk;
  let t1 = min(P.terms, t0 + P.termsPerChunk);
  var acc = vec4<f32>(0.0);
  var accSq = vec4<f32>(0.0);
  for (var t = t0; t < t1; t++) {
    let r0 = terms[2u * t];
    let r1 = terms[2u * t + 1u];
    let z = rng_normal4(vec2<u32>(r0.x, r0.y), vec4<u32>(blk, r0.z, r0.w, r1.x));
    acc = acc + bitcast<f32>(r1.y) * z;
    if (P.squares != 0u) { accSq = accSq + bitcast<f32>(r1.z) * (z * z); }
  }
  out[chunk * P.blocks + blk] = acc;
  if (P.squares != 0u) { out[(P.chunks + chunk) * P.blocks + blk] = accSq; }
}`;

export interface WeightedSumOptions {
  /** Fill the output with NaN before the dispatch (tests: an unwritten partial shows up as NaN). */
  poisonOutputs?: boolean;
  termsPerChunk?: number;
}

/** Weighted sums of noise streams on the GPU; batches respect the device's binding limits. */
export async function weightedNoiseSumsGpu(
  gpu: GpuContext,
  dim: number,
  terms: NoiseTerm[],
  squares: boolean,
  opts: WeightedSumOptions = {},
): Promise<WeightedNoiseSums> {
  const sum = new Float64Array(dim);
  const sumSq = squares ? new Float64Array(dim) : undefined;
  const tpc = opts.termsPerChunk ?? TERMS_PER_CHUNK;
  const blocks = Math.ceil(dim / 4);
  const pipeline = gpu.pipeline({ code: SOURCE, label: 'noise-weighted-sum' });
  const maxBinding = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const outBytesPerChunk = blocks * 16 * (squares ? 2 : 1);
  const chunksPerBatch = Math.max(1, Math.min(Math.floor(maxBinding / outBytesPerChunk), Math.floor(maxBinding / (32 * tpc))));
  if (outBytesPerChunk > maxBinding) throw new Error(`dim ${dim} too large for one storage binding`);
  const termsPerBatch = chunksPerBatch * tpc;
  for (let first = 0; first < terms.length; first += termsPerBatch) {
    const batch = terms.slice(first, first + termsPerBatch);
    const chunks = Math.ceil(batch.length / tpc);
    const words = new Uint32Array(batch.length * 8);
    const f = new Float32Array(words.buffer);
    batch.forEach((t, i) => {
      words.set([t.k0 >>> 0, t.k1 >>> 0, t.a >>> 0, t.b >>> 0, t.c >>> 0], i * 8);
      f[i * 8 + 5] = t.coef;
      f[i * 8 + 6] = t.coefSq ?? 0;
    });
    const termBuf = gpu.storage('noise terms', words);
    const outLen = chunks * outBytesPerChunk;
    const outBuf = opts.poisonOutputs ? gpu.storage('noise sums', new Float32Array(outLen / 4).fill(NaN)) : gpu.storage('noise sums', outLen);
    const [gx, gy] = gpu.grid(Math.ceil((chunks * blocks) / WG));
    const params = gpu.uniform('noise-sum params', new Uint32Array([blocks, batch.length, chunks, squares ? 1 : 0, gx * WG, tpc, 0, 0]));
    const enc = gpu.device.createCommandEncoder({ label: 'noise-weighted-sum' });
    const pass = enc.beginComputePass({ label: 'noise-weighted-sum' });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, gpu.bindGroup(pipeline, [params, termBuf, outBuf]));
    pass.dispatchWorkgroups(gx, gy);
    pass.end();
    gpu.device.queue.submit([enc.finish()]);
    const partial = await gpu.readF32(outBuf, 0, outLen / 4);
    termBuf.destroy();
    outBuf.destroy();
    params.destroy();
    const stride = blocks * 4;
    for (let ch = 0; ch < chunks; ch++) {
      for (let i = 0; i < dim; i++) sum[i] += partial[ch * stride + i];
      if (sumSq) for (let i = 0; i < dim; i++) sumSq[i] += partial[(chunks + ch) * stride + i];
    }
  }
  return { sum, sumSq };
}

export function gpuNoiseBackend(gpu: GpuContext, opts: WeightedSumOptions = {}): NoiseBackend {
  return { weightedSums: (dim, terms, squares) => weightedNoiseSumsGpu(gpu, dim, terms, squares, opts) };
}
