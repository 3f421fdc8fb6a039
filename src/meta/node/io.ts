/**
 * Node-only file layer of the trainer: atomic checkpoint writes, checkpoint reading, and the
 * metrics JSON-lines log (truncated to the checkpoint's generation on resume, so a resumed run's
 * log equals an uninterrupted one's).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from '../checkpoint';

/**
 * Write `text` so that `path` is always either the old complete file or the new complete file:
 * write a temp file beside it, fsync, then rename over (atomic on POSIX file systems).
 */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function saveCheckpointFile(path: string, c: Checkpoint): void {
  writeFileAtomic(path, encodeCheckpoint(c));
}

export function loadCheckpointFile(path: string): Checkpoint {
  if (!existsSync(path)) throw new CheckpointError(`checkpoint not found: ${path}`);
  return decodeCheckpoint(readFileSync(path, 'utf8'), path);
}

/** Append-only metrics log, one JSON object per line. */
export class MetricsLog {
  private fd: number;

  /**
   * Open `path` for appending. With `keepBefore` (resume), lines of generations >= keepBefore are
   * dropped first (they were written after the checkpoint and will be recomputed).
   */
  constructor(
    readonly path: string,
    keepBefore?: number,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    if (keepBefore === undefined) {
      writeFileAtomic(path, '');
    } else if (existsSync(path)) {
      const kept = readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => {
          if (!line.trim()) return false;
          try {
            return (JSON.parse(line) as { generation: number }).generation < keepBefore;
          } catch {
            return false; // a torn last line from a crash
          }
        });
      writeFileAtomic(path, kept.map((l) => `${l}\n`).join(''));
    }
    this.fd = openSync(path, 'a');
  }

  append(record: unknown): void {
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

export function readMetrics<T = Record<string, unknown>>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
