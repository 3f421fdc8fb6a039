/**
 * The VSML cell kernel: one workgroup steps one tile (TA inputs x TB outputs) of one learner's
 * layer for `ticks` ticks, for E examples (E = 1 when learning; E queries from the frozen state
 * when querying), and writes partial sums of h for the mean aggregations.
 *
 * GPU path ('workgroup' weights): the member's packed recurrent matrix (W_h, or V_h and U) is
 * staged in workgroup memory once per workgroup; the message terms are computed once per input
 * unit of the tile (W_f fwd_a) and once per output unit (W_b bwd_b + bias + gate offset), not once
 * per cell; each thread keeps its cell's h and c in registers (vec4 variables, unrolled tick)
 * across ticks and examples; the tile's h are summed in workgroup memory (fixed order).
 *
 * The fixed code is vsml-cell.wgsl; this file fills in the constants and generates the unrolled
 * tick (see cellKernelSource).
 *
 * CPU path ('private' weights, SwiftShader): workgroup-memory loads are gathers there and its
 * compile time grows with workgroup memory, so each thread copies the weights into a private array
 * once (constant-offset loads are plain vector loads), owns one input row a and steps the tile's
 * outputs one after the other; no workgroup memory, no barriers; row sums go straight to partB.
 * Input layers use its column mapping instead (LayerPlan.columns, issue 10): a thread owns one
 * output b, copies the weights once for all A cells of its column, keeps the message terms in
 * registers, sums h over a in registers (no partial-sum rows), and in a query batch loads
 * each cell once and reuses the first tick's recurrent product (it depends only on the stored h)
 * for every example, and applies the forward head itself (no partial sums, no heads dispatch).
 * Same operations in the same order as the row mapping: identical bits
 * (tests/vsml-columns.test.ts); 2.1x faster learning steps and 4x faster query batches for the
 * ordered preset on SwiftShader (docs/perf.md).
 * On lavapipe the planner gives input layers the row mapping (llvmpipe builds each column kernel
 * for 10-19 s, H 16 ones for about 40 s with LayerPlan.weightLoop; training moves to columns per
 * run: src/meta/cell-mapping.ts), and its query batches use LayerPlan.reuse (issue 20): cells
 * outside, examples inside, each cell loaded once and its first-tick recurrent product computed
 * once, in registers rather than the private gf/gt arrays; identical bits to the plain row loop.
 * Once training moves lavapipe to columns, its learning steps step LayerPlan.cellBlock (2) cells per
 * thread side by side, each weight vec4 loaded once for all of them (COL_LOOP below); same bits.
 *
 * Buffers (all [group learner]-major; tiled state layout: src/spec/plan.ts):
 *   pk     packed weights [member of group][PackedLayout.size] vec4
 *   fwdIn  input layer: x [Lg][E][A] f32;  other layers: forward messages [Lg][E][A][M]
 *   bwdIn  [Lg][B][M]  (ignored when P.zeroBwd != 0); CPU path: gb [Lg][B][RQ] vec4 from vsml-terms.ts
 *   partB  [Lg][E][aTiles][B][H/4] vec4: sum over the tile's a of h_ab (not on the column mapping)
 *   fwdOut, mp  column mapping: the forward messages [Lg][E][B][M] and the group's meta-parameters
 *   partA  [Lg][bTiles][A][H/4] vec4: sum over the tile's b of h_ab (learning, layers > 0 only)
 */
import { type LayerPlan, packedLayout } from '../spec/plan';
import { type VsmlConfig, metaParamLayout } from '../spec/vsml-config';
import { cachedProgram, type Program } from './program';
import template from './vsml-cell.wgsl?raw';
import { activationsWgsl, configKey } from './vsml-common';
import { fillWgsl, u } from '../wgsl/template';

export type CellMode = 'learn' | 'query';

export interface CellKernelSpec {
  config: VsmlConfig;
  layer: LayerPlan;
  mode: CellMode;
  /** Examples per learner in one dispatch (1 when learning). */
  examples: number;
}

/** Uniform block of the cell kernel, in u32 words (order = WGSL struct order). */
export const CELL_PARAMS = [
  'unitBase',
  'unitCount',
  'gridX',
  'firstLearner',
  'tasksPerMember',
  'firstMember',
  'zeroBwd',
  /** Column mapping: where the group's meta-parameters start in the bound range (its forward head's weights). */
  'paramShift',
] as const;

/** The row mapping's query batch with the first tick's product reused per cell (LayerPlan.reuse). */
const rowReuse = (lp: LayerPlan, mode: CellMode) =>
  lp.reuse && mode === 'query' && lp.weights === 'private' && !lp.columns;

/** Cells per thread the column mapping steps side by side: LayerPlan.cellBlock for learning steps of the full cell, else 1. */
const cellBlock = (c: VsmlConfig, lp: LayerPlan, mode: CellMode) =>
  lp.columns && mode === 'learn' && c.cell.kind !== 'lstm-lowrank' ? lp.cellBlock : 1;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export function cellProgram(spec: CellKernelSpec): Program<(typeof CELL_PARAMS)[number]> {
  const { config: c, layer: lp, mode, examples: E } = spec;
  const cb = cellBlock(c, lp, mode);
  const shape = `${lp.k}/${lp.A}x${lp.B}/${lp.TA}x${lp.TB}/${lp.NC}/wg${lp.threads}/${lp.weights}/${lp.isInput ? 'in' : ''}${lp.columns ? '/col' : ''}${lp.columns && lp.weightLoop ? '/wloop' : ''}${cb > 1 ? `/cb${cb}` : ''}${rowReuse(lp, mode) ? '/reuse' : ''}`;
  return cachedProgram(`vsml-cell/${configKey(c)}/${shape}/${mode}/E${E}`, () => ({
    label: `vsml-cell-${mode}-L${lp.k}`,
    code: cellKernelSource(spec),
    entryPoint: 'main',
    workgroupSize: lp.threads,
    uniforms: CELL_PARAMS,
  }));
}

/**
 * The WGSL of vsml-cell.wgsl with its constants and its generated part: the unrolled tick and the
 * per-quad register code. Unrolling is kept here because it measurably pays on SwiftShader (see
 * docs/perf.md): the cell's h, c live in vec4 registers and every weight index is a constant.
 */
export function cellKernelSource(spec: CellKernelSpec): string {
  const { config: c, layer: lp, mode, examples: E } = spec;
  const WG = lp.threads;
  const H = c.hidden;
  const H4 = H / 4;
  const lowRank = c.cell.kind === 'lstm-lowrank';
  const pk = packedLayout(c);
  const RQ = pk.rowQuads; // vec4 rows of the message terms: H (full: 4H rows) or rank/4
  const learn = mode === 'learn';
  const wantPartA = learn && !lp.isInput;
  const src = lp.weights;
  if (learn && E !== 1) throw new Error('learning steps one example per learner');
  if (lp.TBC * lp.NC !== lp.TB) throw new Error('cell tile does not match the thread layout');

  // ---- weight accessors (indices are compile-time constants after unrolling).
  // Weights needed per tick: the recurrent block, U and the gate constants (low-rank).
  const tickVec4s = pk.recSize + pk.uSize + (lowRank ? H : 0);
  const wIdx = (region: 'rec' | 'u' | 'cq', i: number) =>
    region === 'rec' ? i : region === 'u' ? pk.recSize + i : pk.recSize + pk.uSize + i;
  const pkIdx = (region: 'rec' | 'u' | 'cq', i: number) =>
    region === 'rec' ? pk.rec + i : region === 'u' ? pk.u + i : pk.cq + i;
  const W = (region: 'rec' | 'u' | 'cq', i: number) =>
    src === 'workgroup'
      ? `sW[${u(wIdx(region, i))}]`
      : src === 'private'
        ? `wp[${u(wIdx(region, i))}]`
        : `pk[pb + ${u(pkIdx(region, i))}]`;
  // Message terms of row quad qi: constant per (cell, example). Private mode keeps them in a private array.
  const GT = (qi: number) => (src === 'private' ? `gt[${u(qi)}]` : `(sGf[fo + ${u(qi)}] + sGb[bo + ${u(qi)}])`);

  // ---- the unrolled cell tick: h_j, c_q, n_q are the cell's quads.
  const quads = range(H4);
  /** target = base + (rows row0..row0+3 of matrix acc(row * n + j)) . vec(j). */
  const rowQuad = (
    target: string,
    base: string,
    acc: (idx: number) => string,
    row0: number,
    n: number,
    vec: (j: number) => string,
  ) => {
    const comps = range(4).map((k) =>
      range(n)
        .map((j) => `dot(${acc((row0 + k) * n + j)}, ${vec(j)})`)
        .join(' + '),
    );
    return `${target} = ${base} + vec4<f32>(\n          ${comps.join(',\n          ')});`;
  };
  let tick = '';
  if (lowRank) {
    for (const p of range(RQ)) {
      tick += `
        let v${p} = ${GT(p)} + vec4<f32>(\n          ${range(4)
          .map((k) => quads.map((j) => `dot(${W('rec', (4 * p + k) * H4 + j)}, h${j})`).join(' + '))
          .join(',\n          ')});`;
    }
  }
  const gates = ['pi', 'pf', 'pg', 'po'];
  /** The LSTM state update of quad q from the gates pi.. (names suffixed by s: one cell of a block). */
  const cellUpdate = (q: number, s = '') =>
    `c${q}${s} = sig4(pf${s}) * c${q}${s} + sig4(pi${s}) * tanh4(pg${s});
        n${q}${s} = sig4(po${s}) * tanh4(c${q}${s});`;
  for (const q of quads) {
    tick += `
        {`;
    for (const G of range(4)) {
      const qi = G * H4 + q;
      tick += `
        var ${gates[G]}: vec4<f32>;
        ${
          lowRank
            ? rowQuad(
                gates[G],
                W('cq', qi),
                (idx) => W('u', idx),
                G * H + 4 * q,
                RQ,
                (j) => `v${j}`,
              )
            : rowQuad(
                gates[G],
                GT(qi),
                (idx) => W('rec', idx),
                G * H + 4 * q,
                H4,
                (j) => `h${j}`,
              )
        }`;
    }
    tick += `
        ${cellUpdate(q)}
        }`;
  }
  // ---- the column mapping (CPU path, input layers): weights in `wp`, message terms in registers
  // gt0.., and the recurrent product of the first tick (it depends only on the stored h) computed
  // once per cell as k0.. and reused for every example of a query batch. Same operations, in the
  // same order, as the tick above: gate = (gf + gb) + vec4(dots), with gf = wf * x.
  const colW = (region: 'rec' | 'u' | 'cq', i: number) => `wp[${u(wIdx(region, i))}]`;
  const colGT = (qi: number) => `gt${qi}`;
  const dotsRow = (acc: (idx: number) => string, row0: number, n: number, vec: (j: number) => string) =>
    `vec4<f32>(\n          ${range(4)
      .map((k) =>
        range(n)
          .map((j) => `dot(${acc((row0 + k) * n + j)}, ${vec(j)})`)
          .join(' + '),
      )
      .join(',\n          ')})`;
  let colK = '';
  let colTickFirst = '';
  let colTick = '';
  const reuse = rowReuse(lp, mode);
  if (lp.columns || reuse) {
    const hsv = (j: number) => `hs${j}`;
    if (lowRank) {
      for (const p of range(RQ)) {
        colK += `
    let k${p} = ${dotsRow((idx) => colW('rec', idx), 4 * p, H4, hsv)};`;
        colTickFirst += `
        let v${p} = ${colGT(p)} + k${p};`;
        colTick += `
        let v${p} = ${colGT(p)} + ${dotsRow(
          (idx) => colW('rec', idx),
          4 * p,
          H4,
          (j) => `h${j}`,
        )};`;
      }
    }
    for (const q of quads) {
      colTickFirst += `
        {`;
      colTick += `
        {`;
      for (const G of range(4)) {
        const qi = G * H4 + q;
        if (lowRank) {
          const g = rowQuad(
            gates[G],
            colW('cq', qi),
            (idx) => colW('u', idx),
            G * H + 4 * q,
            RQ,
            (j) => `v${j}`,
          );
          colTickFirst += `
        var ${gates[G]}: vec4<f32>;
        ${g}`;
          colTick += `
        var ${gates[G]}: vec4<f32>;
        ${g}`;
        } else {
          colK += `
    let k${qi} = ${dotsRow((idx) => colW('rec', idx), G * H + 4 * q, H4, hsv)};`;
          colTickFirst += `
        var ${gates[G]}: vec4<f32>;
        ${gates[G]} = ${colGT(qi)} + k${qi};`;
          colTick += `
        var ${gates[G]}: vec4<f32>;
        ${rowQuad(
          gates[G],
          colGT(qi),
          (idx) => colW('rec', idx),
          G * H + 4 * q,
          H4,
          (j) => `h${j}`,
        )}`;
        }
      }
      const upd = `
        ${cellUpdate(q)}
        }`;
      colTickFirst += upd;
      colTick += upd;
    }
  }
  const tickIdx = (i: number) =>
    i < pk.recSize ? pk.rec + i : i < pk.recSize + pk.uSize ? pk.u + i - pk.recSize : pk.cq + i - pk.recSize - pk.uSize;
  const rqs = range(RQ);

  const hAt = (q: number) => u(q * lp.TT);
  const cAt = (q: number) => u((H4 + q) * lp.TT);
  const perQuad = (f: (q: number) => string, sep = '\n      ') => quads.map(f).join(sep);

  // The column mapping's per-example code, ticks unrolled. Learning steps (E = 1) are
  // straight-line code: on SwiftShader a loop around the cell costs more than its arithmetic
  // (docs/perf.md). Query batches keep a loop over e (unrolling it was slower, and slow to compile).
  // Raw-pixel query batches skip zero inputs (`skipZeros`): every example whose x_a is 0 gets the
  // same h from the frozen cell, computed once per cell as hz.. and added for each of them; the
  // others run in a loop over a bit mask of their e (E <= 32). SwiftShader runs both sides of a
  // branch but ends a loop when no lane has work left, so only the loop saves time (the 4 lanes
  // of a SIMD group are neighbouring b of one learner: same x, same mask). Same operations per
  // example, same order of the sums over a: identical bits (tests/vsml-columns.test.ts).
  const skipZeros = lp.columns && !learn && E > 1 && E <= 32 && !c.projection;
  let colExamples = '';
  if (lp.columns) {
    const nextH = quads.map((q) => `h${q} = n${q};`).join(' ');
    const cellFor = (x: string) => {
      let code = `
      let x = ${x};
      ${rqs.map((q) => `let gt${q} = wf${q} * x + gb${q};`).join('\n      ')}
      ${quads.map((q) => `var h${q} = hs${q}; var c${q} = cs${q}; var n${q}: vec4<f32>;`).join(' ')}
      {${colTickFirst}
      }
      ${nextH}`;
      // Each tick in its own scope (the low-rank tick declares v0..).
      for (let t = 1; t < c.ticks; t++)
        code += `
      {${colTick}
      }
      ${nextH}`;
      return code;
    };
    if (learn) {
      colExamples = `{${cellFor('fwdIn[lg * A + a]')}
      ${perQuad((q) => `state[sb + ${hAt(q)}] = h${q}; state[sb + ${cAt(q)}] = c${q};`)}
      ${quads.map((q) => `s${q} += h${q};`).join(' ')}
    }`;
    } else if (!skipZeros) {
      colExamples = `for (var e = 0u; e < E; e++) {${cellFor('fwdIn[(lg * E + e) * A + a]')}
      ${quads.map((q) => `acc[e * H4 + ${u(q)}] += h${q};`).join(' ')}
    }`;
    } else {
      // Sums per example in registers r<e>_<q> (constant indices: a dynamically indexed private
      // array costs more than the cell itself on SwiftShader); the nonzero examples as a bit mask.
      const es = range(E);
      colExamples = `${quads.map((q) => `var hz${q}: vec4<f32>;`).join(' ')}
    {${cellFor('0.0')}
      ${quads.map((q) => `hz${q} = h${q};`).join(' ')}
    }
    var mask = 0u;
    ${es
      .map(
        (e) => `{
      let zero = fwdIn[(lg * E + ${u(e)}) * A + a] == 0.0;
      mask |= select(${u(2 ** e)}, 0u, zero);
      ${quads.map((q) => `r${e}_${q} = select(r${e}_${q}, r${e}_${q} + hz${q}, zero);`).join(' ')}
    }`,
      )
      .join('\n    ')}
    loop {
      if (mask == 0u) { break; }
      let e = firstTrailingBit(mask);
      mask &= mask - 1u;${cellFor('fwdIn[(lg * E + e) * A + a]')}
      ${es.map((e) => quads.map((q) => `r${e}_${q} = select(r${e}_${q}, r${e}_${q} + h${q}, e == ${u(e)});`).join(' ')).join('\n      ')}
    }`;
    }
  }
  // The column mapping's loop over a. With LayerPlan.cellBlock = CB > 1 (learning steps, full
  // cell), CB consecutive cells a..a+CB-1 are stepped side by side: each weight vec4 is loaded
  // once and used for all CB cells' dots (register blocking across cells: fewer loads per FMA
  // on a CPU, where the weights cannot stay in registers). Every cell's sums are the same
  // expressions in the same order as the single-cell code (first tick from the stored h, as
  // k.. is), and s.. adds h of a, a+1, .. in order: identical bits (tests/vsml-columns.test.ts).
  const CB = cellBlock(c, lp, mode);
  const singleLoop = (from: number) => `for (var a = ${u(from)}; a < A; a++) {
    let sb = unit * UNIT_VEC4S + a * TB + tb;
    ${perQuad((q) => `let hs${q} = state[sb + ${hAt(q)}]; let cs${q} = state[sb + ${cAt(q)}];`, '\n    ')}${colK}
    ${colExamples}
  }`;
  let colLoop = '';
  if (lp.columns) {
    if (CB <= 1) colLoop = singleLoop(0);
    else {
      const cells = range(CB);
      const full = lp.A - (lp.A % CB);
      let tickB = '';
      for (const q of quads) {
        tickB += `
        {`;
        for (const G of range(4)) {
          for (const k of range(4)) {
            const row = G * H + 4 * q + k;
            for (const j of quads) {
              tickB += `
        let w${G}${k}${j} = wp[${u(row * H4 + j)}]; ${cells
          .map((i) =>
            j === 0
              ? `var d${G}${k}_${i} = dot(w${G}${k}${j}, h${j}_${i});`
              : `d${G}${k}_${i} = d${G}${k}_${i} + dot(w${G}${k}${j}, h${j}_${i});`,
          )
          .join(' ')}`;
            }
          }
        }
        tickB += `
        ${cells
          .map((i) =>
            range(4)
              .map(
                (G) =>
                  `let ${gates[G]}_${i} = gt${G * H4 + q}_${i} + vec4<f32>(${range(4)
                    .map((k) => `d${G}${k}_${i}`)
                    .join(', ')});`,
              )
              .join(' '),
          )
          .join('\n        ')}
        ${cells.map((i) => cellUpdate(q, `_${i}`)).join('\n        ')}
        }`;
      }
      const nextHB = cells.map((i) => quads.map((q) => `h${q}_${i} = n${q}_${i};`).join(' ')).join(' ');
      let body = cells
        .map(
          (i) => `
    let sb_${i} = unit * UNIT_VEC4S + (a + ${u(i)}) * TB + tb;
    let x_${i} = fwdIn[lg * A + a + ${u(i)}];
    ${rqs.map((q) => `let gt${q}_${i} = wf${q} * x_${i} + gb${q};`).join(' ')}
    ${quads.map((q) => `var h${q}_${i} = state[sb_${i} + ${hAt(q)}]; var c${q}_${i} = state[sb_${i} + ${cAt(q)}]; var n${q}_${i}: vec4<f32>;`).join(' ')}`,
        )
        .join('');
      for (let t = 0; t < c.ticks; t++)
        body += `
    {${tickB}
    }
    ${nextHB}`;
      body += cells
        .map(
          (i) => `
    ${perQuad((q) => `state[sb_${i} + ${hAt(q)}] = h${q}_${i}; state[sb_${i} + ${cAt(q)}] = c${q}_${i};`)}
    ${quads.map((q) => `s${q} += h${q}_${i};`).join(' ')}`,
        )
        .join('');
      colLoop = `for (var a = 0u; a < ${u(full)}; a += ${u(CB)}) {${body}
  }`;
      if (full < lp.A)
        colLoop += `
  ${singleLoop(full)}`;
    }
  }
  // The column mapping's forward head (what vsml-heads does for the other mappings): its thread
  // holds the sum over a of h for its output b, so it applies fwdOut = Wf (sum / A) + bf itself.
  // The heads kernel's expression with one partial row: (0 + sum) / A, then the bias plus the
  // dot products in quad order; the weights are read once per thread. Same bits
  // (tests/vsml-columns.test.ts compares with the row mapping, which keeps the heads kernel).
  const ml = metaParamLayout(c);
  const ms = range(c.message);
  const headWeights = `let hpb = ((P.firstLearner + lg) / P.tasksPerMember) * ${u(ml.size)} - P.paramShift;
  ${ms
    .map(
      (m) =>
        `let hb${m} = mp[hpb + ${u(ml.get('head.fwd.b').offset + m)}]; ${quads
          .map((q) => {
            const w = ml.get('head.fwd.W').offset + m * H + 4 * q;
            return `let hw${m}_${q} = vec4<f32>(${range(4)
              .map((k) => `mp[hpb + ${u(w + k)}]`)
              .join(', ')});`;
          })
          .join(' ')}`,
    )
    .join('\n  ')}`;
  const forwardHead = (sum: (q: number) => string, e: string) => `
  {
    ${quads.map((q) => `let hm${q} = (vec4<f32>(0.0) + ${sum(q)}) / f32(A);`).join(' ')}
    let o = ((lg * E + ${e}) * B + b) * M;
    ${ms
      .map(
        (m) =>
          `var y${m} = hb${m}; ${quads.map((q) => `y${m} += dot(hw${m}_${q}, hm${q});`).join(' ')} fwdOut[o + ${u(m)}] = y${m};`,
      )
      .join('\n    ')}
  }`;
  // The row mapping's query batch with reuse: cells outside, examples inside. Per example the same
  // operations as the plain row loop (gt = gf + gb, then the tick with gt + dots): the first tick's
  // dots are the column mapping's k.., computed once per cell from the stored h.
  let rowReuseBody = '';
  if (reuse) {
    const nextH = quads.map((q) => `h${q} = n${q};`).join(' ');
    const gf = (q: number) =>
      lp.isInput
        ? `pk[pb + ${u(pk.wf + q * c.message)}] * fwdIn[(lg * E + e) * A + a]`
        : `fwd_term(pb, ${u(q)}, ((lg * E + e) * A + a) * M)`;
    let ticks = `
      {${colTickFirst}
      }
      ${nextH}`;
    for (let t = 1; t < c.ticks; t++)
      ticks += `
      {${colTick}
      }
      ${nextH}`;
    const body = `
      ${rqs.map((q) => `let gf${q} = ${gf(q)};`).join('\n      ')}
      ${rqs.map((q) => `let gt${q} = gf${q} + gq${q};`).join('\n      ')}
      ${quads.map((q) => `var h${q} = hs${q}; var c${q} = cs${q}; var n${q}: vec4<f32>;`).join(' ')}${ticks}
      ${perQuad((q) => `partB[(((lg * E + e) * A + a) * B + b) * H4 + ${u(q)}] = h${q};`, '\n      ')}`;
    rowReuseBody = `for (var ci = 0u; ci < nB; ci++) {
    let b = bTile * TB + ci;
    let sb = unit * UNIT_VEC4S + ta * TB + ci;
    ${rqs.map((q) => `let gq${q} = gb[(lg * B + b) * RQ + ${u(q)}];`).join('\n    ')}
    ${perQuad((q) => `let hs${q} = state[sb + ${hAt(q)}]; let cs${q} = state[sb + ${cAt(q)}];`, '\n    ')}${colK}
    for (var e = 0u; e < E; e++) {${body}
    }
  }`;
  }
  return fillWgsl(
    template,
    {
      H4: u(H4),
      H4_N: H4,
      M: u(c.message),
      A: u(lp.A),
      B: u(lp.B),
      TA: u(lp.TA),
      TB: u(lp.TB),
      TT: u(lp.TT),
      BTILES: u(lp.bTiles),
      ATILES: u(lp.aTiles),
      TBC: u(lp.TBC),
      UNITS_PER_LEARNER: u(lp.unitsPerLearner),
      UNIT_VEC4S: u(lp.unitVec4s),
      RQ: u(RQ),
      RQ_N: RQ,
      PV: u(pk.size),
      E: u(E),
      TICKS: u(c.ticks),
      WG,
      WG_U: u(WG),
      REC_SIZE: u(pk.recSize),
      REC_U_SIZE: u(pk.recSize + pk.uSize),
      OFF_REC: u(pk.rec),
      OFF_U: u(pk.u),
      OFF_WF: u(pk.wf),
      OFF_WB: u(pk.wb),
      OFF_CQ: u(pk.cq),
      TICK_VEC4S: tickVec4s,
      TICK_VEC4S_U: u(tickVec4s),
      SGF_N: lp.TA * RQ,
      SGB_N: lp.TB * RQ,
      SH_N: lp.TT * H4,
      ACTIVATIONS: activationsWgsl,
      LEARN: learn,
      // The row mapping reads the backward terms from vsml-terms; the column mapping computes its
      // output's terms itself (bwd_term, the same operations) and binds bwdIn instead.
      PRIVATE: src === 'private' && !lp.columns,
      WORKGROUP: src === 'workgroup',
      LOW_RANK: lowRank,
      IS_INPUT: lp.isInput,
      PART_A: wantPartA,
      // Generated per-quad code.
      TICK: tick,
      NEXT_H: quads.map((q) => `h${q} = n${q};`).join(' '),
      LOAD_CELL: perQuad(
        (q) => `var h${q} = state[sb + ${hAt(q)}]; var c${q} = state[sb + ${cAt(q)}]; var n${q}: vec4<f32>;`,
      ),
      WRITE_PART_B: perQuad((q) => `partB[(((lg * E + e) * A + a) * B + b) * H4 + ${u(q)}] = h${q};`),
      STORE_STATE: perQuad((q) => `state[sb + ${hAt(q)}] = h${q}; state[sb + ${cAt(q)}] = c${q};`),
      SUM_HS: quads.map((q) => `hs[${q}] += h${q};`).join(' '),
      DECL_ST: quads.map((q) => `var s${q} = vec4<f32>(0.0); var t${q} = vec4<f32>(0.0);`).join(' '),
      LOAD_ST: perQuad((q) => `s${q} = state[sb + ${hAt(q)}]; t${q} = state[sb + ${cAt(q)}];`, '\n    '),
      INIT_HC: quads.map((q) => `var h${q} = s${q}; var c${q} = t${q}; var n${q}: vec4<f32>;`).join(' '),
      WRITE_SH: quads.map((q) => `sH[lid * H4 + ${u(q)}] = h${q};`).join(' '),
      COLUMNS: lp.columns,
      ROW_REUSE: reuse,
      ROW_REUSE_BODY: rowReuseBody,
      COL_LOAD_W: lp.weightLoop
        ? `for (var i = 0u; i < ${u(tickVec4s)}; i += 1u) { wp[i] = tick_weight(pb, i); }`
        : range(tickVec4s)
            .map((i) => `wp[${u(i)}] = pk[pb + ${u(tickIdx(i))}];`)
            .join('\n  '),
      COL_LOAD_TERMS: rqs
        .map((q) => `let wf${q} = pk[pb + ${u(pk.wf + q * c.message)}]; let gb${q} = bwd_term(pb, ${u(q)}, lg, b);`)
        .join('\n  '),
      COL_LOOP: colLoop,
      // Learning steps sum h in s0..; query batches (a batch of one too) in acc or r<e>_<q>.
      COL_DECL_SUM: learn
        ? quads.map((q) => `var s${q} = vec4<f32>(0.0);`).join(' ')
        : skipZeros
          ? range(E)
              .map((e) => quads.map((q) => `var r${e}_${q} = vec4<f32>(0.0);`).join(' '))
              .join('\n  ')
          : `var acc: array<vec4<f32>, ${E * H4}>;`,
      COL_WRITE: !lp.columns
        ? ''
        : `${headWeights}
  ${
    learn
      ? forwardHead((q) => `s${q}`, '0u')
      : skipZeros
        ? range(E)
            .map((e) => forwardHead((q) => `r${e}_${q}`, u(e)))
            .join('\n  ')
        : `for (var e = 0u; e < E; e++) {${forwardHead((q) => `acc[e * H4 + ${u(q)}]`, 'e')}\n  }`
  }`,
    },
    'vsml-cell',
  );
}
