/** VSML configuration schema, meta-parameter layout, planning and cost model (no GPU). */
import { describe, expect, it } from 'vitest';
import { vsmlCost } from '../src/spec/cost-model';
import { packedLayout, planLayers, planPopulation, stateVec4Index } from '../src/spec/plan';
import {
  DEFAULT_VSML_CONFIG,
  VsmlConfigError,
  initMetaParams,
  metaParamLayout,
  validateVsmlConfig,
} from '../src/spec/vsml-config';
import { packMember } from '../src/kernels/vsml-pack';

describe('validateVsmlConfig', () => {
  it('fills defaults: 784 -> 10, H 16, M 8, 2 ticks, full LSTM', () => {
    const c = validateVsmlConfig({});
    expect(c).toEqual({ ...DEFAULT_VSML_CONFIG });
    expect(c.layers).toEqual([784, 10]);
  });

  it('accepts deeper stacks, the low-rank cell and a projection', () => {
    const c = validateVsmlConfig({
      layers: [64, 32, 10],
      projection: true,
      cell: { kind: 'lstm-lowrank', rank: 4 },
      labelFeeding: true,
    });
    expect(c.inputSize).toBe(784);
    expect(c.cell).toEqual({ kind: 'lstm-lowrank', rank: 4 });
  });

  const bad: [string, unknown, string][] = [
    ['unknown field', { hiden: 16 }, 'hiden'],
    ['non-integer hidden', { hidden: 7.5 }, 'hidden'],
    ['hidden not a multiple of 4', { hidden: 6 }, 'hidden'],
    ['one layer size only', { layers: [784] }, 'layers'],
    ['input size mismatch without projection', { inputSize: 784, layers: [100, 10] }, 'layers[0]'],
    ['single class', { layers: [784, 1] }, 'layers[1]'],
    ['label feeding with M = 1', { message: 1, labelFeeding: true }, 'labelFeeding'],
    ['readout component outside the message', { message: 2, readout: { component: 2 } }, 'readout.component'],
    ['bad cell kind', { cell: { kind: 'gru' } }, 'cell.kind'],
    ['rank too large', { cell: { kind: 'lstm-lowrank', rank: 1000 } }, 'cell.rank'],
    ['negative bound', { readout: { component: 1, bound: -1 } }, 'readout.bound'],
    ['ticks 0', { ticks: 0 }, 'ticks'],
  ];
  for (const [what, obj, field] of bad) {
    it(`refuses ${what}, naming '${field}'`, () => {
      let err: unknown;
      try {
        validateVsmlConfig(obj);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VsmlConfigError);
      expect((err as VsmlConfigError).field).toBe(field);
      expect((err as Error).message).toContain(field);
    });
  }
});

describe('meta-parameter layout', () => {
  it('default full cell: 2,112 LSTM + 272 head parameters = 2,384', () => {
    const l = metaParamLayout(validateVsmlConfig({}));
    expect(l.size).toBe(2384);
    expect(l.get('lstm.W').size + l.get('lstm.b').size).toBe(2112);
    expect(
      l.get('head.fwd.W').size + l.get('head.fwd.b').size + l.get('head.bwd.W').size + l.get('head.bwd.b').size,
    ).toBe(272);
  });

  it('segments are contiguous and cover D; the low-rank cell has U and V instead of W', () => {
    for (const cfg of [{}, { cell: { kind: 'lstm-lowrank', rank: 3 } }, { hidden: 8, message: 3 }]) {
      const l = metaParamLayout(validateVsmlConfig(cfg));
      let off = 0;
      for (const s of l.segments) {
        expect(s.offset).toBe(off);
        expect(s.size).toBe(s.rows * s.cols);
        off += s.size;
      }
      expect(off).toBe(l.size);
    }
    const lr = metaParamLayout(validateVsmlConfig({ cell: { kind: 'lstm-lowrank', rank: 4 } }));
    expect(lr.get('lstm.U').size).toBe(64 * 4);
    expect(lr.get('lstm.V').size).toBe(4 * 32);
    expect(() => lr.get('lstm.W')).toThrow(/does not exist/);
  });

  it('initMetaParams is deterministic, zero biases, scaled normals elsewhere', () => {
    const c = validateVsmlConfig({});
    const a = initMetaParams(c, 5);
    expect(initMetaParams(c, 5)).toEqual(a);
    expect(initMetaParams(c, 6)).not.toEqual(a);
    const l = metaParamLayout(c);
    const b = l.get('lstm.b');
    expect([...a.subarray(b.offset, b.offset + b.size)].every((v) => v === 0)).toBe(true);
    const w = l.get('lstm.W');
    let s2 = 0;
    for (let i = w.offset; i < w.offset + w.size; i++) s2 += a[i] * a[i];
    // Sample variance of 2048 normals with variance 1/32: within 5 standard errors.
    expect(Math.abs(s2 / w.size - 1 / 32)).toBeLessThan((5 * Math.sqrt(2 / w.size)) / 32);
  });
});

describe('packed weights (TypeScript twin of the pack kernel)', () => {
  it('places W_h rows, message columns and bias + gate offsets where the cell kernel reads them', () => {
    const c = validateVsmlConfig({ hidden: 8, message: 3, layers: [784, 10] });
    const p = Float32Array.from({ length: metaParamLayout(c).size }, (_, i) => i);
    const pk = packedLayout(c);
    const out = packMember(c, p);
    const W = metaParamLayout(c).get('lstm.W').offset;
    const Z = 2 * 3 + 8;
    // rec: row 5, quad 1 = W[5][2M + 4..8]
    expect([...out.subarray((pk.rec + 5 * 2 + 1) * 4, (pk.rec + 5 * 2 + 2) * 4)]).toEqual(
      [0, 1, 2, 3].map((k) => W + 5 * Z + 6 + 4 + k),
    );
    // wb: quad 2 (rows 8..11), column 1 = W[8..11][M + 1]
    expect([...out.subarray((pk.wb + 2 * 3 + 1) * 4, (pk.wb + 2 * 3 + 2) * 4)]).toEqual(
      [0, 1, 2, 3].map((k) => W + (8 + k) * Z + 3 + 1),
    );
    // cq: rows 0..3 are input gates (-5), rows 8..11 forget gates (+5)
    const bias = metaParamLayout(c).get('lstm.b').offset;
    expect(out[(pk.cq + 0) * 4]).toBe(bias - 5);
    expect(out[(pk.cq + 2) * 4 + 1]).toBe(bias + 9 + 5);
    expect(out[(pk.cq + 4) * 4]).toBe(bias + 16);
  });
});

describe('planning', () => {
  const limits = { maxBinding: 1 << 27, maxSharedBytes: 16384, maxWorkgroupsPerDimension: 65535 };

  it('state layout: every (a, b, quad) of a learner has its own vec4, tile by tile', () => {
    const c = validateVsmlConfig({ layers: [37, 23, 10], hidden: 8 });
    for (const weights of ['workgroup', 'private'] as const) {
      for (const lp of planLayers(c, limits, { weights })) {
        const seen = new Set<number>();
        for (let a = 0; a < lp.A; a++)
          for (let b = 0; b < lp.B; b++) for (let q = 0; q < 4; q++) seen.add(stateVec4Index(lp, a, b, q));
        expect(seen.size).toBe(lp.A * lp.B * 4);
        expect(Math.max(...seen)).toBeLessThan(lp.unitsPerLearner * lp.unitVec4s);
        expect(lp.TB * lp.bTiles).toBeGreaterThanOrEqual(lp.B);
        if (weights === 'workgroup') expect(lp.sharedBytes).toBeLessThanOrEqual(16384);
      }
    }
  });

  it('the default layer fits 16 KiB of workgroup memory with staged weights', () => {
    const [lp] = planLayers(validateVsmlConfig({}), limits, { weights: 'workgroup' });
    expect(lp.weights).toBe('workgroup');
    expect(lp.TA * lp.TB).toBeLessThanOrEqual(64);
  });

  it('splits learners into groups and states into slabs under a small binding limit', () => {
    const c = validateVsmlConfig({ layers: [784, 10] });
    // 256 learners: the private path's input layer (one column per thread) keeps only one partial-sum
    // row per output, so a 1 MiB binding holds about a hundred learners' per-learner buffers.
    const p = planPopulation(
      c,
      256,
      { ...limits, maxBinding: 1 << 20 },
      { queryBatch: 16, stepsPerSubmit: 8, queryLength: 100, cell: { weights: 'private' } },
    );
    expect(p.groups.length).toBeGreaterThan(1);
    expect(p.groups.reduce((s, g) => s + g.count, 0)).toBe(256);
    for (const g of p.groups) {
      const units = g.slabs[0].reduce((s, [, n]) => s + n, 0);
      expect(units).toBe(g.count * p.layers[0].unitsPerLearner);
      for (const [, n] of g.slabs[0]) expect(n * p.layers[0].unitVec4s * 16).toBeLessThanOrEqual(1 << 20);
    }
  });
});

describe('column layers: workgroup size from the learner count', () => {
  const limits = { maxBinding: 1 << 27, maxSharedBytes: 16384, maxWorkgroupsPerDimension: 65535 };
  const c = validateVsmlConfig({ layers: [784, 10] });
  const plan = (learners: number, maxWorkgroupsPerDimension = 65535, cfg = c) =>
    planPopulation(
      cfg,
      learners,
      { ...limits, maxWorkgroupsPerDimension },
      { queryBatch: 16, stepsPerSubmit: 8, queryLength: 100, cell: { weights: 'private' } },
    ).layers[0];
  it('shrinks to at least 8 workgroups of no fewer than 4 threads, and never past the dispatch grid', () => {
    expect(plan(1).threads).toBe(4); // 10 threads: 3 workgroups of 4 (4 is the floor)
    expect(plan(4).threads).toBe(4); // 40 threads: 10 workgroups
    expect(plan(16).threads).toBe(16); // 160 threads: 10 workgroups
    expect(plan(66).threads).toBe(64); // 660 threads: 11 workgroups of 64 already
    // 16 -> 10, 4 learners in a 2 x 2 grid: 40 threads as 3 workgroups of 16, not 5 of 8.
    expect(plan(4, 2, validateVsmlConfig({ layers: [16, 10], hidden: 4, message: 2 })).threads).toBe(16);
    for (const l of [1, 4, 16, 66]) expect(plan(l).columns).toBe(true);
  });
});

describe('cost model', () => {
  it('default: ~38 MFLOP per learning example (72 MFLOP naive), 1 MB of state, 2,384 x 4 + seed bytes', () => {
    const c = validateVsmlConfig({});
    const cost = vsmlCost(c);
    // Cell tick: 4H rows x (2H + 2) + H x 15 = 64 * 34 + 240 = 2,416 FLOPs; 7,840 cells x 2 ticks.
    expect(cost.layers[0].cellTickFlops).toBe(64 * 34 + 16 * 15);
    expect(cost.flopsPerLearnExample).toBeGreaterThan(7840 * 2 * 2416);
    expect(cost.flopsPerLearnExample).toBeLessThan(7840 * 2 * 2416 * 1.1);
    expect(cost.naiveFlopsPerLearnExample / 1e6).toBeGreaterThan(70);
    expect(cost.naiveFlopsPerLearnExample / 1e6).toBeLessThan(80);
    expect(cost.stateBytes).toBe(7840 * 32 * 4 + 10 * 8 * 4);
    expect(cost.metaParamBytes).toBe(2384 * 4);
    expect(cost.algorithmBytes).toBe(2384 * 4 + 4);
    expect(cost.flopsPerQueryExample).toBeLessThan(cost.flopsPerLearnExample);
  });

  it('low-rank cells are several times cheaper per tick; a projection adds its seed and its FLOPs', () => {
    const full = vsmlCost(validateVsmlConfig({}));
    const lr = vsmlCost(validateVsmlConfig({ cell: { kind: 'lstm-lowrank', rank: 4 } }));
    expect(full.layers[0].cellTickFlops / lr.layers[0].cellTickFlops).toBeGreaterThan(2.5);
    const proj = vsmlCost(validateVsmlConfig({ projection: true, layers: [64, 10] }));
    expect(proj.inputFlops).toBe(784 + 2 * 784 * 64);
    expect(proj.algorithmBreakdown.map((b) => b.name)).toContain('projection seed');
    const deep = vsmlCost(validateVsmlConfig({ layers: [784, 32, 10] }));
    expect(deep.stateBytes).toBe((784 * 32 + 32 * 10) * 32 * 4 + 32 * 8 * 4 + 10 * 8 * 4);
    // The backward aggregation exists for the second layer only, when learning.
    expect(deep.layers[1].learnFlops).toBeGreaterThan(deep.layers[1].queryFlops);
    expect(deep.layers[0].learnFlops).toBe(deep.layers[0].queryFlops);
  });
});
