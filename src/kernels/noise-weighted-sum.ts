/**
 * noise-weighted-sum: g_i = sum_t coef_t * eps_t,i (and sum_t coefSq_t * eps_t,i^2) over many
 * Philox noise streams, the ES gradient estimate without ever storing the noise.
 *
 * Invocation (chunk, block) accumulates TERMS_PER_CHUNK terms for 4 consecutive elements in f32;
 * the host adds the per-chunk partial sums in float64. Chunking bounds the f32 rounding error
 * (see tests/es-gpu.test.ts for the bound) and gives dim/4 x chunks parallel work.
 */
import type { GpuContext } from '../gpu/context';
import type { NoiseBackend, NoiseTerm, WeightedNoiseSums } from '../rng/noise';
import template from './noise-weighted-sum.wgsl?raw';
import { PHILOX_WGSL } from '../rng/philox';
import { cachedProgram, type Program } from './program';
import { runKernels } from './runner';
import { fillWgsl } from '../wgsl/template';

const WG = 64;
export const TERMS_PER_CHUNK = 32;

const UNIFORMS = ['blocks', 'terms', 'chunks', 'squares', 'rowStride', 'termsPerChunk', 'p0', 'p1'] as const;

export function weightedSumProgram(): Program<(typeof UNIFORMS)[number]> {
  return cachedProgram('noise-weighted-sum', () => ({
    label: 'noise-weighted-sum',
    code: fillWgsl(template, { PHILOX: PHILOX_WGSL, WG }, 'noise-weighted-sum'),
    entryPoint: 'main',
    workgroupSize: WG,
    uniforms: UNIFORMS,
  }));
}

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
  const program = weightedSumProgram();
  const maxBinding = Math.min(gpu.limits.maxStorageBufferBindingSize, gpu.limits.maxBufferSize);
  const outBytesPerChunk = blocks * 16 * (squares ? 2 : 1);
  const chunksPerBatch = Math.max(
    1,
    Math.min(Math.floor(maxBinding / outBytesPerChunk), Math.floor(maxBinding / (32 * tpc))),
  );
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
    const outBuf = opts.poisonOutputs
      ? gpu.storage('noise sums', new Float32Array(outLen / 4).fill(NaN))
      : gpu.storage('noise sums', outLen);
    const uniforms = { blocks, terms: batch.length, chunks, squares: squares ? 1 : 0, termsPerChunk: tpc };
    runKernels(
      gpu,
      [{ program, threads: chunks * blocks, uniforms, bindings: [termBuf, outBuf] }],
      'noise-weighted-sum',
    );
    const partial = await gpu.readF32(outBuf, 0, outLen / 4);
    termBuf.destroy();
    outBuf.destroy();
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
