/**
 * `npm run bench:ops`: what single WGSL operations cost on this adapter, the measurements behind
 * the cell kernel's choices (docs/perf.md, issue 10). Each variant is one kernel: 16,384 threads,
 * 8 independent vec4 chains per thread, `--iters` iterations (default 256) of one statement
 * `acc = <op>` per chain; the time per dispatch (median of 3 after a warm-up, 4 dispatches per
 * submission) is reported as ns per scalar operation (threads x iterations x 8 chains x 4
 * components) and relative to a multiply-add. Every chain carries its value to the output, so no
 * operation is dead code. Absolute numbers include the loop's own cost (large on SwiftShader, see
 * `loop-skip`); the ratios are what the kernels use.
 */
import { acquireGpu } from '../gpu/acquire';
import { cliArgs, defineCommand, intArg } from './args';

export const OPS: { name: string; what: string; body: string }[] = [
  { name: 'muladd', what: 'a * x + b', body: 'acc = acc * a + b;' },
  { name: 'fma', what: 'fma(x, a, b)', body: 'acc = fma(acc, a, b);' },
  { name: 'div', what: 'b / (x + a)', body: 'acc = b / (acc + a);' },
  { name: 'select', what: 'select(x, b, x > a)', body: 'acc = select(acc, b, acc > a) * a;' },
  { name: 'clamp', what: 'clamp(x, -20, 20)', body: 'acc = clamp(acc, vec4<f32>(-20.0), vec4<f32>(20.0)) * a;' },
  { name: 'max', what: 'min(max(x, -20), 20)', body: 'acc = min(max(acc, vec4<f32>(-20.0)), vec4<f32>(20.0)) * a;' },
  { name: 'f32-to-i32', what: 'vec4<i32>(x * c)', body: 'acc = vec4<f32>(vec4<i32>(acc * 1000.0)) * a;' },
  { name: 'exp', what: 'exp(-x)', body: 'acc = exp(-acc) * a;' },
  { name: 'sigmoid', what: '1 / (1 + exp(-x))', body: 'acc = 1.0 / (1.0 + exp(-acc)) * a;' },
  {
    name: 'tanh-clamped',
    what: 'tanh(clamp(x, -20, 20)) (the cell before issue 10)',
    body: 'acc = tanh(clamp(acc, vec4<f32>(-20.0), vec4<f32>(20.0))) * a;',
  },
  { name: 'tanh', what: 'tanh(x)', body: 'acc = tanh(acc) * a;' },
  {
    name: 'tanh-sigmoid',
    what: '2 / (1 + exp(-2x)) - 1 (the cell now)',
    body: 'acc = (2.0 / (1.0 + exp(-2.0 * acc)) - 1.0) * a;',
  },
  {
    name: 'branch-skip',
    what: 'if (never) { sigmoid }',
    body: 'if (a.x > 100.0) { acc = 1.0 / (1.0 + exp(-acc)) * a; }',
  },
  {
    name: 'loop-skip',
    what: 'loop of 0 iterations around a sigmoid',
    body: 'for (var j = 0u; j < select(0u, 1u, a.x > 100.0); j++) { acc = 1.0 / (1.0 + exp(-acc)) * a; }',
  },
];

const CHAINS = 8;
const THREADS = 16384;
const WG = 64;

function source(body: string, iters: number): string {
  const ks = Array.from({ length: CHAINS }, (_, k) => k);
  return `@group(0) @binding(0) var<storage, read> inp: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  let a = inp[3u * i]; let b = inp[3u * i + 1u]; let x0 = inp[3u * i + 2u];
  ${ks.map((k) => `var v${k} = x0 + vec4<f32>(${k}.0 / ${CHAINS}.0);`).join('\n  ')}
  for (var t = 0u; t < ${iters}u; t++) {
    ${ks.map((k) => `{ var acc = v${k}; ${body} v${k} = acc; }`).join('\n    ')}
  }
  out[i] = ${ks.map((k) => `v${k}`).join(' + ')};
}`;
}

const COMMAND = defineCommand({
  name: 'bench:ops',
  description: `What single WGSL operations cost on this adapter (ns per scalar operation and relative to a
multiply-add): the measurements behind the cell kernel's choices (docs/perf.md, issue 10).`,
  options: { iters: { type: 'string', value: 'N', default: '256', description: 'loop iterations of each kernel' } },
});

const iters = cliArgs(COMMAND, ({ values }) => intArg('--iters', values.iters, 1));
const gpu = await acquireGpu();
const dev = gpu.device;
const inp = dev.createBuffer({ size: THREADS * 48, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
// a in [0.3, 0.8): bounded chains; values away from 0 and from the clamps.
dev.queue.writeBuffer(
  inp,
  0,
  Float32Array.from({ length: THREADS * 12 }, (_, i) => 0.3 + ((i * 7919) % 100) / 200),
);
const out = dev.createBuffer({ size: THREADS * 16, usage: GPUBufferUsage.STORAGE });
console.log(`adapter: ${gpu.describe()}; ${THREADS} threads x ${iters} iterations x ${CHAINS} vec4 chains`);
const rows: { name: string; ns: number }[] = [];
for (const op of OPS) {
  dev.pushErrorScope('validation');
  const pipe = dev.createComputePipeline({
    layout: 'auto',
    compute: { module: dev.createShaderModule({ code: source(op.body, iters) }), entryPoint: 'main' },
  });
  const err = await dev.popErrorScope();
  if (err) throw new Error(`bench:ops variant '${op.name}' does not compile: ${err.message}`);
  const bg = dev.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: inp } },
      { binding: 1, resource: { buffer: out } },
    ],
  });
  const run = async (n: number) => {
    const enc = dev.createCommandEncoder();
    const p = enc.beginComputePass();
    p.setPipeline(pipe);
    p.setBindGroup(0, bg);
    for (let r = 0; r < n; r++) p.dispatchWorkgroups(THREADS / WG);
    p.end();
    const t = performance.now();
    dev.queue.submit([enc.finish()]);
    await dev.queue.onSubmittedWorkDone();
    return (performance.now() - t) / n;
  };
  await run(1);
  const ms = [await run(4), await run(4), await run(4)].sort((x, y) => x - y)[1];
  const ns = (ms * 1e6) / (THREADS * iters * CHAINS * 4);
  rows.push({ name: op.name, ns });
  const base = rows[0].ns;
  console.log(
    `${op.name.padEnd(13)} ${ns.toFixed(3).padStart(7)} ns  ${(ns / base).toFixed(1).padStart(5)}x muladd   ${op.what}`,
  );
}
process.exit(0);
