/**
 * Reads a log file line by line the way the Kinesis Agent tails it: from a byte offset, optionally following the
 * live file through rotation, by rename-and-create (logrotate's default) and by copytruncate.
 *
 * Each line keeps its trailing "\n" (the agent sends it), and knows which file it came from and the byte offset just
 * after it, so the shipper can checkpoint exactly. A line longer than the record limit is truncated the way the
 * agent truncates it (keep the first bytes, end with "\n"); the caller is told how many bytes were cut.
 */
import { constants, type Stats } from 'node:fs';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINGERPRINT_BYTES, fingerprint, type Checkpoint } from './checkpoint';

/** A file being read, identified beyond its path: rotation renames paths, copytruncate reuses inodes. */
export interface TrackedFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** The first bytes of the file (up to {@link FINGERPRINT_BYTES}); its fingerprint. */
  head: Buffer;
}

/** One line, ready to be a record. */
export interface Line {
  /** The line's bytes ending with "\n" (added if the file's last line has none, or after a truncation). */
  readonly data: Buffer;
  readonly file: TrackedFile;
  /** Byte offset in `file` just after this line: the checkpoint once it is acknowledged. */
  readonly endOffset: number;
  /** Bytes of the original line that were cut off to fit the record limit (0 for nearly every line). */
  readonly truncatedBytes: number;
}

/** The agent's `initialPosition` setting. */
export type InitialPosition = 'START_OF_FILE' | 'END_OF_FILE';

/** What the tailer noticed, for logs and counters. */
export type TailEvent =
  | { readonly kind: 'resume'; readonly path: string; readonly offset: number; readonly via: 'same-file' | 'rotated-file' }
  /** The live file is open; reading it starts at `offset` (after any rotated files the plan finishes first). */
  | { readonly kind: 'open'; readonly path: string; readonly offset: number }
  | { readonly kind: 'rotation'; readonly rotation: 'rename' | 'copytruncate'; readonly from: string; readonly to: string }
  | { readonly kind: 'warning'; readonly message: string };

/** Options for {@link tailLines}. */
export interface TailOptions {
  readonly path: string;
  /** Keep reading the live file, through rotation, until `signal` aborts. @default false: read to EOF and end */
  readonly follow?: boolean;
  /** Where to resume. @default - the start of the file */
  readonly checkpoint?: Checkpoint;
  /**
   * Where to start without a checkpoint: the agent's `initialPosition`. `END_OF_FILE` ships only lines written
   * from now on.
   *
   * @default 'START_OF_FILE' (the agent defaults to END_OF_FILE; a shipper given a file means to ship it)
   */
  readonly initialPosition?: InitialPosition;
  /** Longest line kept, "\n" included; longer lines are truncated to this. */
  readonly maxLineBytes: number;
  /** How often to look for new data at EOF (the agent: `minTimeBetweenFilePollsMillis`, 100 ms). @default 100 */
  readonly pollMillis?: number;
  /**
   * After a rename rotation, how long the old file must stay unchanged, counted from when the new file appeared at
   * the earliest, before reading moves to the new one, so lines a writer appends to the old file before it reopens
   * its log (nginx on USR1, after logrotate has created the new file) are not missed.
   *
   * @default 1000
   */
  readonly rotationQuietMillis?: number;
  /** @default 1 MiB */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: TailEvent) => void;
}

const COMPRESSED = /\.(gz|bz2|xz|zst|zip|lz4)$/;
const NEWLINE = Buffer.from('\n');

/**
 * Yields lines in arrays (one per read) from `path`, starting at the checkpoint.
 *
 * Without `follow` it ends at EOF, shipping a last line without "\n" too. With `follow` it polls for new data,
 * follows rotation and ends when `signal` aborts; a last partial line is then left for the next run.
 */
export async function* tailLines(opts: TailOptions): AsyncGenerator<Line[]> {
  const follow = opts.follow ?? false;
  const pollMillis = opts.pollMillis ?? 100;
  const quietMillis = opts.rotationQuietMillis ?? 1000;
  const emit = opts.onEvent ?? (() => undefined);
  const aborted = (): boolean => opts.signal?.aborted ?? false;

  const plan = opts.checkpoint || opts.initialPosition !== 'END_OF_FILE'
    ? await planStart(opts.path, opts.checkpoint, emit)
    : { drain: [], offset: await endOfLastLine(opts.path) };
  // The live file is opened before rotated ones are finished: if it is rotated meanwhile (renamed, or copied and
  // truncated), the reader holds the file the checkpoint plan meant and sees that rotation like any other.
  let reader = await FileReader.open(opts.path, plan.offset, opts);
  if (reader) emit({ kind: 'open', path: opts.path, offset: plan.offset });
  let drained = false;
  try {
    for (const segment of plan.drain) {
      const drain = await FileReader.open(segment.path, segment.offset, opts);
      if (!drain) continue;
      try {
        yield* drain.readToEnd(true);
      } finally {
        await drain.close();
      }
    }
    drained = true;
  } finally {
    // Stopped (or failed) while finishing rotated files: the live file is not read now.
    if (!drained) await reader?.close();
  }

  if (!reader && follow) emit({ kind: 'warning', message: `${opts.path} does not exist (yet); waiting for it to appear` });
  while (!reader) {
    if (!follow) throw new Error(`log file ${opts.path} does not exist`);
    if (!(await pause(pollMillis, opts.signal))) return;
    reader = await FileReader.open(opts.path, 0, opts);
  }
  try {
    if (!follow) {
      yield* reader.readToEnd(true);
      return;
    }
    let lastDataAt = Date.now();
    // When another file was first seen at the path (a rename rotation), until reading moves to it.
    let renamedAt: number | undefined;
    while (!aborted()) {
      const lines = await reader.readChunk(true);
      if (lines.length > 0 || reader.lastReadBytes > 0) {
        lastDataAt = Date.now();
        if (lines.length > 0) yield lines;
        continue;
      }
      if (await reader.wasTruncated()) {
        // copytruncate: the lines after our position went to the copy; read them there, then restart at 0.
        const copy = await findCopy(opts.path, reader.file, reader.lineStart);
        if (copy) {
          const rest = await FileReader.open(copy, reader.lineStart, opts);
          if (rest) {
            try {
              yield* rest.readToEnd(true);
            } finally {
              await rest.close();
            }
          }
          emit({ kind: 'rotation', rotation: 'copytruncate', from: opts.path, to: copy });
        } else {
          emit({
            kind: 'warning',
            message: `${opts.path} was truncated and no rotated copy starting with the same bytes was found; lines written after byte ${reader.lineStart} before the truncation could not be read`,
          });
        }
        reader.restartAtZero();
        lastDataAt = Date.now();
        continue;
      }
      const current = await statOrUndefined(opts.path);
      renamedAt = current && !sameFile(current, reader.file) ? (renamedAt ?? Date.now()) : undefined;
      if (renamedAt !== undefined && Date.now() - Math.max(lastDataAt, renamedAt) >= quietMillis) {
        // rename-and-create: a new file is there and the old one has stayed quiet since, so the writer has reopened
        // (an idle old file alone proves nothing: logrotate's `create` makes the new file before nginx reopens). Read
        // the old one once more: what the writer appended between the read above and now is read before moving on.
        const late = await reader.readChunk(true);
        if (late.length > 0 || reader.lastReadBytes > 0) {
          lastDataAt = Date.now();
          if (late.length > 0) yield late;
          continue;
        }
        const next = await FileReader.open(opts.path, 0, opts);
        if (next) {
          const last = reader.finish();
          if (last.length > 0) yield last;
          await reader.close();
          const renamed = (await rotatedSiblings(opts.path)).find((s) => sameFile(s.st, reader!.file));
          emit({ kind: 'rotation', rotation: 'rename', from: renamed?.path ?? `${opts.path} (deleted)`, to: opts.path });
          reader = next;
          lastDataAt = Date.now();
          renamedAt = undefined;
          continue;
        }
      }
      if (!(await pause(pollMillis, opts.signal))) return;
    }
  } finally {
    await reader.close();
  }
}

/** Where to start: rotated files to finish first (from an offset), then the live file's offset. */
interface StartPlan {
  readonly drain: readonly { readonly path: string; readonly offset: number }[];
  readonly offset: number;
}

/**
 * Finds the checkpointed file again: at its path (same inode and fingerprint), renamed by rotation (same inode,
 * among the path's rotated siblings), or copied by copytruncate (same fingerprint, in a sibling). Lines after the
 * checkpoint in a rotated file are read first, then every rotated sibling modified since (the log after it, rotated
 * again while nothing read it) from its start, oldest first, then the live file from its start.
 */
export async function planStart(
  path: string,
  checkpoint: Checkpoint | undefined,
  emit: (event: TailEvent) => void = () => undefined,
): Promise<StartPlan> {
  if (!checkpoint || checkpoint.offset === 0) return { drain: [], offset: 0 };
  const live = await statOrUndefined(path);
  const matches = async (candidate: string, st: Stats): Promise<boolean> =>
    st.size >= checkpoint.offset &&
    st.size >= checkpoint.fingerprintBytes &&
    fingerprint(await readHead(candidate, checkpoint.fingerprintBytes)) === checkpoint.fingerprint;

  if (live && live.ino === checkpoint.ino && live.dev === checkpoint.dev && (await matches(path, live))) {
    emit({ kind: 'resume', path, offset: checkpoint.offset, via: 'same-file' });
    return { drain: [], offset: checkpoint.offset };
  }
  const siblings = await rotatedSiblings(path);
  const byInode = siblings.find((s) => s.st.ino === checkpoint.ino && s.st.dev === checkpoint.dev);
  const candidates = byInode ? [byInode, ...siblings.filter((s) => s !== byInode)] : siblings;
  for (const candidate of candidates) {
    if (await matches(candidate.path, candidate.st)) {
      emit({ kind: 'resume', path: candidate.path, offset: checkpoint.offset, via: 'rotated-file' });
      // The files the log became after it (renamed again, or copied by copytruncate) are read whole, oldest first,
      // as the Kinesis Agent orders the files its pattern matches: by modification time.
      const later = siblings
        .filter((s) => s !== candidate && s.st.mtimeMs >= candidate.st.mtimeMs)
        .sort((a, b) => a.st.mtimeMs - b.st.mtimeMs)
        .map((s) => ({ path: s.path, offset: 0 }));
      return { drain: [{ path: candidate.path, offset: checkpoint.offset }, ...later], offset: 0 };
    }
  }
  if (live && (await matches(path, live))) {
    emit({ kind: 'resume', path, offset: checkpoint.offset, via: 'same-file' });
    return { drain: [], offset: checkpoint.offset };
  }
  emit({
    kind: 'warning',
    message: `checkpoint (${checkpoint.path} at byte ${checkpoint.offset}) matches neither ${path} nor a rotated copy of it; reading ${path} from the start`,
  });
  return { drain: [], offset: 0 };
}

/** Reads one open file: chunked reads, line splitting, truncation of long lines. */
class FileReader {
  static async open(path: string, offset: number, opts: TailOptions): Promise<FileReader | undefined> {
    let fd: FileHandle;
    try {
      fd = await open(path, constants.O_RDONLY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const st = await fd.stat();
    const head = await readHeadFrom(fd, Math.min(FINGERPRINT_BYTES, st.size));
    return new FileReader(fd, { path, dev: st.dev, ino: st.ino, head }, offset, opts);
  }

  /** Bytes read by the last {@link readChunk}. */
  lastReadBytes = 0;
  private position: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Raw length of the pending line, including bytes dropped because the line is too long. */
  private pendingRawBytes = 0;
  private readonly chunkBytes: number;

  private constructor(
    private readonly fd: FileHandle,
    public file: TrackedFile,
    offset: number,
    private readonly opts: TailOptions,
  ) {
    this.position = offset;
    this.chunkBytes = opts.chunkBytes ?? 1024 * 1024;
  }

  /** Offset where the next unfinished line starts: everything before it has been yielded. */
  get lineStart(): number {
    return this.position - this.pendingRawBytes;
  }

  /**
   * Reads the next chunk and returns the complete lines in it.
   *
   * With `verify` (a live file), the file's first bytes are checked after the read: if they changed, the file was
   * truncated and rewritten past our position (copytruncate between two polls), so the chunk is not ours to read;
   * it is dropped and the next {@link wasTruncated} reports the truncation.
   */
  async readChunk(verify = false): Promise<Line[]> {
    const buf = Buffer.allocUnsafe(this.chunkBytes);
    const { bytesRead } = await this.fd.read(buf, 0, buf.length, this.position);
    this.lastReadBytes = bytesRead;
    if (bytesRead === 0) return [];
    if (verify && this.file.head.length > 0 && !(await this.headUnchanged())) {
      this.lastReadBytes = 0;
      return [];
    }
    const chunkStart = this.position;
    this.position += bytesRead;
    if (this.file.head.length < FINGERPRINT_BYTES && chunkStart <= this.file.head.length) {
      this.file.head = await readHeadFrom(this.fd, Math.min(FINGERPRINT_BYTES, this.position));
    }
    const lines: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(10, start);
      if (nl === -1 || nl >= bytesRead) {
        this.addPending(buf.subarray(start, bytesRead));
        break;
      }
      const piece = buf.subarray(start, nl + 1);
      const endOffset = chunkStart + nl + 1;
      if (this.pendingRawBytes === 0 && piece.length <= this.opts.maxLineBytes) {
        lines.push({ data: piece, file: this.file, endOffset, truncatedBytes: 0 });
      } else {
        this.addPending(piece.subarray(0, piece.length - 1));
        lines.push(this.takePending(endOffset));
      }
      start = nl + 1;
    }
    return lines;
  }

  /** Reads to EOF; with `complete`, a last line without "\n" is yielded too (the file is not growing). */
  async *readToEnd(complete: boolean): AsyncGenerator<Line[]> {
    for (;;) {
      const lines = await this.readChunk();
      if (lines.length > 0) yield lines;
      if (this.lastReadBytes === 0) break;
    }
    if (complete) {
      const last = this.finish();
      if (last.length > 0) yield last;
    }
  }

  /** The pending partial line, completed with "\n", when the file is known to be complete. */
  finish(): Line[] {
    if (this.pendingRawBytes === 0) return [];
    return [this.takePending(this.position)];
  }

  /** True when the file is shorter than our position or its first bytes changed: it was truncated (copytruncate). */
  async wasTruncated(): Promise<boolean> {
    const st = await this.fd.stat();
    if (st.size < this.position) return true;
    return !(await this.headUnchanged());
  }

  private async headUnchanged(): Promise<boolean> {
    const head = this.file.head;
    if (head.length === 0) return true;
    return (await readHeadFrom(this.fd, head.length)).equals(head);
  }

  /** Starts over at byte 0 of the same (truncated) file, forgetting the partial line. */
  restartAtZero(): void {
    this.position = 0;
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingRawBytes = 0;
    // A new identity object: lines already yielded keep the old head, so their checkpoints stay correct.
    this.file = { ...this.file, head: Buffer.alloc(0) };
  }

  close(): Promise<void> {
    return this.fd.close().catch(() => undefined);
  }

  private addPending(part: Buffer): void {
    this.pendingRawBytes += part.length;
    // Keep at most what fits a record (minus the "\n" added at the end); drop the rest but count it.
    const room = this.opts.maxLineBytes - 1 - this.pendingBytes;
    if (room <= 0 || part.length === 0) return;
    const kept = part.length <= room ? part : part.subarray(0, room);
    // Copy: the chunk buffer would otherwise stay alive for as long as the partial line.
    this.pending.push(Buffer.from(kept));
    this.pendingBytes += kept.length;
  }

  /** Turns the pending line into a Line ending at `endOffset`, truncated if it was too long. */
  private takePending(endOffset: number): Line {
    let body = Buffer.concat(this.pending, this.pendingBytes);
    const rawBody = this.pendingRawBytes;
    if (rawBody > body.length) body = body.subarray(0, utf8Boundary(body));
    const data = Buffer.concat([body, NEWLINE]);
    const line: Line = { data, file: this.file, endOffset, truncatedBytes: rawBody - body.length };
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingRawBytes = 0;
    return line;
  }
}

/** The length of `buf` without a trailing, incomplete UTF-8 sequence (so a truncated line stays valid UTF-8). */
export function utf8Boundary(buf: Buffer): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = buf[i] ?? 0;
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + need <= n ? n : i;
  }
  return n;
}

/** Offset just after the last complete line of a file (0 if it does not exist): where END_OF_FILE starts. */
async function endOfLastLine(path: string): Promise<number> {
  let fd: FileHandle;
  try {
    fd = await open(path, constants.O_RDONLY);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
  try {
    const { size } = await fd.stat();
    const window = Buffer.alloc(64 * 1024);
    for (let end = size; end > 0; ) {
      const start = Math.max(0, end - window.length);
      const { bytesRead } = await fd.read(window, 0, end - start, start);
      const nl = window.subarray(0, bytesRead).lastIndexOf(10);
      if (nl !== -1) return start + nl + 1;
      end = start;
    }
    return 0;
  } finally {
    await fd.close();
  }
}

async function findCopy(path: string, file: TrackedFile, offset: number): Promise<string | undefined> {
  if (file.head.length === 0 && offset > 0) return undefined;
  const siblings = await rotatedSiblings(path);
  // Newest first: the copy logrotate just made.
  siblings.sort((a, b) => b.st.mtimeMs - a.st.mtimeMs);
  for (const s of siblings) {
    if (s.st.ino === file.ino && s.st.dev === file.dev) continue;
    if (s.st.size < offset || s.st.size < file.head.length) continue;
    if ((await readHead(s.path, file.head.length)).equals(file.head)) return s.path;
  }
  return undefined;
}

/** Files next to `path` whose names extend it (`access.log.1`, `access.log-20260101`), not compressed ones. */
async function rotatedSiblings(path: string): Promise<{ path: string; st: Stats }[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: { path: string; st: Stats }[] = [];
  for (const name of names) {
    if (name === base || !name.startsWith(base) || COMPRESSED.test(name) || name.endsWith('.tmp')) continue;
    const full = join(dir, name);
    const st = await statOrUndefined(full);
    if (st?.isFile()) out.push({ path: full, st });
  }
  return out;
}

function sameFile(st: Stats, file: TrackedFile): boolean {
  return st.ino === file.ino && st.dev === file.dev;
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readHead(path: string, bytes: number): Promise<Buffer> {
  const fd = await open(path, constants.O_RDONLY);
  try {
    return await readHeadFrom(fd, bytes);
  } finally {
    await fd.close();
  }
}

async function readHeadFrom(fd: FileHandle, bytes: number): Promise<Buffer> {
  if (bytes <= 0) return Buffer.alloc(0);
  const buf = Buffer.alloc(bytes);
  const { bytesRead } = await fd.read(buf, 0, bytes, 0);
  return buf.subarray(0, bytesRead);
}

/** Sleeps unless aborted; false when aborted. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
