/**
 * The shipper's durable checkpoint: which file (path, device + inode, a fingerprint of its first bytes) and how far
 * into it every line has been acknowledged by Kinesis.
 *
 * Like the Kinesis Agent's checkpoint database it is written only after a batch is acknowledged, so a restart
 * resumes exactly after the last acknowledged line: nothing is lost, and nothing acknowledged is sent twice. It is
 * written atomically (temporary file, fsync, rename), so a crash leaves either the old or the new checkpoint.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** How many leading bytes identify a file across renames and copies (the agent's fingerprint idea). */
export const FINGERPRINT_BYTES = 512;

/** The position after the last acknowledged line. */
export interface Checkpoint {
  readonly version: 1;
  /** The path the file had when the position was recorded. */
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Byte offset just after the last acknowledged line. */
  readonly offset: number;
  /** SHA-256 (hex) of the file's first `fingerprintBytes` bytes; tells a reused inode or a copy apart. */
  readonly fingerprint: string;
  readonly fingerprintBytes: number;
  /** ISO time of the write, for people reading the file. */
  readonly updatedAt: string;
}

/** Hashes the first bytes of a file (at most {@link FINGERPRINT_BYTES}). */
export function fingerprint(head: Buffer): string {
  return createHash('sha256').update(head).digest('hex');
}

/** Reads a checkpoint; `undefined` if there is none yet. A file that is not a checkpoint is an error, not a reset. */
export function readCheckpoint(file: string): Checkpoint | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const value = JSON.parse(text) as Partial<Checkpoint>;
  const valid =
    value.version === 1 &&
    typeof value.path === 'string' &&
    Number.isSafeInteger(value.dev) &&
    Number.isSafeInteger(value.ino) &&
    Number.isSafeInteger(value.offset) &&
    (value.offset ?? -1) >= 0 &&
    typeof value.fingerprint === 'string' &&
    Number.isSafeInteger(value.fingerprintBytes);
  if (!valid) {
    throw new Error(`checkpoint ${file} is not a shipper checkpoint (version 1); delete it to start over`);
  }
  return value as Checkpoint;
}

/** Writes a checkpoint atomically and durably: temporary file, fsync, rename over the old one. */
export function writeCheckpoint(file: string, checkpoint: Omit<Checkpoint, 'version' | 'updatedAt'>): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const body = JSON.stringify({ version: 1, ...checkpoint, updatedAt: new Date().toISOString() }) + '\n';
  const fd = openSync(tmp, 'w', 0o644);
  try {
    writeSync(fd, body);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
