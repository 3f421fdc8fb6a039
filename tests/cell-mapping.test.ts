/**
 * The per-run choice of the VSML input layer's cell mapping (src/meta/cell-mapping.ts, issue 20):
 * the payback rule, the record of built kernels (src/meta/node/compile-record.ts), and the
 * evaluator that applies them. The mapping must never change a result: 'rows' and 'columns' give
 * the same bits, on every adapter. On lavapipe, 'auto' starts on rows, moves to columns at once
 * when the record holds the run's column kernels, and otherwise only when the run is long enough
 * to pay for building them.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { subsetSplit, type ImageSplit } from '../src/data/dataset';
import { loadDataset } from '../src/data/load-node';
import { initMetaParams } from '../src/spec/vsml-config';
import {
  COLUMN_BUILD_SECONDS,
  columnBuildSeconds,
  COLUMN_SAVING,
  PAYBACK,
  columnsPay,
  compileRecordKey,
  memoryCompileRecord,
} from '../src/meta/cell-mapping';
import { MAX_RECORDED_KERNELS, defaultCompileRecordPath, fileCompileRecord } from '../src/meta/node/compile-record';
import { type EvaluatorOptions, type GenerationEval, VsmlEvaluator } from '../src/meta/evaluator';
import { initStrategy, strategyFor } from '../src/meta/strategies';
import { type TrainConfig, presetConfig, validateTrainConfig } from '../src/meta/train-config';
import type { PopulationSpec } from '../src/rng/noise';
import { useGpu } from './helpers/gpu';

const bits = (a: Float64Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length * 2));

describe('columnsPay', () => {
  // The fewest generations left for which a build of `unbuilt` kernels pays, from the constants.
  const buildSeconds = COLUMN_BUILD_SECONDS;
  const needed = (rows: number, unbuilt: number) => (PAYBACK * buildSeconds * unbuilt) / (COLUMN_SAVING * rows);

  it('moves at once when every column kernel was built before, whatever the timings', () => {
    expect(columnsPay({ rowsGenerationSeconds: 0, generationsLeft: 0, unbuilt: 0, buildSeconds })).toBe(true);
    expect(columnsPay({ rowsGenerationSeconds: NaN, generationsLeft: 1, unbuilt: 0, buildSeconds })).toBe(true);
  });

  it.each([
    [0.5, 1],
    [0.2, 2],
    [0.03, 4],
  ])('rows %s s/generation, %s kernels to build: pays from the derived generation count on', (rows, unbuilt) => {
    const n = needed(rows, unbuilt);
    const at = Math.ceil(n * (1 + 1e-9));
    expect(columnsPay({ rowsGenerationSeconds: rows, generationsLeft: at, unbuilt, buildSeconds })).toBe(true);
    expect(
      columnsPay({ rowsGenerationSeconds: rows, generationsLeft: Math.floor(n * (1 - 1e-9)), unbuilt, buildSeconds }),
    ).toBe(false);
    // More kernels to build need proportionally more generations.
    expect(columnsPay({ rowsGenerationSeconds: rows, generationsLeft: at, unbuilt: unbuilt * 2, buildSeconds })).toBe(
      false,
    );
    // So do slower builds (an H 16 cell's).
    expect(
      columnsPay({ rowsGenerationSeconds: rows, generationsLeft: at, unbuilt, buildSeconds: 2 * buildSeconds }),
    ).toBe(false);
  });

  it('never builds without a warm rows timing or generations left', () => {
    for (const rows of [0, -1, NaN, Infinity * 0])
      expect(columnsPay({ rowsGenerationSeconds: rows, generationsLeft: 1e9, unbuilt: 1, buildSeconds })).toBe(false);
    expect(columnsPay({ rowsGenerationSeconds: 100, generationsLeft: 0, unbuilt: 1, buildSeconds })).toBe(false);
  });

  it('estimates H 16 column kernels at twice the build time of H <= 8 ones (measured 37-40 s against 10-19 s)', () => {
    for (const h of [4, 8]) expect(columnBuildSeconds(h)).toBe(COLUMN_BUILD_SECONDS);
    for (const h of [16, 32]) expect(columnBuildSeconds(h)).toBe(2 * COLUMN_BUILD_SECONDS);
  });
});

describe('compileRecordKey', () => {
  it('names adapter, program and source; any change of them is another key', () => {
    const k = compileRecordKey('lavapipe (llvmpipe)', 'vsml-cell/x', 'fn main() {}');
    expect(k).toBe(compileRecordKey('lavapipe (llvmpipe)', 'vsml-cell/x', 'fn main() {}'));
    expect(k).not.toBe(compileRecordKey('lavapipe (llvmpipe)', 'vsml-cell/x', 'fn main() { }'));
    expect(k).not.toBe(compileRecordKey('swiftshader', 'vsml-cell/x', 'fn main() {}'));
    expect(k).not.toBe(compileRecordKey('lavapipe (llvmpipe)', 'vsml-cell/y', 'fn main() {}'));
  });

  it('memoryCompileRecord remembers what was added, in this process only', () => {
    const a = memoryCompileRecord();
    a.add(['k1', 'k2'], 3);
    expect([a.has('k1'), a.has('k2'), a.has('k3')]).toEqual([true, true, false]);
    expect(memoryCompileRecord().has('k1')).toBe(false);
  });
});

describe('fileCompileRecord', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'vsml-record-'));
    dirs.push(d);
    return join(d, 'sub', 'built-kernels.json');
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const quiet = { env: {}, salt: 'webgpu@t', warn: (l: string) => void l };

  it('default path: VSML_CACHE_DIR, else XDG_CACHE_HOME/vsml-webgpu', () => {
    expect(defaultCompileRecordPath({ VSML_CACHE_DIR: '/c' })).toBe(join('/c', 'built-kernels.json'));
    expect(defaultCompileRecordPath({ XDG_CACHE_HOME: '/x' })).toBe(join('/x', 'vsml-webgpu', 'built-kernels.json'));
  });

  it('a missing file is an empty record; what one run adds, the next run reads', () => {
    const path = tmp();
    const a = fileCompileRecord(path, quiet);
    expect(a.has('k')).toBe(false);
    expect(existsSync(path)).toBe(false);
    a.add(['k', 'j'], 12.5);
    expect(a.has('k')).toBe(true);
    const b = fileCompileRecord(path, quiet);
    expect([b.has('k'), b.has('j'), b.has('other')]).toEqual([true, true, false]);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(file.version).toBe(1);
    expect(file.kernels['webgpu@t | k'].seconds).toBe(12.5);
    // Another Dawn version translates WGSL differently: its record starts empty.
    expect(fileCompileRecord(path, { ...quiet, salt: 'webgpu@u' }).has('k')).toBe(false);
  });

  it('two runs adding to one file keep each other’s kernels', () => {
    const path = tmp();
    const a = fileCompileRecord(path, quiet);
    const b = fileCompileRecord(path, quiet);
    a.add(['from-a'], 1);
    b.add(['from-b'], 1);
    const c = fileCompileRecord(path, quiet);
    expect([c.has('from-a'), c.has('from-b')]).toEqual([true, true]);
  });

  it.each([
    ['not JSON', '{"version": 1, "kernels": {'],
    ['another version', '{"version": 2, "kernels": {}}'],
    ['a bad entry', '{"version": 1, "kernels": {"webgpu@t | k": {"seconds": "x", "at": "t"}}}'],
    ['an array', '[]'],
  ])('%s: reported once, read as empty, rewritten whole at the next add', (_name, text) => {
    const path = tmp();
    fileCompileRecord(path, quiet).add(['seed'], 1); // creates the directory
    writeFileSync(path, text);
    const warnings: string[] = [];
    const r = fileCompileRecord(path, { ...quiet, warn: (l) => warnings.push(l) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(r.has('k')).toBe(false);
    r.add(['k'], 2);
    expect(warnings).toHaveLength(1);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    expect(Object.keys(file.kernels)).toEqual(['webgpu@t | k']);
  });

  it('with MESA_SHADER_CACHE_DISABLE Mesa keeps nothing: the record answers "not built" and writes nothing', () => {
    const path = tmp();
    fileCompileRecord(path, quiet).add(['k'], 1);
    const before = readFileSync(path, 'utf8');
    const r = fileCompileRecord(path, { ...quiet, env: { MESA_SHADER_CACHE_DISABLE: 'true' } });
    expect(r.has('k')).toBe(false);
    r.add(['j'], 1);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it(`keeps the newest ${MAX_RECORDED_KERNELS} kernels`, () => {
    const path = tmp();
    const r = fileCompileRecord(path, quiet);
    r.add(['oldest'], 1);
    r.add(
      Array.from({ length: MAX_RECORDED_KERNELS }, (_, i) => `k${i}`),
      1,
    );
    const again = fileCompileRecord(path, quiet);
    expect(again.has('oldest')).toBe(false);
    expect(again.has('k0')).toBe(true);
    expect(again.has(`k${MAX_RECORDED_KERNELS - 1}`)).toBe(true);
    expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).kernels)).toHaveLength(MAX_RECORDED_KERNELS);
  });
});

describe('VsmlEvaluator cell mapping', () => {
  const gpu = useGpu();
  let train: ImageSplit | undefined;
  const setup = async (over: Partial<TrainConfig> = {}) => {
    const config = validateTrainConfig({ ...presetConfig('tiny'), ...over });
    train ??= subsetSplit((await loadDataset(config.dataset)).train, config.trainSubset);
    const state = initStrategy(
      config.strategy,
      initMetaParams(config.learner, config.initSeed),
      config.seed,
      config.initSeed,
    );
    return { config, spec: strategyFor(state).ask(state) };
  };
  const run = async (config: TrainConfig, spec: PopulationSpec, opts: EvaluatorOptions, generations: number[]) => {
    const ev = new VsmlEvaluator(gpu(), config, train as ImageSplit, opts);
    const out: { gen: GenerationEval; mapping: string }[] = [];
    try {
      for (const g of generations) out.push({ gen: await ev.evaluate(spec, g), mapping: ev.mapping });
    } finally {
      ev.destroy();
    }
    return out;
  };
  const lavapipe = () => gpu().report.source === 'lavapipe';

  it("'rows' and 'columns' give the same fitness and metrics, bit for bit", async () => {
    const { config, spec } = await setup();
    const [rows] = await run(config, spec, { mapping: 'rows' }, [3]);
    const [cols] = await run(config, spec, { mapping: 'columns' }, [3]);
    expect([rows.mapping, cols.mapping]).toEqual(['rows', 'columns']);
    expect(bits(cols.gen.fitness)).toEqual(bits(rows.gen.fitness));
    for (const k of ['queryAccuracy', 'queryCrossEntropy', 'onlineCrossEntropy', 'onlineAccuracy'] as const)
      expect(bits(cols.gen.metrics[k]), k).toEqual(bits(rows.gen.metrics[k]));
    expect(new Set(Array.from(rows.gen.fitness)).size).toBeGreaterThan(1);
  });

  it("'auto' off lavapipe leaves the mapping to the planner and records nothing", async (ctx) => {
    if (lavapipe()) ctx.skip('lavapipe: the cases below cover it');
    const { config, spec } = await setup();
    const record = memoryCompileRecord();
    const added: string[] = [];
    const spy = { has: record.has, add: (keys: readonly string[]) => added.push(...keys) };
    const out = await run(config, spec, { compileRecord: spy }, [0, 1, 2]);
    expect(out.map((o) => o.mapping)).toEqual(['planner', 'planner', 'planner']);
    expect(added).toEqual([]);
  });

  it("lavapipe, 'auto': columns at once where this machine built them before ('columns' recorded them)", async (ctx) => {
    if (!lavapipe()) ctx.skip(`on ${gpu().report.source} the planner decides (case above)`);
    const { config, spec } = await setup();
    const record = memoryCompileRecord();
    const forced = await run(config, spec, { mapping: 'columns', compileRecord: record }, [0]);
    const notes: string[] = [];
    const auto = await run(config, spec, { compileRecord: record, onNote: (l) => notes.push(l) }, [0, 1]);
    expect(auto.map((o) => o.mapping)).toEqual(['columns', 'columns']);
    expect(notes).toEqual([
      'cell mapping: columns from generation 0 (their kernels were built on this machine before)',
    ]);
    expect(bits(auto[0].gen.fitness)).toEqual(bits(forced[0].gen.fitness));
  });

  it("lavapipe, 'auto', nothing built: rows for a short run; a long one moves after its first timed rows generation", async (ctx) => {
    if (!lavapipe()) ctx.skip(`on ${gpu().report.source} the planner decides`);
    const short = await setup();
    const shortRun = await run(short.config, short.spec, { compileRecord: memoryCompileRecord() }, [0, 1, 2, 3]);
    expect(shortRun.map((o) => o.mapping)).toEqual(['rows', 'rows', 'rows', 'rows']);
    // Generation 0 builds the row kernels, so generation 1 is the first timed one; with 2^31-1
    // generations any measurable rows time pays for the build at generation 2.
    const long = await setup({ generations: 2 ** 31 - 1 });
    const notes: string[] = [];
    const record = memoryCompileRecord();
    const longRun = await run(
      long.config,
      long.spec,
      { compileRecord: record, onNote: (l) => notes.push(l) },
      [0, 1, 2, 3],
    );
    expect(longRun.map((o) => o.mapping)).toEqual(['rows', 'rows', 'columns', 'columns']);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^cell mapping: columns from generation 2: building \d+ column kernel\(s\) once/);
    for (let i = 0; i < 4; i++)
      expect(bits(longRun[i].gen.fitness), `generation ${i}`).toEqual(bits(shortRun[i].gen.fitness));
    // What it built is recorded: a run after it moves at once.
    const next = await run(long.config, long.spec, { compileRecord: record }, [0]);
    expect(next[0].mapping).toBe('columns');
  });
});
