import { describe, expect, it } from 'vitest';
import { acquireGpu } from '../src/gpu/acquire';
import { GpuDeviceLostError, GpuLimitError, GpuValidationError } from '../src/gpu/errors';
import { GpuProfiler } from '../src/gpu/profiler';
import { rngFill } from '../src/kernels/rng-fill';
import { useGpu } from './helpers/gpu';

const gpu = useGpu();

const ADD_ONE = /* wgsl */ `
override BIAS: f32 = 1.0;
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < arrayLength(&data)) { data[g.x] = data[g.x] + BIAS; }
}`;

function runAddOne(bias: number, data: Float32Array, prof?: GpuProfiler): GPUBuffer {
  const g = gpu();
  const p = g.pipeline({ code: ADD_ONE, constants: { BIAS: bias } });
  const buf = g.storage('data', data);
  const enc = g.device.createCommandEncoder();
  const pass = enc.beginComputePass(prof?.pass('add-one'));
  pass.setPipeline(p);
  pass.setBindGroup(0, g.bindGroup(p, [buf]));
  pass.dispatchWorkgroups(Math.ceil(data.length / 64));
  pass.end();
  prof?.resolve(enc);
  g.device.queue.submit([enc.finish()]);
  return buf;
}

describe('GpuContext', () => {
  it('uploads, runs a kernel and reads back; pipelines are cached by source and constants', async () => {
    const g = gpu();
    const before = g.pipelineCount;
    const x = Float32Array.from({ length: 1000 }, (_, i) => Math.fround(Math.sin(i) * 1000)); // fixed values: the check is exact for any
    const out = await g.readF32(runAddOne(2, x));
    out.forEach((v, i) => expect(v).toBe(Math.fround(x[i] + 2)));
    runAddOne(2, x);
    expect(g.pipelineCount).toBe(before + 1);
    runAddOne(3, x);
    expect(g.pipelineCount).toBe(before + 2);
  });

  it('profiles with timestamp queries when available, and with wall-clock otherwise', async () => {
    const g = gpu();
    const ts = new GpuProfiler(g);
    expect(ts.mode).toBe(g.features.timestampQuery ? 'timestamp' : 'wall-clock');
    if (ts.mode === 'timestamp') {
      runAddOne(1, new Float32Array(1 << 16), ts);
      const [e] = await ts.collect();
      expect(e.label).toBe('add-one');
      expect(e.count).toBe(1);
      expect(e.ms).toBeGreaterThan(0);
    }
    const wall = new GpuProfiler(g, 4, true);
    expect(wall.mode).toBe('wall-clock');
    await wall.time('fill', () => rngFill(g, 'u32', [1, 2], 1024));
    const [w] = await wall.collect();
    expect(w.label).toBe('fill');
    expect(w.ms).toBeGreaterThan(0);
    ts.destroy();
    wall.destroy();
  });

  it('surfaces a shader compilation error as a thrown GpuValidationError', async () => {
    const g = gpu();
    await expect(g.validate(() => g.pipeline({ code: 'fn main( {', label: 'broken' }))).rejects.toThrow(
      GpuValidationError,
    );
  });

  it('reports uncaptured errors on the next check()', async () => {
    const g = gpu();
    const buf = g.storage('small', 16);
    // Out-of-bounds write: a validation error with no error scope pushed.
    g.device.queue.writeBuffer(buf, 64, new Uint8Array(16));
    await g.device.queue.onSubmittedWorkDone();
    // The error event arrives asynchronously: poll for it (bounded by the test timeout only), not a fixed sleep.
    let thrown: unknown;
    while (thrown === undefined) {
      try {
        g.check();
        await new Promise((r) => setTimeout(r, 10));
      } catch (e) {
        thrown = e;
      }
    }
    expect(thrown).toBeInstanceOf(GpuValidationError);
    expect((thrown as Error).message).toMatch(/WebGPU error: .*/);
  });

  it('splits large dispatches into a 2-D grid within the limit', () => {
    const g = gpu();
    const max = g.limits.maxComputeWorkgroupsPerDimension;
    expect(g.grid(10)).toEqual([10, 1]);
    const [x, y] = g.grid(max * 3 + 1);
    expect(x).toBeLessThanOrEqual(max);
    expect(x * y).toBeGreaterThanOrEqual(max * 3 + 1);
    expect(() => g.grid(max * max + 1)).toThrow(GpuLimitError);
  });

  it('rng-fill over a split grid writes every element (poisoned output)', async () => {
    const g2 = await acquireGpu({ limits: { maxComputeWorkgroupsPerDimension: 7 } });
    try {
      const blocks = 64 * 7 * 3 + 5; // needs 22 workgroups: a 7 x 4 grid
      const poison = g2.storage('poison', new Uint32Array(blocks * 4).fill(0xdeadbeef));
      const words = await rngFill(g2, 'u32', [9, 9], blocks, [0, 0, 0], 0, poison);
      expect(words.indexOf(0xdeadbeef)).toBe(-1);
    } finally {
      g2.destroy();
    }
  });

  it('refuses buffers above (possibly lowered) limits with a clear error', async () => {
    const g2 = await acquireGpu({ limits: { maxBufferSize: 1 << 20 } });
    try {
      expect(() => g2.storage('huge', 2 << 20)).toThrow(
        /buffer 'huge' needs 2097152 bytes, above maxBufferSize 1048576/,
      );
    } finally {
      g2.destroy();
    }
  });

  it('a lost device turns into a clear error instead of a hang', async () => {
    const g2 = await acquireGpu();
    const buf = g2.storage('x', new Float32Array(4));
    g2.device.destroy(); // simulate loss (not via our destroy())
    await g2.device.lost;
    expect(() => g2.check()).toThrow(GpuDeviceLostError);
    await expect(g2.read(buf)).rejects.toThrow(/GPU device lost/);
    g2.destroy();
    expect(() => g2.check()).toThrow(/destroyed/);
  });
});
