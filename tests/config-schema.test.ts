/**
 * The config schemas (zod) name the exact field of every error. The field lists are read from the
 * schemas themselves, so a field added later is covered without touching this file.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VsmlConfigError, learnerStateBytes, validateVsmlConfig, vsmlConfigSchema } from '../src/spec/vsml-config';
import { fieldPath } from '../src/spec/schema';
import {
  DEFAULT_TRAIN_CONFIG,
  TrainConfigError,
  trainConfigSchema,
  validateTrainConfig,
} from '../src/meta/train-config';

/** A value no field accepts as it stands: not a number, boolean, string, list or known object. */
const WRONG = { wrong: true };

function errorOf(f: () => unknown): { field: string; message: string } {
  try {
    f();
  } catch (e) {
    return { field: (e as VsmlConfigError | TrainConfigError).field, message: (e as Error).message };
  }
  throw new Error('expected an error');
}

/** The fields of a ZodObject (through defaults, optionals and a transform's input side). */
function objectShape(s: z.ZodType): Record<string, z.ZodType> {
  const def = (
    s as unknown as { def: { type: string; in?: z.ZodType; innerType?: z.ZodType; shape?: Record<string, z.ZodType> } }
  ).def;
  if (def.type === 'pipe') return objectShape(def.in!);
  if (def.type === 'default' || def.type === 'optional') return objectShape(def.innerType!);
  if (def.type === 'object') return def.shape!;
  throw new Error(`not an object schema: ${def.type}`);
}

describe('VSML config schema', () => {
  const fields = Object.keys(objectShape(vsmlConfigSchema));
  it('covers every field of the config', () => {
    expect(fields.sort()).toEqual(Object.keys(validateVsmlConfig({})).sort());
  });
  it.each(fields)('a wrong type for %s is refused naming that field', (k) => {
    const e = errorOf(() => validateVsmlConfig({ [k]: WRONG }));
    // An object-valued field may report the unknown key inside it (cell.wrong): still this field.
    expect(e.field === k || e.field.startsWith(`${k}.`)).toBe(true);
    expect(e.message).toContain(`VSML config: ${e.field}: `);
  });
  it('null is a wrong value, not "use the default"', () => {
    expect(errorOf(() => validateVsmlConfig({ hidden: null })).field).toBe('hidden');
  });
  it('state bytes: h and c of every cell, f32', () => {
    expect(learnerStateBytes(validateVsmlConfig({}))).toBe(784 * 10 * 2 * 16 * 4);
    expect(learnerStateBytes(validateVsmlConfig({ layers: [784, 32, 10], hidden: 8 }))).toBe(
      (784 * 32 + 32 * 10) * 2 * 8 * 4,
    );
  });
});

describe('training config schema', () => {
  const shape = objectShape(trainConfigSchema);
  const fields = Object.keys(shape);
  it('covers every field of the config', () => {
    expect(fields.sort()).toEqual(Object.keys(DEFAULT_TRAIN_CONFIG).sort());
  });
  it.each(fields)('a wrong type for %s is refused naming that field', (k) => {
    // Blocks get a number (WRONG would be reported inside them, as block.wrong), the string field a number.
    const wrong =
      k === 'dataset' || typeof DEFAULT_TRAIN_CONFIG[k as keyof typeof DEFAULT_TRAIN_CONFIG] === 'object' ? 7 : WRONG;
    const e = errorOf(() => validateTrainConfig({ [k]: wrong }));
    expect(e.field).toBe(k);
    expect(e.message).toContain(`training config: ${k}: `);
  });

  // Nested blocks: every field of learner, tasks and validation, with its full path.
  for (const block of ['learner', 'tasks', 'validation'] as const) {
    it.each(Object.keys(objectShape(shape[block])))(
      `a wrong type for ${block}.%s is refused naming ${block}.<field>`,
      (k) => {
        const e = errorOf(() => validateTrainConfig({ [block]: { [k]: WRONG } }));
        const path = `${block}.${k}`;
        expect(e.field === path || e.field.startsWith(`${path}.`)).toBe(true);
        expect(e.message).toContain(`training config: ${e.field}: `);
      },
    );
  }

  // The strategy is a union by kind: every field of every kind.
  const kinds = (shape.strategy as unknown as { def: { in?: z.ZodType; options?: z.ZodType[] } }).def;
  const options = kinds.options ?? (kinds.in as unknown as { def: { options: z.ZodType[] } }).def.options;
  for (const option of options) {
    const fieldsOf = objectShape(option);
    const kind = (fieldsOf.kind as unknown as { def: { values: string[] } }).def.values[0];
    it.each(Object.keys(fieldsOf).filter((k) => k !== 'kind'))(
      `strategy ${kind}: a wrong type for strategy.%s is refused naming it`,
      (k) => {
        const e = errorOf(() => validateTrainConfig({ strategy: { kind, [k]: WRONG } }));
        expect(e.field).toBe(`strategy.${k}`);
      },
    );
  }

  it('cross-field rules name the field they constrain', () => {
    expect(errorOf(() => validateTrainConfig({ strategy: { kind: 'ga', elites: 9 } })).field).toBe('strategy.elites');
    expect(errorOf(() => validateTrainConfig({ strategy: { beta2: 1 } })).field).toBe('strategy.beta2');
    expect(errorOf(() => validateTrainConfig({ tasks: { maxLearnLength: 5 } })).field).toBe('tasks.maxLearnLength');
    expect(errorOf(() => validateTrainConfig({ tasks: { pixelSubset: 64 } })).field).toBe('tasks.pixelSubset');
    expect(
      errorOf(() =>
        validateTrainConfig({
          learner: { projection: false, inputSize: 32, layers: [32, 2] },
          tasks: { pixelSubset: 64 },
        }),
      ).field,
    ).toBe('learner.inputSize');
    expect(errorOf(() => validateTrainConfig({ validation: { perClass: [10, 0] } })).field).toBe(
      'validation.perClass[1]',
    );
    expect(errorOf(() => validateTrainConfig({ learner: { message: 1 } })).message).toBe(
      'training config: learner.labelFeeding: needs message >= 2 (slot 1 carries the label), message is 1',
    );
  });

  it('an unknown field outranks the errors its typo causes, the outermost first', () => {
    expect(errorOf(() => validateTrainConfig({ colour: 1, tasks: { lrn: 1 }, generations: 0 })).field).toBe('colour');
    expect(errorOf(() => validateTrainConfig({ tasks: { lrn: 1 }, generations: 0 })).field).toBe('tasks.lrn');
  });

  it('paths format as they are written in JSON', () => {
    expect(fieldPath(['validation', 'perClass', 1])).toBe('validation.perClass[1]');
    expect(fieldPath([])).toBe('(root)');
  });
});
