/**
 * ceiling-fma kernel (ceiling-fma.wgsl): a compute-bound microkernel that measures the adapter's
 * fused-multiply-add rate, the ceiling against which `npm run bench:speed` reports the VSML
 * kernels' achieved GFLOP/s.
 *
 * Thread i reads a_i, b_i, x_i (vec4 each) and runs CHAINS independent chains
 *   acc_k <- fma(acc_k, a_i, b_i),   acc_k starting at x_i + k / CHAINS,
 * for `iters` iterations, then stores sum_k acc_k. The chains are independent (instruction-level
 * parallelism), their inputs come from buffers and the trip count from a uniform, so a compiler can
 * neither fold nor drop them. `fmaCeilingReference` is the same computation in float64.
 */
import type { GpuContext } from '../gpu/context';
import template from './ceiling-fma.wgsl?raw';
import { CeilingProbe } from './ceiling-probe';
import { cachedProgram, type Program } from './program';
import { fillWgsl } from '../wgsl/template';

const WG = 64;
/** Independent vec4 chains per thread. */
export const FMA_CHAINS = 8;
const UNIFORMS = ['threads', 'iters', 'rowStride'] as const;

/** WGSL float literal for k / CHAINS (exact in binary for CHAINS a power of two). */
const offset = (k: number) => (k / FMA_CHAINS).toFixed(6);

export function fmaCeilingProgram(): Program<(typeof UNIFORMS)[number]> {
  return cachedProgram('ceiling-fma', () => {
    const ks = Array.from({ length: FMA_CHAINS }, (_, k) => k);
    return {
      label: 'ceiling-fma',
      code: fillWgsl(
        template,
        {
          WG,
          DECLARE: ks.map((k) => `  var acc${k} = x0 + vec4<f32>(${offset(k)});`).join('\n'),
          BODY: ks.map((k) => `    acc${k} = fma(acc${k}, a, b);`).join('\n'),
          SUM: ks.map((k) => `acc${k}`).join(' + '),
        },
        'ceiling-fma',
      ),
      entryPoint: 'main',
      workgroupSize: WG,
      uniforms: UNIFORMS,
    };
  });
}

/** FLOPs of one dispatch (an FMA counts 2). */
export const fmaCeilingFlops = (threads: number, iters: number): number => threads * iters * FMA_CHAINS * 4 * 2;

/** Inputs of `threads` threads: [a, b, x0] per thread, 12 floats. */
export interface FmaCeilingInputs {
  threads: number;
  data: Float32Array;
}

/** float64 reference: the 4 lanes of thread i's output, for every thread. */
export function fmaCeilingReference(inputs: FmaCeilingInputs, iters: number): Float64Array {
  const out = new Float64Array(inputs.threads * 4);
  const d = inputs.data;
  for (let i = 0; i < inputs.threads; i++) {
    for (let lane = 0; lane < 4; lane++) {
      const a = d[12 * i + lane];
      const b = d[12 * i + 4 + lane];
      const x0 = d[12 * i + 8 + lane];
      let sum = 0;
      for (let k = 0; k < FMA_CHAINS; k++) {
        let acc = x0 + Number(offset(k));
        for (let t = 0; t < iters; t++) acc = acc * a + b;
        sum += acc;
      }
      out[4 * i + lane] = sum;
    }
  }
  return out;
}

/** A prepared FMA-ceiling dispatch: encode it any number of times, read its output once. */
export class FmaCeiling extends CeilingProbe<(typeof UNIFORMS)[number]> {
  readonly flops: number;

  constructor(
    gpu: GpuContext,
    readonly inputs: FmaCeilingInputs,
    readonly iters: number,
    /** Initial output words (tests: a poison pattern, so unwritten elements show). */
    initialOutput?: Uint32Array,
  ) {
    const inBuf = gpu.storage('ceiling-fma in', inputs.data);
    const outBuf = initialOutput
      ? gpu.storage('ceiling-fma out', initialOutput)
      : gpu.storage('ceiling-fma out', inputs.threads * 16);
    super(
      gpu,
      fmaCeilingProgram(),
      inputs.threads,
      { threads: inputs.threads, iters },
      inBuf,
      outBuf,
      inputs.threads * 4,
    );
    this.flops = fmaCeilingFlops(inputs.threads, iters);
  }
}

/**
 * Inputs that keep every chain bounded and away from zero: a in [0.5, 0.9) (a contraction, so
 * rounding errors do not grow), b in [0.25, 1), x0 in [0, 1). `rand` returns uniforms in [0, 1).
 */
export function fmaCeilingInputs(threads: number, rand: () => number): FmaCeilingInputs {
  const data = new Float32Array(threads * 12);
  for (let i = 0; i < threads; i++) {
    for (let lane = 0; lane < 4; lane++) {
      data[12 * i + lane] = 0.5 + 0.4 * rand();
      data[12 * i + 4 + lane] = 0.25 + 0.75 * rand();
      data[12 * i + 8 + lane] = rand();
    }
  }
  return { threads, data };
}
