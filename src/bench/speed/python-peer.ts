/**
 * The Python peer of `npm run bench:speed` (Node only): src/bench/speed/vsml_peer.py, the same VSML
 * step in JAX (jit) or numpy, run as a child process on files this module writes. The script sits
 * beside this module because this module defines its input format and is its only caller.
 *
 * The exchange (one temporary directory per run; everything little-endian, row-major):
 *  - input.json: { format: PEER_INPUT_FORMAT, mode: 'check' | 'time', config (the VsmlConfig),
 *    members, tasksPerMember, segments (metaParamLayout: name -> offset, rows, cols), gateOffsets
 *    ({ input, forget }), repeats, targetSeconds, arrays: name -> { file, dtype, shape } };
 *  - arrays: params float32 [P, D] (learner l = member * T + task reads member l / T), c<k> float32
 *    [L, A_k * B_k * H] (initial cell memories of layer k; h and the messages start at zero),
 *    signs int8 [A0, inputSize] (the projection, config.projectionSeed, when configured), images
 *    uint8 [count, inputSize], labels int32 [count], learnIndices / queryIndices int32 [steps, L];
 *  - the script writes output.json: { format, backend, description, learners, timing, arrays }
 *    with float32 arrays h<k>, c<k> ([L, A_k * B_k, H]), b<k> ([L, B_k, M]) and per-learner sums
 *    onlineCrossEntropy, onlineCorrect, queryCrossEntropy, queryCorrect ('check' mode), or
 *    timing { warmupSeconds, calibrationSeconds, steps, learnSeconds[] } ('time' mode).
 * The meta-parameter layout and the gate offsets travel in input.json, so the script redefines
 * nothing of the learner's spec; the initial states are the float64 reference's own.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageSplit } from '../../data/dataset';
import { learnerSeeds } from '../../inner/episodes';
import { VsmlReference, referenceEpisode } from '../../inner/reference';
import { FORGET_GATE_OFFSET, INPUT_GATE_OFFSET, type VsmlConfig, metaParamLayout } from '../../spec/vsml-config';
import { benchParams, median } from '../step-measure';
import {
  type ExternalPeer,
  type ExternalPeerCheck,
  PEER_TOLERANCE,
  type PeerMeasurement,
  learnIndex,
  scaledError,
} from './peer';

export const PYTHON_PEER_SCRIPT = fileURLToPath(new URL('./vsml_peer.py', import.meta.url));
export const PEER_INPUT_FORMAT = 'vsml-peer-input/1';
export const PEER_OUTPUT_FORMAT = 'vsml-peer-output/1';

/** The parity bound of bench:speed's peers (src/bench/speed/peer.ts says why 2e-3). */
export const PYTHON_PEER_TOLERANCE = PEER_TOLERANCE;

export interface PythonPeerProbe {
  python: string;
  backend: 'jax' | 'numpy';
  /** e.g. 'numpy 2.4.6 + scipy-openblas 0.3.31.188.0, 2 threads' or 'jax 0.4.30 jit on cpu'. */
  description: string;
}

/** The backend the script would use under `python` (default $VSML_PYTHON or python3), or why it cannot run (one line). */
export function probePythonPeer(python = process.env.VSML_PYTHON || 'python3'): PythonPeerProbe | { missing: string } {
  const r = spawnSync(python, [PYTHON_PEER_SCRIPT, '--probe'], { encoding: 'utf8' });
  if (r.error)
    return { missing: `${python} is not runnable (${(r.error as NodeJS.ErrnoException).code ?? r.error.message})` };
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout).trim().split('\n').pop() ?? `exit ${r.status}`;
    return { missing: `${python} cannot run the peer (needs jax or numpy): ${why}` };
  }
  const p = JSON.parse(r.stdout.trim()) as { backend: 'jax' | 'numpy'; description: string };
  return { python, backend: p.backend, description: p.description };
}

export interface PythonPeerInput {
  config: VsmlConfig;
  members: number;
  tasksPerMember: number;
  /** members x D meta-parameters. */
  params: Float32Array;
  /** L initial-state seeds (the reference's initial c). */
  stateSeeds: ArrayLike<number>;
  images: Uint8Array;
  labels: ArrayLike<number>;
  /** [L][steps] example indices, EpisodeBatch's layout (written step-major for the script). */
  learnIndices: ArrayLike<number>;
  learnSteps: number;
  queryIndices: ArrayLike<number>;
  queries: number;
  mode: 'check' | 'time';
  repeats?: number;
  targetSeconds?: number;
  /** Script options (--backend, --threads, --numpy-mode: 'pure' runs the code JAX traces). */
  backend?: 'auto' | 'jax' | 'numpy';
  threads?: number;
  numpyMode?: 'inplace' | 'pure';
}

export interface PythonPeerOutput {
  backend: 'jax' | 'numpy';
  description: string;
  timing: { warmupSeconds?: number; calibrationSeconds?: number; steps?: number; learnSeconds?: number[] };
  arrays: Record<string, Float32Array>;
}

/** [L][steps] -> [steps][L]. */
function stepMajor(idx: ArrayLike<number>, L: number, steps: number): Int32Array {
  if (idx.length !== L * steps) throw new Error(`python peer: ${idx.length} indices, expected ${L} x ${steps}`);
  const out = new Int32Array(L * steps);
  for (let l = 0; l < L; l++) for (let s = 0; s < steps; s++) out[s * L + l] = idx[l * steps + s];
  return out;
}

/** Writes input.json and its arrays into `dir`. */
export function writePythonPeerInput(dir: string, inp: PythonPeerInput): void {
  const cfg = inp.config;
  const P = inp.members;
  const T = inp.tasksPerMember;
  const L = P * T;
  const layout = metaParamLayout(cfg);
  const D = layout.size;
  const n = cfg.inputSize;
  const count = inp.images.length / n;
  if (inp.params.length !== P * D)
    throw new Error(`python peer: ${inp.params.length} meta-parameters, expected ${P} x ${D}`);
  if (inp.stateSeeds.length !== L) throw new Error(`python peer: ${inp.stateSeeds.length} state seeds, expected ${L}`);
  if (!Number.isInteger(count) || inp.labels.length !== count)
    throw new Error(`python peer: ${inp.images.length} pixels and ${inp.labels.length} labels for ${n}-pixel images`);
  const arrays: Record<string, { file: string; dtype: string; shape: number[] }> = {};
  const put = (name: string, dtype: string, shape: number[], data: ArrayBufferView) => {
    const file = `${name}.bin`;
    writeFileSync(join(dir, file), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    arrays[name] = { file, dtype, shape };
  };
  put('params', 'float32', [P, D], inp.params);
  const K = cfg.layers.length - 1;
  const cs = cfg.layers.slice(0, K).map((A, k) => new Float32Array(L * A * cfg.layers[k + 1] * cfg.hidden));
  const p0 = inp.params.subarray(0, D);
  let signs: Int8Array | null = null;
  for (let l = 0; l < L; l++) {
    const ref = new VsmlReference(cfg, p0, { stateSeed: inp.stateSeeds[l] });
    if (l === 0 && cfg.projection) signs = ref.projectionSigns();
    for (let k = 0; k < K; k++) cs[k].set(ref.c[k], l * ref.c[k].length);
  }
  cs.forEach((c, k) => put(`c${k}`, 'float32', [L, c.length / L], c));
  if (signs) put('signs', 'int8', [cfg.layers[0], n], signs);
  put('images', 'uint8', [count, n], inp.images);
  put('labels', 'int32', [count], Int32Array.from(inp.labels));
  put('learnIndices', 'int32', [inp.learnSteps, L], stepMajor(inp.learnIndices, L, inp.learnSteps));
  put('queryIndices', 'int32', [inp.queries, L], stepMajor(inp.queryIndices, L, inp.queries));
  const segments = Object.fromEntries(
    layout.segments.map((s) => [s.name, { offset: s.offset, rows: s.rows, cols: s.cols }]),
  );
  const spec = {
    format: PEER_INPUT_FORMAT,
    mode: inp.mode,
    config: cfg,
    members: P,
    tasksPerMember: T,
    segments,
    gateOffsets: { input: INPUT_GATE_OFFSET, forget: FORGET_GATE_OFFSET },
    repeats: inp.repeats ?? 3,
    targetSeconds: inp.targetSeconds ?? 1,
    arrays,
  };
  writeFileSync(join(dir, 'input.json'), `${JSON.stringify(spec, null, 1)}\n`);
}

/** Reads output.json and its arrays from `dir`. */
export function readPythonPeerOutput(dir: string): PythonPeerOutput {
  const o = JSON.parse(readFileSync(join(dir, 'output.json'), 'utf8')) as Omit<PythonPeerOutput, 'arrays'> & {
    format: string;
    arrays: Record<string, { file: string; dtype: string; shape: number[] }>;
  };
  if (o.format !== PEER_OUTPUT_FORMAT)
    throw new Error(`python peer: output format '${o.format}', expected '${PEER_OUTPUT_FORMAT}'`);
  const arrays: Record<string, Float32Array> = {};
  for (const [name, a] of Object.entries(o.arrays)) {
    const b = readFileSync(join(dir, a.file));
    const want = 4 * a.shape.reduce((x, y) => x * y, 1);
    if (a.dtype !== 'float32' || b.byteLength !== want)
      throw new Error(
        `python peer: output ${name} has ${b.byteLength} bytes of ${a.dtype}, expected ${want} of float32`,
      );
    arrays[name] = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  }
  return { backend: o.backend, description: o.description, timing: o.timing, arrays };
}

/**
 * The child's environment: glibc asked to keep freed memory in its heap (unless the caller set
 * these itself), since numpy allocates a fresh array for most operations and page faults are dear
 * in this project's VMs. glibc's own dynamic threshold usually gets there too; the effect on the
 * peer's rate was within the noise of a loaded machine, so this only removes a variable. JAX
 * reuses its own buffers.
 */
function pythonEnv(): NodeJS.ProcessEnv {
  return { MALLOC_MMAP_THRESHOLD_: String(32 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30), ...process.env };
}

/** Runs the script on `inp` in a fresh temporary directory (removed after). */
export async function runPythonPeer(python: string, inp: PythonPeerInput): Promise<PythonPeerOutput> {
  const dir = mkdtempSync(join(tmpdir(), 'vsml-peer-'));
  try {
    writePythonPeerInput(dir, inp);
    const args = [PYTHON_PEER_SCRIPT, '--dir', dir, '--backend', inp.backend ?? 'auto'];
    if (inp.threads) args.push('--threads', String(inp.threads));
    if (inp.numpyMode) args.push('--numpy-mode', inp.numpyMode);
    await new Promise<void>((resolve, reject) => {
      execFile(python, args, { maxBuffer: 1 << 24, env: pythonEnv() }, (err, _stdout, stderr) => {
        if (err)
          reject(
            new Error(`python peer failed (${python} ${args.slice(0, 1).join(' ')}): ${stderr.trim() || err.message}`),
          );
        else resolve();
      });
    });
    return readPythonPeerOutput(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface PeerVsReference {
  /** Worst scaled error over every compared quantity. */
  worst: number;
  /** Where it was (learner, layer, quantity). */
  where: string;
  /** Worst per quantity (h, c, backward message, online CE, query CE). */
  parts: Record<string, number>;
}

/**
 * Scaled error of the peer's states, backward messages and cross-entropy sums against the float64
 * reference (src/inner/reference.ts) run on the same inputs, for the given learners.
 */
export function pythonVsReference(inp: PythonPeerInput, out: PythonPeerOutput, learners: number[]): PeerVsReference {
  const cfg = inp.config;
  const D = metaParamLayout(cfg).size;
  const K = cfg.layers.length - 1;
  const res: PeerVsReference = { worst: 0, where: '', parts: {} };
  const note = (what: string, where: string, e: number) => {
    res.parts[what] = Math.max(res.parts[what] ?? 0, e);
    if (!(e <= res.worst)) {
      res.worst = Number.isNaN(e) ? Infinity : e;
      res.where = where;
    }
  };
  for (const l of learners) {
    const m = Math.floor(l / inp.tasksPerMember);
    const r = referenceEpisode(
      cfg,
      inp.params.subarray(m * D, (m + 1) * D),
      { learnImages: inp.images, learnLabels: inp.labels, queryImages: inp.images, queryLabels: inp.labels },
      Array.from(inp.learnIndices).slice(l * inp.learnSteps, (l + 1) * inp.learnSteps),
      Array.from(inp.queryIndices).slice(l * inp.queries, (l + 1) * inp.queries),
      { stateSeed: inp.stateSeeds[l] },
    );
    for (let k = 0; k < K; k++) {
      for (const [what, name, ref] of [
        ['h', `h${k}`, r.learner.h[k]],
        ['c', `c${k}`, r.learner.c[k]],
        ['backward message', `b${k}`, r.learner.bwd[k]],
      ] as const) {
        const got = out.arrays[name];
        if (!got) throw new Error(`python peer: no output ${name}`);
        note(
          what,
          `learner ${l} layer ${k} ${what}`,
          scaledError(got.subarray(l * ref.length, (l + 1) * ref.length), ref),
        );
      }
    }
    for (const [what, name, ref] of [
      ['online CE', 'onlineCrossEntropy', r.onlineCrossEntropy],
      ['query CE', 'queryCrossEntropy', r.queryCrossEntropy],
    ] as const) {
      const got = out.arrays[name]?.[l];
      note(what, `learner ${l} ${what} (${got} vs ${ref})`, scaledError([got ?? NaN], [ref]));
    }
  }
  return res;
}

/** The bench inputs: bench:step's meta-parameters and the example pattern of the TensorFlow.js peer. */
function benchInput(
  config: VsmlConfig,
  split: ImageSplit,
  learners: number,
  seed: number,
  learnSteps: number,
  queries: number,
  mode: 'check' | 'time',
): PythonPeerInput {
  const { stateSeeds } = learnerSeeds(seed, learners);
  const learnIndices = new Int32Array(learners * learnSteps);
  for (let l = 0; l < learners; l++)
    for (let s = 0; s < learnSteps; s++) learnIndices[l * learnSteps + s] = learnIndex(l, s, learnSteps, split.count);
  return {
    config,
    members: learners,
    tasksPerMember: 1,
    params: benchParams(config, learners),
    stateSeeds,
    images: split.images,
    labels: split.labels,
    learnIndices,
    learnSteps,
    queryIndices: Int32Array.from({ length: learners * queries }, (_, i) => (i * 104729 + 1) % split.count),
    queries,
    mode,
  };
}

/** The Python peer as bench:speed's ExternalPeer (src/bench/speed/run.ts stays free of Node). */
export function pythonPeer(probe: PythonPeerProbe): ExternalPeer {
  return {
    name: 'python',
    description: probe.description,
    async measure(config, split, learners, maxSteps, repeats, targetSeconds): Promise<PeerMeasurement> {
      const inp = { ...benchInput(config, split, learners, 7, maxSteps, 0, 'time'), repeats, targetSeconds };
      const out = await runPythonPeer(probe.python, inp);
      const t = out.timing;
      const steps = t.steps ?? NaN;
      const learnSeconds = t.learnSeconds ?? [];
      return {
        learners,
        steps,
        warmupSeconds: t.warmupSeconds ?? NaN,
        learnSeconds,
        learnStepsPerSecond: (learners * steps) / median(learnSeconds),
      };
    },
    async check(config, split, learners = 2, learnSteps = 4, queries = 2): Promise<ExternalPeerCheck> {
      const inp = benchInput(config, split, learners, 11, learnSteps, queries, 'check');
      const out = await runPythonPeer(probe.python, inp);
      const r = pythonVsReference(
        inp,
        out,
        Array.from({ length: learners }, (_, l) => l),
      );
      return { learners, learnSteps, queries, vsReference: r.worst, where: r.where, referenceLearners: learners };
    },
  };
}
