/**
 * An Evaluator for pure objectives of the parameter vector, with the population built on the GPU
 * by the same kernel the VSML evaluator uses. Lets the trainer, checkpoints and resume be
 * exercised (and strategies compared) in seconds, without learners.
 */
import type { GpuContext } from '../gpu/context';
import { GpuPopulation, maxMembersPerBuffer } from '../kernels/noise-population';
import type { Evaluator, GenerationEval } from './evaluator';
import type { PopulationSpec } from '../rng/noise';
import type { Objective } from './objective';

export class ObjectiveEvaluator implements Evaluator {
  constructor(
    private readonly gpu: GpuContext,
    private readonly objective: Objective,
    /** Called before each generation (tests use it to inject failures). */
    private readonly beforeGeneration?: (generation: number) => void,
  ) {}

  async evaluate(spec: PopulationSpec, generation: number): Promise<GenerationEval> {
    this.beforeGeneration?.(generation);
    const t0 = performance.now();
    const P = spec.members.length;
    const chunk = Math.min(P, maxMembersPerBuffer(this.gpu, spec.dim));
    const pop = new GpuPopulation(this.gpu, spec);
    const buf = this.gpu.storage('objective params', chunk * spec.dim * 4);
    const fitness = new Float64Array(P);
    try {
      for (let first = 0; first < P; first += chunk) {
        const count = Math.min(chunk, P - first);
        pop.build(first, count, buf);
        const x = await this.gpu.readF32(buf, 0, count * spec.dim);
        for (let m = 0; m < count; m++)
          fitness[first + m] = this.objective(x.subarray(m * spec.dim, (m + 1) * spec.dim));
      }
    } finally {
      pop.destroy();
      buf.destroy();
    }
    const zeros = new Float64Array(P);
    return {
      fitness,
      metrics: { queryAccuracy: fitness, queryCrossEntropy: zeros, onlineCrossEntropy: zeros, onlineAccuracy: zeros },
      learnerSteps: P,
      timeMs: { tasks: 0, build: performance.now() - t0, episodes: 0 },
    };
  }

  destroy(): void {}
}
