/**
 * Saved parameters that are valid JSON but decode to NaN / Infinity are refused where the file is
 * read, naming the first bad index (checkpoints: --resume, bench --checkpoint; evolve:rule states;
 * rule files); a bare NaN literal is reported as invalid JSON naming the literal, and only a file
 * that ends early is called possibly truncated.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type Checkpoint } from '../src/meta/checkpoint';
import { describeJsonError, firstNonFinite, nonFiniteInState, nonFiniteLiteral } from '../src/meta/finite';
import { initRuleEs, parseRuleEsState, parseRuleFile, RULE_ES_DEFAULTS } from '../src/meta/rule-es';
import { stringifyState } from '../src/meta/serialize';
import { initStrategy } from '../src/meta/strategies';
import { presetConfig } from '../src/meta/train-config';

const dir = mkdtempSync(join(tmpdir(), 'vsml-finite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checkpoint(metaParams: Float32Array): Checkpoint {
  const config = presetConfig('tiny');
  const strategy = initStrategy(config.strategy, new Float32Array(metaParams.length).fill(0.5), 1);
  return {
    format: 'vsml-meta-checkpoint',
    version: 1,
    generation: 0,
    config,
    strategy,
    metaParams,
    learner: config.learner,
    deployLearner: config.learner,
    elapsedMs: 0,
    savedAt: 'now',
  };
}

const cli = (script: string, args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--import', './src/node/register-raw.mjs', script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('finite parameters', () => {
  it('finds the first non-finite value and literal', () => {
    expect(firstNonFinite([1, 2, 3])).toBe(-1);
    expect(firstNonFinite(Float32Array.of(0, Infinity, NaN))).toBe(1);
    expect(nonFiniteInState({ a: { b: [1, Float64Array.of(0, 0, -Infinity)] }, c: Float32Array.of(NaN) })).toBe(
      'a.b[1][2] is -Infinity (the first non-finite of 3 values)',
    );
    expect(nonFiniteInState({ x: NaN, y: Float32Array.of(1) })).toBeNull(); // plain numbers are the validators' business
    expect(nonFiniteLiteral('{"a": "NaN", "b": [1,\n  -Infinity]}')).toEqual({
      token: '-Infinity',
      line: 2,
      column: 3,
    });
    expect(nonFiniteLiteral('{"xNaN": 1, "s": "\\"NaN"}')).toBeNull();
  });

  it('describes JSON errors: a non-finite literal is not "truncated"', () => {
    const err = (t: string) => {
      try {
        JSON.parse(t);
      } catch (e) {
        return describeJsonError(t, e);
      }
      throw new Error('parsed');
    };
    expect(err('{"a": [1, NaN]}')).toBe(
      'invalid JSON: non-finite literal NaN at line 1, column 11 (JSON has no NaN or Infinity)',
    );
    expect(err('{"a": [1, 2')).toMatch(/may be truncated/);
    expect(err('{"a": [1, 2]}}')).toMatch(/^invalid JSON \(/);
  });

  it('decodeCheckpoint refuses NaN parameters (base64) naming the index, and NaN literals as invalid JSON', () => {
    const good = encodeCheckpoint(checkpoint(new Float32Array(6).fill(0.25)));
    expect(decodeCheckpoint(good).metaParams).toHaveLength(6);
    const p = new Float32Array(6).fill(0.25);
    p[4] = NaN;
    expect(() => decodeCheckpoint(encodeCheckpoint(checkpoint(p)), 'nan.json')).toThrow(
      /nan\.json: metaParams\[4\] is NaN/,
    );
    // The strategy state too (it is what a resumed run continues from).
    const c = checkpoint(new Float32Array(6).fill(0.25));
    (c.strategy as { theta: Float32Array }).theta[2] = Infinity;
    expect(() => decodeCheckpoint(encodeCheckpoint(c))).toThrow(/strategy\.theta\[2\] is Infinity/);
    const literal = good.replace('"generation":0', '"generation":0,"x":NaN');
    expect(() => decodeCheckpoint(literal, 'lit.json')).toThrow(CheckpointError);
    expect(() => decodeCheckpoint(literal, 'lit.json')).toThrow(
      /lit\.json: invalid JSON: non-finite literal NaN at line 1/,
    );
    expect(() => decodeCheckpoint(good.slice(0, 100), 'cut.json')).toThrow(/may be truncated/);
  });

  it('npm run train -- --resume refuses a NaN checkpoint before training (exit 1, index named)', () => {
    const p = new Float32Array(6).fill(0.25);
    p[3] = NaN;
    const file = join(dir, 'run', 'checkpoint.json');
    mkdirSync(join(dir, 'run'), { recursive: true });
    writeFileSync(file, encodeCheckpoint(checkpoint(p)));
    const r = cli('src/cli/train.ts', ['--resume', file, '--quiet']);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/metaParams\[3\] is NaN/);
    expect(r.stdout).not.toMatch(/Finished|Stopped/);
  }, 60_000);

  it('evolve:rule --resume refuses a NaN state, naming the index', () => {
    const state = initRuleEs(RULE_ES_DEFAULTS);
    expect(parseRuleEsState(stringifyState(state), 's')).toMatchObject({ format: 'vsml-rule-es' });
    state.es.theta[7] = NaN;
    const text = stringifyState(state);
    expect(() => parseRuleEsState(text, 's.json')).toThrow(/s\.json: es\.theta\[7\] is NaN/);
    const out = join(dir, 'rule-es');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'state.json'), text);
    const r = cli('src/cli/evolve-rule.ts', ['--resume', '--out', out]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/es\.theta\[7\] is NaN/);
  }, 60_000);

  it('rule files: an infinite value names its term, a NaN literal is invalid JSON', () => {
    const rule = {
      k: 1,
      l: 1,
      m: 3,
      beta: 2,
      lambda: 600,
      ink: [
        { a: 1, b: 1, w: 1, c: 1, gamma: 1 },
        { a: 1, b: 1, w: 1, c: 1, gamma: 1 },
      ],
    };
    const text = JSON.stringify({ format: 'vsml-class-mean-rule', version: 1, rule });
    expect(parseRuleFile(text, 'r')).toEqual(rule);
    expect(() => parseRuleFile(text.replace(/"gamma":1}]/, '"gamma":1e999}]'), 'r')).toThrow(
      /r: rule\.ink\[1\]\.gamma must be a finite number/,
    );
    expect(() => parseRuleFile(text.replace('"lambda":600', '"lambda":NaN'), 'r')).toThrow(
      /r: invalid JSON: non-finite literal NaN/,
    );
  });
});
