/**
 * The peer of `npm run bench:speed`: the same VSML learner step written with TensorFlow.js ops on
 * its WebGPU backend, running on the *same* GPUDevice as our kernels (one adapter, one queue), so
 * the ratio ours / TensorFlow.js compares the two implementations and nothing else.
 *
 * Semantics are src/inner/reference.ts's (the float64 reference our kernels are tested against),
 * with the two exact rewrites the cost model counts (src/spec/cost-model.ts): the gate
 * pre-activation W z is split into W_f fwd_a + W_b bwd_b (once per step, shared by every tick)
 * + W_h h (per cell and tick), and the heads run once per unit on the mean of h. Learner
 * l = member * T + task reads member's parameters; state tensors are [P, T*A*B, H], i.e. the
 * logical [L][A][B][H] layout of VsmlPopulation.readState. Label maps are the identity and every
 * learner uses config.projectionSeed (what VsmlPopulation does when a batch gives no seeds).
 *
 * TensorFlow.js on Node: `@tensorflow/tfjs-backend-webgpu` needs `navigator.gpu` to exist (it
 * checks it in the backend's constructor); Node 20 has no `navigator`, so `useTfjsWebgpu` puts a
 * minimal shim there and registers a 'webgpu' backend built on our GpuContext's device instead of
 * letting TensorFlow.js request its own adapter.
 */
import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { GpuContext } from '../../gpu/context';
import { VsmlReference } from '../../inner/reference';
import {
  FORGET_GATE_OFFSET,
  INPUT_GATE_OFFSET,
  type VsmlConfig,
  metaParamLayout,
  numClasses,
} from '../../spec/vsml-config';

export { tf };

let boundTo: GpuContext | null = null;

/**
 * Make TensorFlow.js's current backend a WebGPU backend on `gpu`'s device (idempotent for the same
 * context; a new context replaces the previous backend). Returns the tf namespace.
 */
export async function useTfjsWebgpu(gpu: GpuContext): Promise<typeof tf> {
  if (boundTo === gpu && tf.getBackend() === 'webgpu') return tf;
  const g = globalThis as { navigator?: { gpu?: unknown } };
  const shim = {
    requestAdapter: () =>
      Promise.reject(new Error('TensorFlow.js here runs on the bench GpuContext device (useTfjsWebgpu)')),
  };
  if (!g.navigator)
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: 'node', gpu: shim },
      configurable: true,
      writable: true,
    });
  else if (!g.navigator.gpu) Object.defineProperty(g.navigator, 'gpu', { value: shim, configurable: true });
  if (tf.findBackend('webgpu') || tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(gpu.device, gpu.adapter.info as never), 100);
  if (!(await tf.setBackend('webgpu')))
    throw new Error('TensorFlow.js could not initialise its WebGPU backend on the shared device');
  boundTo = gpu;
  return tf;
}

/** Release the backend's buffers (the device stays ours). */
export function releaseTfjsWebgpu(): void {
  if (tf.findBackend('webgpu')) tf.removeBackend('webgpu');
  boundTo = null;
}

export interface TfVsmlData {
  /** count x pixels raw pixel values (0..255). */
  images: Uint8Array;
  labels: ArrayLike<number>;
  pixels: number;
}

interface LayerParams {
  /** [P, M, R]: W_f^T (columns of the forward message). */
  wf: tf.Tensor3D;
  /** [P, M, R]: W_b^T. */
  wb: tf.Tensor3D;
  /** [P, H, R]: W_h^T. */
  wh: tf.Tensor3D;
  /** [P, r, 4H]: U^T (low-rank cell only). */
  u: tf.Tensor3D | null;
  /** [P, 1, 4H] bias. */
  bias: tf.Tensor3D;
  /** [P, H, M], [P, 1, M]: heads. */
  hf: tf.Tensor3D;
  hfb: tf.Tensor3D;
  hb: tf.Tensor3D;
  hbb: tf.Tensor3D;
}

export interface TfVsmlMetrics {
  onlineCorrect: Float32Array;
  onlineCrossEntropy: Float32Array;
  queryCorrect: Float32Array;
  queryCrossEntropy: Float32Array;
}

/** P members x T tasks of VSML learners stepped with TensorFlow.js ops. */
export class TfVsmlPopulation {
  readonly learners: number;
  private readonly params: LayerParams;
  private readonly images: tf.Tensor2D;
  private readonly labels: tf.Tensor1D;
  private readonly projection: tf.Tensor2D | null;
  private h: tf.Tensor3D[] = [];
  private c: tf.Tensor3D[] = [];
  /** Incoming backward message per layer, [P, T*B, M] (last layer: the feedback). */
  private bwd: tf.Tensor3D[] = [];
  private metrics: { oc: tf.Tensor1D; oce: tf.Tensor1D; qc: tf.Tensor1D; qce: tf.Tensor1D };

  constructor(
    readonly config: VsmlConfig,
    readonly members: number,
    readonly tasksPerMember: number,
    /** members x D meta-parameters. */
    metaParams: Float32Array,
    data: TfVsmlData,
    /** L initial-state seeds. */
    stateSeeds: ArrayLike<number>,
  ) {
    const P = members;
    const T = tasksPerMember;
    const L = (this.learners = P * T);
    const { hidden: H, message: M } = config;
    const layout = metaParamLayout(config);
    const D = layout.size;
    if (metaParams.length !== P * D)
      throw new Error(`TfVsmlPopulation: ${metaParams.length} meta-parameters, expected ${P} x ${D}`);
    if (data.pixels !== config.inputSize)
      throw new Error(
        `TfVsmlPopulation: data has ${data.pixels} pixels, the config's inputSize is ${config.inputSize}`,
      );
    if (stateSeeds.length !== L) throw new Error(`TfVsmlPopulation: ${stateSeeds.length} state seeds, expected ${L}`);
    const rank = config.cell.kind === 'lstm-lowrank' ? config.cell.rank : 0;
    const R = rank || 4 * H;
    // (tidy keeps the returned tensors; its type does not admit the null of a full cell's u.)
    this.params = tf.tidy((): tf.TensorContainer => {
      const all = tf.tensor2d(metaParams, [P, D]);
      const seg = (name: Parameters<typeof layout.get>[0]) => {
        const s = layout.get(name);
        return tf.reshape(tf.slice(all, [0, s.offset], [P, s.size]), [P, s.rows, s.cols]) as tf.Tensor3D;
      };
      const gate = seg(rank ? 'lstm.V' : 'lstm.W'); // [P, R, Z]
      const cols = (from: number, n: number) =>
        tf.transpose(tf.slice(gate, [0, 0, from], [P, R, n]), [0, 2, 1]) as tf.Tensor3D;
      const p: LayerParams = {
        wf: cols(0, M),
        wb: cols(M, M),
        wh: cols(2 * M, H),
        u: rank ? (tf.transpose(seg('lstm.U'), [0, 2, 1]) as tf.Tensor3D) : null,
        bias: tf.reshape(seg('lstm.b'), [P, 1, 4 * H]),
        hf: tf.transpose(seg('head.fwd.W'), [0, 2, 1]) as tf.Tensor3D,
        hfb: tf.reshape(seg('head.fwd.b'), [P, 1, M]),
        hb: tf.transpose(seg('head.bwd.W'), [0, 2, 1]) as tf.Tensor3D,
        hbb: tf.reshape(seg('head.bwd.b'), [P, 1, M]),
      };
      return p as unknown as tf.TensorContainer;
    }) as unknown as LayerParams;
    const n = data.pixels;
    const count = data.images.length / n;
    this.images = tf.tensor2d(Float32Array.from(data.images), [count, n]);
    this.labels = tf.tensor1d(Int32Array.from(data.labels as ArrayLike<number>), 'int32');
    const K = config.layers.length - 1;
    // Initial states: the reference's own (h = 0, half of c from the learner's state seed).
    const hs = config.layers.slice(0, K).map((A, k) => new Float32Array(L * A * config.layers[k + 1] * H));
    const cs = hs.map((x) => new Float32Array(x.length));
    const p0 = metaParams.subarray(0, D);
    let signs: Int8Array | null = null;
    for (let l = 0; l < L; l++) {
      const ref = new VsmlReference(config, p0, { stateSeed: stateSeeds[l] });
      if (l === 0 && config.projection) signs = ref.projectionSigns();
      for (let k = 0; k < K; k++) cs[k].set(ref.c[k], l * ref.c[k].length);
    }
    for (let k = 0; k < K; k++) {
      const cells = config.layers[k] * config.layers[k + 1];
      this.h.push(tf.tensor3d(hs[k], [P, T * cells, H]));
      this.c.push(tf.tensor3d(cs[k], [P, T * cells, H]));
      this.bwd.push(tf.zeros([P, T * config.layers[k + 1], M]));
    }
    // Projection x_a = sum_p s_ap pixel_p / (255 sqrt(n)) as a [n, A0] matrix (one seed for all).
    this.projection = signs
      ? tf.tidy(() => tf.transpose(tf.tensor2d(Float32Array.from(signs!), [config.layers[0], n])))
      : null;
    this.metrics = { oc: tf.zeros([L]), oce: tf.zeros([L]), qc: tf.zeros([L]), qce: tf.zeros([L]) };
  }

  /** One learning step: example indices[l] for learner l (predict, then feedback for the next step). */
  learn(indices: Int32Array): void {
    this.step(indices, true);
  }

  /** One query from the frozen state. */
  query(indices: Int32Array): void {
    this.step(indices, false);
  }

  private step(indices: Int32Array, learn: boolean): void {
    const cfg = this.config;
    const P = this.members;
    const T = this.tasksPerMember;
    const L = this.learners;
    const { message: M } = cfg;
    const K = cfg.layers.length - 1;
    const C = numClasses(cfg);
    if (indices.length !== L) throw new Error(`TfVsmlPopulation.step: ${indices.length} indices, expected ${L}`);
    const out = tf.tidy(() => {
      const idx = tf.tensor1d(indices, 'int32');
      const raw = tf.gather(this.images, idx) as tf.Tensor2D; // [L, n]
      const n = cfg.inputSize;
      const x = this.projection ? tf.div(tf.matMul(raw, this.projection), 255 * Math.sqrt(n)) : tf.div(raw, 255);
      const A0 = cfg.layers[0];
      let fwd = tf.concat([tf.reshape(x, [P, T * A0, 1]), tf.zeros([P, T * A0, M - 1])], 2) as tf.Tensor3D;
      const newH: tf.Tensor3D[] = [];
      const newC: tf.Tensor3D[] = [];
      const newBwd: (tf.Tensor3D | null)[] = new Array(K).fill(null);
      for (let k = 0; k < K; k++) {
        const A = cfg.layers[k];
        const B = cfg.layers[k + 1];
        const bwdIn = !learn && k === K - 1 ? (tf.zeros([P, T * B, M]) as tf.Tensor3D) : this.bwd[k];
        const r = this.layer(k, A, B, fwd, bwdIn);
        newH.push(r.h);
        newC.push(r.c);
        if (learn && k > 0) newBwd[k - 1] = r.bwdOut;
        fwd = r.fwdOut;
      }
      const { component, bound } = cfg.readout;
      const f = tf.reshape(tf.slice(tf.reshape(fwd, [L, C, M]), [0, 0, component], [L, C, 1]), [L, C]);
      const y = tf.mul(tf.tanh(tf.div(f, bound)), bound) as tf.Tensor2D;
      const lab = tf.gather(this.labels, idx) as tf.Tensor1D;
      const onehot = tf.cast(tf.oneHot(lab, C), 'float32') as tf.Tensor2D;
      const lse = tf.logSumExp(y, 1);
      const ce = tf.sub(lse, tf.sum(tf.mul(y, onehot), 1));
      const correct = tf.cast(tf.equal(tf.argMax(y, 1), lab), 'float32');
      const m = this.metrics;
      const res: Record<string, tf.Tensor> = {};
      if (learn) {
        res.oce = tf.add(m.oce, ce);
        res.oc = tf.add(m.oc, correct);
        const err = tf.reshape(tf.sub(tf.softmax(y), onehot), [L, C, 1]);
        const slots = [err];
        if (cfg.labelFeeding) slots.push(tf.reshape(onehot, [L, C, 1]));
        if (M > slots.length) slots.push(tf.zeros([L, C, M - slots.length]));
        newBwd[K - 1] = tf.reshape(slots.length > 1 ? tf.concat(slots, 2) : slots[0], [P, T * C, M]) as tf.Tensor3D;
        newH.forEach((t, i) => (res[`h${i}`] = t));
        newC.forEach((t, i) => (res[`c${i}`] = t));
        newBwd.forEach((t, i) => (res[`b${i}`] = t!));
      } else {
        res.qce = tf.add(m.qce, ce);
        res.qc = tf.add(m.qc, correct);
      }
      return res;
    });
    const swap = <X extends tf.Tensor>(old: X, next: tf.Tensor | undefined): X => {
      if (!next) return old;
      old.dispose();
      return next as X;
    };
    const m = this.metrics;
    m.oce = swap(m.oce, out.oce);
    m.oc = swap(m.oc, out.oc);
    m.qce = swap(m.qce, out.qce);
    m.qc = swap(m.qc, out.qc);
    for (let k = 0; k < K; k++) {
      this.h[k] = swap(this.h[k], out[`h${k}`]);
      this.c[k] = swap(this.c[k], out[`c${k}`]);
      this.bwd[k] = swap(this.bwd[k], out[`b${k}`]);
    }
  }

  /** One layer for one example: every cell ticks `ticks` times, then the heads on the means of h. */
  private layer(k: number, A: number, B: number, fwd: tf.Tensor3D, bwd: tf.Tensor3D) {
    const cfg = this.config;
    const P = this.members;
    const T = this.tasksPerMember;
    const { hidden: H } = cfg;
    const p = this.params;
    const R = p.wh.shape[2];
    // Message terms: once per input unit a and once per output unit b, shared by all ticks.
    const fa = tf.reshape(tf.matMul(fwd, p.wf), [P, T, A, 1, R]);
    const bb = tf.reshape(tf.matMul(bwd, p.wb), [P, T, 1, B, R]);
    const ab = tf.add(fa, bb);
    let h = this.h[k];
    let c = this.c[k];
    for (let t = 0; t < cfg.ticks; t++) {
      const v = tf.reshape(tf.add(tf.reshape(tf.matMul(h, p.wh), [P, T, A, B, R]), ab), [
        P,
        T * A * B,
        R,
      ]) as tf.Tensor3D;
      const pre = p.u ? tf.add(tf.matMul(v, p.u), p.bias) : tf.add(v, p.bias);
      const [pi, pf, pg, po] = tf.split(pre, 4, 2);
      const ig = tf.sigmoid(tf.add(pi, INPUT_GATE_OFFSET));
      const fg = tf.sigmoid(tf.add(pf, FORGET_GATE_OFFSET));
      const g = tf.tanh(pg);
      const og = tf.sigmoid(po);
      c = tf.add(tf.mul(fg, c), tf.mul(ig, g)) as tf.Tensor3D;
      h = tf.mul(og, tf.tanh(c)) as tf.Tensor3D;
    }
    const h5 = tf.reshape(h, [P, T, A, B, H]);
    const fwdOut = tf.add(tf.matMul(tf.reshape(tf.mean(h5, 2), [P, T * B, H]), p.hf), p.hfb) as tf.Tensor3D;
    const bwdOut =
      k > 0 ? (tf.add(tf.matMul(tf.reshape(tf.mean(h5, 3), [P, T * A, H]), p.hb), p.hbb) as tf.Tensor3D) : null;
    return { h, c, fwdOut, bwdOut };
  }

  /** Cell states of layer k, [L][A][B][H]. */
  async readState(k: number): Promise<{ h: Float32Array; c: Float32Array }> {
    return { h: (await this.h[k].data()) as Float32Array, c: (await this.c[k].data()) as Float32Array };
  }

  /** Incoming backward messages of layer k, [L][B][M]. */
  async readBackward(k: number): Promise<Float32Array> {
    return (await this.bwd[k].data()) as Float32Array;
  }

  /** Sums over the steps so far, per learner. Reading them also waits for every queued step. */
  async readMetrics(): Promise<TfVsmlMetrics> {
    const m = this.metrics;
    return {
      onlineCorrect: (await m.oc.data()) as Float32Array,
      onlineCrossEntropy: (await m.oce.data()) as Float32Array,
      queryCorrect: (await m.qc.data()) as Float32Array,
      queryCrossEntropy: (await m.qce.data()) as Float32Array,
    };
  }

  /** Wait until every step submitted so far has run (one small readback). */
  async sync(): Promise<void> {
    await this.metrics.oce.data();
    await this.metrics.qce.data();
  }

  dispose(): void {
    tf.dispose([...Object.values(this.params).filter((t): t is tf.Tensor => t !== null), this.images, this.labels]);
    if (this.projection) this.projection.dispose();
    tf.dispose([...this.h, ...this.c, ...this.bwd, ...Object.values(this.metrics)]);
  }
}
