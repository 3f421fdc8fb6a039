/**
 * The closed-form validation of the class-mean rule (src/meta/rule-fit.ts) against the rule run
 * example by example (ClassMeanDirect, which tests/class-mean-rule.test.ts ties to the float64
 * and GPU learners), the ink-term ES's determinism and resume, and rule files. CPU only; the
 * random draws are Philox streams from the fixed seeds below.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadVsmlSpec } from '../src/bench/vsml-adapter';
import { type ImageSplit, indicesByClass, subsetSplit } from '../src/data/dataset';
import { loadDataset } from '../src/data/load-node';
import { CLASS_MEAN_RULE, ClassMeanDirect, classMeanRuleParams } from '../src/inner/rules/class-mean';
import { validateVsmlConfig } from '../src/spec/vsml-config';
import {
  evolvedRule,
  inkFromTheta,
  initRuleEs,
  parseRuleFile,
  RULE_ES_DEFAULTS,
  ruleEsGeneration,
} from '../src/meta/rule-es';
import { buildRuleValidation, readoutScore, ruleLogits } from '../src/meta/rule-fit';
import { parseState, stringifyState } from '../src/meta/serialize';
import { INK, INK_RULE } from './helpers/ink-rule';

const cfg = validateVsmlConfig({ layers: [784, 10], hidden: 8, message: 2, ticks: 1, labelFeeding: true });
let train: ImageSplit;
let full: ImageSplit;
beforeAll(async () => {
  full = (await loadDataset('mnist')).train;
  train = subsetSplit(full, 1200);
});

const pixels = (img: Uint8Array, i: number) => Float64Array.from(img.subarray(i * 784, (i + 1) * 784), (v) => v / 255);

describe('class-mean rule in closed form', () => {
  it('equals the rule run example by example on a class-sorted stream (base rule and ink terms)', () => {
    for (const rule of [CLASS_MEAN_RULE, INK_RULE]) {
      const set = buildRuleValidation(train, CLASS_MEAN_RULE, { holdFraction: 1 / 6 });
      const S = ruleLogits(set, rule.ink ?? []);
      const direct = new ClassMeanDirect(cfg, rule);
      const byClass = indicesByClass(train.labels, 10);
      let prev: number | null = null;
      for (const pool of byClass) {
        const nLearn = pool.length - Math.round(pool.length / 6);
        for (let n = 0; n < nLearn; n++) {
          direct.learn(pixels(train.images, pool[n]), prev);
          prev = train.labels[pool[n]];
        }
      }
      let worst = 0;
      for (let q = 0; q < set.queries; q++) {
        const want = direct.query(Float64Array.from(set.images.subarray(q * 784, (q + 1) * 784), (v) => v / 255));
        for (let b = 0; b < 10; b++) {
          const got = set.bound * Math.tanh((rule.lambda * (S[q * 10 + b] - (rule.offset ?? 0))) / set.bound);
          worst = Math.max(worst, Math.abs(got - want[b]) / Math.max(1, Math.abs(want[b])));
        }
      }
      // Both are float64; ClassMeanDirect rounds each constant to f32 (as the learner holds them),
      // the closed form rounds only k, l, m, beta: relative differences of a few f32 ulps (6e-8
      // each) per constant, amplified at most by the O(1..40) gains. A wrong sign, scale or a
      // missed example moves logits by more than 1e-3.
      expect(worst, `rule with ${rule.ink?.length ?? 0} ink terms`).toBeLessThan(1e-5);
    }
  });

  it('ink terms help on held-out train queries of the full stream (the reason they exist), and the readout stays unsaturated', () => {
    // The full train split: the terms read class means of ~5,000 examples (on 100 per class they do not help).
    const set = buildRuleValidation(full, CLASS_MEAN_RULE, { maxQueries: 2000 });
    const base = readoutScore(set, ruleLogits(set, []), CLASS_MEAN_RULE.lambda, 0);
    const ink = readoutScore(set, ruleLogits(set, INK), INK_RULE.lambda, INK_RULE.offset ?? 0);
    expect(ink.accuracy).toBeGreaterThan(base.accuracy);
    // Saturated logits would tie at the bound and push the cross-entropy to log(10).
    expect(ink.crossEntropy).toBeLessThan(Math.log(10) / 2);
  });
});

describe('ink-term ES', () => {
  const config = { ...RULE_ES_DEFAULTS, pairs: 3, generations: 3, maxQueries: 100, seed: 5 };

  it('is deterministic and resumes bit for bit from its serialised state', async () => {
    const set = buildRuleValidation(train, CLASS_MEAN_RULE, { maxQueries: config.maxQueries });
    let a = initRuleEs(config);
    for (let g = 0; g < 3; g++) a = await ruleEsGeneration(set, a);
    let b = initRuleEs(config);
    b = await ruleEsGeneration(set, b);
    b = parseState(stringifyState(b));
    for (let g = 1; g < 3; g++) b = await ruleEsGeneration(set, b);
    expect(Array.from(b.es.theta), `seed ${config.seed}`).toEqual(Array.from(a.es.theta));
    expect(b.history.map((r) => r.centre)).toEqual(a.history.map((r) => r.centre));
    expect(a.best.accuracy).toBe(Math.max(...a.history.map((r) => r.centre)));
  });

  it('writes a rule file the benchmark loads as the learner it scored', async () => {
    const set = buildRuleValidation(train, CLASS_MEAN_RULE, { maxQueries: config.maxQueries });
    const state = await ruleEsGeneration(set, initRuleEs(config));
    const file = evolvedRule(set, state, 'test');
    expect(file.rule.ink).toEqual(inkFromTheta(state.best.theta));
    const dir = mkdtempSync(join(tmpdir(), 'rule-'));
    const path = join(dir, 'rule.json');
    writeFileSync(path, JSON.stringify(file));
    const spec = await loadVsmlSpec(`rule:${path}`);
    expect(Array.from(spec.metaParams)).toEqual(Array.from(classMeanRuleParams(cfg, file.rule)));
    await expect(loadVsmlSpec(`rule:${join(dir, 'missing.json')}`)).rejects.toThrow(/no rule file/);
  });

  it('refuses malformed rule files, naming the field', () => {
    const good = { format: 'vsml-class-mean-rule', version: 1, rule: INK_RULE };
    expect(parseRuleFile(JSON.stringify(good), 'f')).toEqual(INK_RULE);
    expect(() => parseRuleFile('{"format": "vsml-class', 'f')).toThrow(/f: not valid JSON/);
    expect(() => parseRuleFile(JSON.stringify({ ...good, version: 2 }), 'f')).toThrow(/version 1/);
    expect(() =>
      parseRuleFile(JSON.stringify({ ...good, rule: { ...INK_RULE, lambda: 'x' as unknown as number } }), 'f'),
    ).toThrow(/rule.lambda/);
    expect(() =>
      parseRuleFile(JSON.stringify({ ...good, rule: { ...INK_RULE, ink: [{ ...INK[0], w: null }] } }), 'f'),
    ).toThrow(/rule.ink\[0\].w/);
    expect(() => classMeanRuleParams(cfg, { ...INK_RULE, ink: [...INK, ...INK] })).toThrow(/room for 3/);
  });
});
