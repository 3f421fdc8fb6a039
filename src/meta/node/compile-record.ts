/**
 * The Node CompileRecord (src/meta/cell-mapping.ts): which column kernels this machine's lavapipe
 * has built before, in a small JSON file, so that a later run moves to the column mapping at its
 * first generation instead of paying for (or skipping) a build. Mesa keeps the built shaders in
 * its own disk cache; this file only remembers that they are there.
 *
 * File: $VSML_CACHE_DIR/built-kernels.json (default $XDG_CACHE_HOME/vsml-webgpu, else
 * ~/.cache/vsml-webgpu), written atomically. A missing file is an empty record; an unreadable or
 * malformed one is reported once and replaced at the next write. Keys also carry the Dawn package's
 * version (its WGSL translation decides what Mesa caches). With MESA_SHADER_CACHE_DISABLE set,
 * Mesa keeps nothing, so the record answers "not built" and writes nothing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CompileRecord } from '../cell-mapping';
import { writeFileAtomic } from './io';

/** Entries kept; the oldest go first (a few per preset and shape). */
export const MAX_RECORDED_KERNELS = 500;

interface RecordFile {
  version: 1;
  kernels: Record<string, { seconds: number; at: string }>;
}

export function defaultCompileRecordPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.VSML_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'vsml-webgpu');
  return join(dir, 'built-kernels.json');
}

function dawnVersion(): string {
  try {
    const main = createRequire(import.meta.url).resolve('webgpu');
    const pkg = JSON.parse(readFileSync(join(dirname(main), 'package.json'), 'utf8')) as { version?: string };
    return `webgpu@${pkg.version ?? '?'}`;
  } catch {
    return 'webgpu@?';
  }
}

function readRecord(path: string, warn: (line: string) => void): RecordFile {
  const empty: RecordFile = { version: 1, kernels: {} };
  if (!existsSync(path)) return empty;
  try {
    const d = JSON.parse(readFileSync(path, 'utf8')) as Partial<RecordFile>;
    const ok =
      d?.version === 1 &&
      d.kernels !== null &&
      typeof d.kernels === 'object' &&
      !Array.isArray(d.kernels) &&
      Object.values(d.kernels).every(
        (v) => v !== null && typeof v === 'object' && Number.isFinite(v.seconds) && typeof v.at === 'string',
      );
    if (ok) return d as RecordFile;
    warn(`${path}: not a kernel build record (version 1); ignoring it, it will be rewritten`);
  } catch (e) {
    warn(`${path}: unreadable kernel build record (${(e as Error).message}); ignoring it, it will be rewritten`);
  }
  return empty;
}

export interface FileCompileRecordOptions {
  env?: NodeJS.ProcessEnv;
  /** Prefix of every key (default: the `webgpu` package's version). */
  salt?: string;
  warn?: (line: string) => void;
}

export function fileCompileRecord(
  path = defaultCompileRecordPath(),
  opts: FileCompileRecordOptions = {},
): CompileRecord {
  const env = opts.env ?? process.env;
  const disabled = /^(1|true|yes)$/i.test(env.MESA_SHADER_CACHE_DISABLE ?? '');
  if (disabled) return { has: () => false, add: () => {} };
  const salt = opts.salt ?? dawnVersion();
  const warn = opts.warn ?? ((line: string) => console.error(line));
  const data = readRecord(path, warn);
  const k = (key: string) => `${salt} | ${key}`;
  return {
    has: (key) => Object.hasOwn(data.kernels, k(key)),
    add: (keys, seconds) => {
      // Re-read first: another run may have added kernels since this one started.
      const now = readRecord(path, () => {});
      for (const key of keys) now.kernels[k(key)] = { seconds, at: new Date().toISOString() };
      const entries = Object.entries(now.kernels).sort((a, b) => a[1].at.localeCompare(b[1].at));
      now.kernels = Object.fromEntries(entries.slice(-MAX_RECORDED_KERNELS));
      data.kernels = now.kernels;
      try {
        writeFileAtomic(path, `${JSON.stringify(now, null, 1)}\n`);
      } catch (e) {
        warn(
          `${path}: could not write the kernel build record (${(e as Error).message}); later runs will not know these kernels were built`,
        );
      }
    },
  };
}
