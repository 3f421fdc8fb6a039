/**
 * zod schemas of what a share link carries (the config JSON) and of what a caller asks to encode.
 * Every failure message names the field exactly ("note.title", "learner.params[17]", ...), because
 * that message is what a user sees on the replay page or in the CLI.
 *
 * The learner config and the training config keep their own validators (src/spec/vsml-config.ts,
 * src/meta/train-config.ts); the schema calls them and reports their messages under the field.
 */
import { z } from 'zod';
import { metaParamLayout, numClasses, validateVsmlConfig, type VsmlConfig } from '../spec/vsml-config';
import { matchedLstmHidden } from '../spec/lstm-config';

/** Replay stream a link asks for: the full benchmark, or the episode shape it was trained on. */
export const STREAM_KINDS = ['benchmark', 'episode'] as const;
export type StreamKind = (typeof STREAM_KINDS)[number];

const text200 = z.string().max(200, 'must be a string of at most 200 characters');

/** A short free-form description carried with the learner (shown by the replay page). */
export const shareNoteSchema = z.strictObject({
  title: text200.optional(),
  strategy: text200.optional(),
  /** Where the learner came from (a file name, "rule:class-mean"): shown, never fetched. */
  source: text200.optional(),
  generation: z.number().int('must be a non-negative integer').min(0, 'must be a non-negative integer').optional(),
  fitness: z.number().finite('must be a finite number').optional(),
  /** The stream the learner was made for; the replay page plays it by default. */
  stream: z.enum(STREAM_KINDS).optional(),
  /** Its score on the full OrderedMNIST benchmark (scoreboard), in [0, 1]. */
  benchmarkAccuracy: z.number().min(0).max(1).optional(),
});
export type ShareNote = z.infer<typeof shareNoteSchema>;

/** The shared learner's config, checked by the config module's own validator. */
const vsmlSchema = z.unknown().transform((v, ctx): VsmlConfig => {
  if (v === undefined) {
    ctx.addIssue({ code: 'custom', message: 'the vsml learner config is missing' });
    return z.NEVER;
  }
  try {
    return validateVsmlConfig(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

/** The meta-parameters mean the same thing for two learners that differ only in layer sizes. */
export function sameCell(a: VsmlConfig, b: VsmlConfig): boolean {
  const strip = (c: VsmlConfig) => JSON.stringify({ ...c, layers: undefined, inputSize: undefined });
  return strip(a) === strip(b) && metaParamLayout(a).size === metaParamLayout(b).size;
}

const intIn = (min: number, max: number) =>
  z
    .number()
    .int(`must be an integer in [${min}, ${max}]`)
    .min(min, `must be an integer in [${min}, ${max}]`)
    .max(max, `must be an integer in [${min}, ${max}]`);

/**
 * A shared black-box LSTM (src/spec/lstm-config.ts). Ranges only bound the arithmetic; the codec's
 * maxDim and maxStateBytes limits decide what a page will allocate.
 */
const lstmSchema = z.strictObject({
  inputSize: intIn(1, 1 << 24),
  classes: intIn(1, 1 << 16),
  hidden: intIn(1, 1 << 16),
});

/**
 * The config section `{ vsml, lstm?, train?, note? }`. With `lstm` the shared learner is that LSTM:
 * it must read `vsml`'s inputs and classes, and a training config must be an LSTM run of that size. `validateTrain` checks the training config; the
 * shared learner must be the one it trained, or that learner with other layer sizes (a checkpoint
 * deploys a 2-way or 64-pixel learner as 784 -> 10: VSML shares one cell across every weight).
 */
export function shareConfigSchema(validateTrain: (train: unknown) => unknown) {
  return z
    .strictObject({
      vsml: vsmlSchema,
      lstm: lstmSchema.optional(),
      train: z
        .unknown()
        .optional()
        .transform((v, ctx) => {
          if (v === undefined) return undefined;
          try {
            return validateTrain(v);
          } catch (e) {
            ctx.addIssue({ code: 'custom', message: (e as Error).message });
            return z.NEVER;
          }
        }),
      note: shareNoteSchema.optional(),
    })
    .superRefine((c, ctx) => {
      const t = c.train as { learnerKind?: unknown; lstmHidden?: unknown } | null | undefined;
      if (c.lstm) {
        const want = { inputSize: c.vsml.inputSize, classes: numClasses(c.vsml) };
        if (c.lstm.inputSize !== want.inputSize || c.lstm.classes !== want.classes)
          ctx.addIssue({
            code: 'custom',
            path: ['lstm'],
            message: `reads ${c.lstm.inputSize} inputs and ${c.lstm.classes} classes, the vsml config it is sized from has ${want.inputSize} and ${want.classes}`,
          });
        if (t && t.learnerKind !== 'lstm')
          ctx.addIssue({
            code: 'custom',
            path: ['train', 'learnerKind'],
            message: `is ${JSON.stringify(t.learnerKind)}, but the link carries an LSTM learner`,
          });
        else if (t && typeof t.lstmHidden === 'number') {
          // lstmHidden 0 means "state matched to the VSML learner" (lstmFor).
          const hidden = t.lstmHidden > 0 ? t.lstmHidden : matchedLstmHidden(c.vsml);
          if (hidden !== c.lstm.hidden)
            ctx.addIssue({
              code: 'custom',
              path: ['lstm', 'hidden'],
              message: `is ${c.lstm.hidden}, the training config's LSTM has ${hidden} hidden units`,
            });
        }
      } else if (t && t.learnerKind === 'lstm')
        ctx.addIssue({ code: 'custom', path: ['lstm'], message: "is missing: the training config is an 'lstm' run" });
      const tl = (c.train as { learner?: unknown } | null | undefined)?.learner;
      if (tl === undefined || JSON.stringify(tl) === JSON.stringify(c.vsml)) return;
      let trained: VsmlConfig | null;
      try {
        trained = validateVsmlConfig(tl);
      } catch {
        trained = null;
      }
      if (!trained || !sameCell(trained, c.vsml)) {
        ctx.addIssue({
          code: 'custom',
          path: ['train', 'learner'],
          message: 'differs from the shared vsml config (only layer sizes may differ)',
        });
      }
    });
}

const u32 = z
  .number()
  .int('must be a 32-bit unsigned integer')
  .min(0, 'must be a 32-bit unsigned integer')
  .max(0xffffffff, 'must be a 32-bit unsigned integer');

/** Finite f32 values; the message names the first bad index. */
const finiteParams = z
  .custom<Float32Array>((v) => v instanceof Float32Array, { message: 'must be a Float32Array' })
  .superRefine((p, ctx) => {
    for (let i = 0; i < p.length; i++) {
      if (!Number.isFinite(p[i])) {
        ctx.addIssue({ code: 'custom', path: [i], message: `is ${p[i]}: only finite learners can be shared` });
        return;
      }
    }
  });

/** What encodeShare is asked to send (the config section is checked by shareConfigSchema). */
export const shareLearnerSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ga'),
    initSeed: u32,
    sigma: z.number(),
    chain: z.array(u32),
  }),
  z.strictObject({
    kind: z.literal('params'),
    params: finiteParams,
    /** 8/16: per-block quantised; 32: the f32 values themselves (exact). */
    bits: z.union([z.literal(8), z.literal(16), z.literal(32)]).optional(),
    blockSize: z.number().int().min(1).max(65535).optional(),
  }),
]);
export type ShareLearnerSpec = z.infer<typeof shareLearnerSchema>;

export const sharePayloadSchema = z.strictObject({
  config: z.unknown(),
  stateSeed: u32,
  learner: shareLearnerSchema,
});

/** "note.title: must be ..." from a zod error (the first issue; unknown keys listed by name). */
export function formatIssue(error: z.ZodError, prefix = ''): string {
  const issue = error.issues[0];
  const path = (extra: PropertyKey[] = []) =>
    [...(prefix ? [prefix] : []), ...issue.path, ...extra].reduce<string>(
      (s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)),
      '',
    );
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return keys.length === 1
      ? `${path([keys[0]])}: unknown field`
      : `unknown fields ${keys.map((k) => path([k])).join(', ')}`;
  }
  const where = path();
  return where ? `${where}: ${issue.message}` : issue.message;
}
