/**
 * What both ceiling microkernels (ceiling-fma, ceiling-copy) are at run time: one prepared
 * dispatch over an input and an output buffer, encoded any number of times into one pass, its
 * output read once.
 */
import type { GpuContext } from '../gpu/context';
import { type Dispatch, encodeDispatch, type Program } from './program';
import { prepareKernel } from './runner';

export class CeilingProbe<U extends string> {
  private readonly params: GPUBuffer;
  private readonly dispatch: Dispatch;

  constructor(
    protected readonly gpu: GpuContext,
    program: Program<U>,
    threads: number,
    uniforms: Partial<Record<U, number>>,
    private readonly input: GPUBuffer,
    readonly output: GPUBuffer,
    /** f32 values the output holds. */
    private readonly outputFloats: number,
  ) {
    let params: GPUBuffer | undefined;
    this.dispatch = prepareKernel(
      gpu,
      { program, threads, uniforms, bindings: [input, output] },
      (l, d) => (params = gpu.uniform(l, d)),
    );
    this.params = params!;
  }

  encode(pass: GPUComputePassEncoder): void {
    encodeDispatch(pass, this.dispatch);
  }

  /** Submit `repeats` dispatches in one pass. */
  submit(repeats = 1): void {
    const enc = this.gpu.device.createCommandEncoder({ label: this.dispatch[0].label });
    const pass = enc.beginComputePass({ label: this.dispatch[0].label });
    for (let r = 0; r < repeats; r++) this.encode(pass);
    pass.end();
    this.gpu.device.queue.submit([enc.finish()]);
  }

  async read(): Promise<Float32Array> {
    return this.gpu.readF32(this.output, 0, this.outputFloats);
  }

  destroy(): void {
    this.input.destroy();
    this.output.destroy();
    this.params.destroy();
  }
}
