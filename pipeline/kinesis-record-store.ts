/**
 * An append-only record store for kinesalite, the embedded Kinesis.
 *
 * kinesalite keeps every stream's records in a LevelDB sublevel (memdown in memory): a red-black tree of JSON
 * strings under keys `<shard hex>/<sequence number>`. Profiled under `npm start`, that generic store was most of the
 * emulator's cost: the tree insert was 27 % of a bare PutRecords run, every record was JSON-encoded on write and
 * decoded on read, and memdown hands a reader one entry per `setImmediate`, so a 10,000-record GetRecords took
 * 10,000 event-loop turns and waited behind every PutRecords batch. A Kinesis shard is an append-only log: here each
 * shard is an array of its records in key order that PutRecords appends to and GetRecords slices in one turn. A
 * record is its index in the stream's {@link RecordArena}, which keeps its sequence number, partition key and data
 * off the JavaScript heap (`kinesis-record-arena.ts`); keys are made from the sequence number when a reader needs
 * them. A record the arena cannot give back equal is kept as the object it is, with its key.
 *
 * It implements exactly the part of the levelup API that kinesalite 3.3.3's actions call on a stream's store (`put`,
 * `batch`, `createReadStream`, `createKeyStream`, `lock`) with the same results: keys ordered as memdown orders them,
 * range options `gt`/`gte`/`lt`/`lte`, values read back as fresh JSON-equivalent objects, a read that sees the store
 * as it was when it started. `__tests__/firehose/kinesis-record-store.test.ts` checks it against memdown itself.
 */
import type { EventEmitter } from 'node:events';
import { Stream } from 'node:stream';
import { isPlainRecord, RecordArena } from './kinesis-record-arena';

type Callback = (err?: Error | null) => void;

/** A write, as levelup's `batch` takes it. */
export interface BatchOp {
  readonly type: 'put' | 'del';
  readonly key: string;
  readonly value?: unknown;
}

/** The range and shape options kinesalite passes to `createReadStream`. */
export interface ReadOptions {
  readonly gt?: string;
  readonly gte?: string;
  readonly lt?: string;
  readonly lte?: string;
  readonly keys?: boolean;
  readonly values?: boolean;
}

/** A record the arena cannot hold (see `isPlainRecord`), kept as it is, with its key. */
class Kept {
  constructor(
    readonly key: string,
    readonly value: unknown,
  ) {}
}

/**
 * A stored record: its index in the stream's {@link RecordArena}, which holds its value and its key's sequence
 * number, or a record kept as it is.
 */
export type Stored = number | Kept;

/** One shard's records in key order; `shard` is what their keys have before the `/`. */
interface Log {
  readonly shard: string;
  readonly records: Stored[];
  /** The key of the last record ('' when there is none): a put above it is an append. */
  lastKey: string;
}

/** A sequence number the arena can hold: decimal digits, as kinesalite makes them (56 of them). */
const SEQUENCE = /^\d{1,255}$/;

/** The part of a key before its first `/`: kinesalite's shard index in hex. */
function shardOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

/** The key of a stored record of shard `shard`. */
function keyOf(arena: RecordArena, shard: string, stored: Stored): string {
  return typeof stored === 'number' ? `${shard}/${arena.sequence(stored)}` : stored.key;
}

/** The first index below `end` whose key is above `bound` (or at it, when `inclusive`). */
function lowerBound(arena: RecordArena, shard: string, records: readonly Stored[], end: number, bound: string, inclusive: boolean): number {
  let lo = 0;
  let hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keyOf(arena, shard, records[mid]!);
    if (k < bound || (!inclusive && k === bound)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * levelup's `valueEncoding: 'json'` gives every reader its own copy; records are flat objects of strings and numbers
 * (PartitionKey, Data, ApproximateArrivalTimestamp), which a shallow copy reproduces exactly. Anything else (a Buffer
 * from a CBOR request) takes the JSON round trip, as it would in LevelDB.
 */
function storable(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  // for…in rather than Object.values: this runs for every record written, and allocates nothing.
  for (const key in value) {
    const v = (value as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null) return JSON.parse(JSON.stringify(value)) as unknown;
  }
  return value;
}


/**
 * A read in progress: emits `data` once per entry in one turn of the event loop, then `end` and `close`. It is a
 * (legacy) `Stream` because kinesalite's `lazy` wrapper forwards `data` events itself for streams, and would forward
 * every entry a second time for a plain EventEmitter.
 */
class RangeReader extends Stream {
  private destroyed = false;

  constructor(entries: () => Iterable<unknown>) {
    super();
    process.nextTick(() => {
      if (this.destroyed) return;
      for (const entry of entries()) {
        this.emit('data', entry);
        // lazy's take(n) destroys the stream from inside a `data` listener once it has n entries.
        if (this.destroyed) return;
      }
      this.emit('end');
      this.emit('close');
    });
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.nextTick(() => this.emit('close'));
  }
}

/** One stream's records: what kinesalite's `store.getStreamDb(name)` returns once {@link installRecordStore} ran. */
export class StreamRecordStore {
  /** kinesalite hangs a lock on every stream store; PutRecords serialises on the stream's metadata lock instead. */
  readonly lock: unknown;
  /** The bytes of every packed record of the stream (sequence number, partition key, data), all shards together. */
  readonly arena = new RecordArena();
  private readonly shards = new Map<string, Log>();
  /** Shard prefixes in key order, so a range read visits them as memdown would. */
  private order: string[] = [];

  constructor(lock: unknown) {
    this.lock = lock;
  }

  /** The number of records held. */
  get size(): number {
    let n = 0;
    for (const log of this.shards.values()) n += log.records.length;
    return n;
  }

  put(key: string, value: unknown, opts: unknown, cb?: Callback): void {
    this.batch([{ type: 'put', key, value }], opts, cb);
  }

  batch(ops: readonly BatchOp[], opts: unknown, cb?: Callback): void {
    const done = typeof opts === 'function' ? (opts as Callback) : cb;
    const copied = new Set<Log>();
    const replaced: number[] = [];
    for (const op of ops) this.write(op, copied, replaced);
    // A read opened before this batch may still hold the replaced records: they go once it has run (reads run in
    // the next tick, before any immediate).
    if (replaced.length > 0) setImmediate(() => replaced.forEach((i) => this.arena.release(i)));
    if (done) process.nextTick(done, null);
  }

  /** A fresh copy of a stored record's value, as levelup's JSON encoding gives every reader. */
  value(stored: Stored): unknown {
    if (typeof stored === 'number') return this.arena.get(stored);
    const v = stored.value;
    return typeof v === 'object' && v !== null ? { ...v } : v;
  }

  /** The sequence number of a stored record: its key after the shard. */
  sequence(stored: Stored): string {
    return typeof stored === 'number' ? this.arena.sequence(stored) : stored.key.slice(stored.key.indexOf('/') + 1);
  }

  /**
   * A read of the store as it is now, like a memdown iterator's snapshot: appends made later lie beyond the lengths
   * captured here, and any other change replaces a shard's array instead of changing it (see `write`).
   */
  createReadStream(opts: ReadOptions = {}): EventEmitter {
    const snapshot = this.snapshot();
    return new RangeReader(() => entries(this.arena, snapshot, opts, (v) => this.value(v)));
  }

  private snapshot(): Snapshot {
    return this.order.map((shard) => {
      const { records } = this.shards.get(shard)!;
      return { shard, records, end: records.length };
    });
  }

  /**
   * Up to `limit` records of a range, read at once, for the fast GetRecords path, as stored (read them with `value`
   * and `sequence`, or packed ones straight from `arena`). Valid until the next write.
   */
  slice(opts: ReadOptions, limit: number): Stored[] {
    const out: Stored[] = [];
    if (limit <= 0) return out;
    for (const stored of entries(this.arena, this.snapshot(), { ...opts, keys: false, values: true }, (v) => v)) {
      out.push(stored as Stored);
      if (out.length === limit) break;
    }
    return out;
  }

  createKeyStream(opts: ReadOptions = {}): EventEmitter {
    return this.createReadStream({ ...opts, keys: true, values: false });
  }

  /**
   * Applies one write; `copied` holds the shard logs this batch already copied (a batch copies a shard once), and
   * the arena indices of records it deletes or overwrites go to `replaced`.
   */
  private write(op: BatchOp, copied: Set<Log>, replaced: number[]): void {
    if (typeof op.key !== 'string') throw new TypeError(`record store keys are strings, got ${typeof op.key}`);
    if (op.type !== 'put' && op.type !== 'del') throw new TypeError(`unknown batch operation ${String(op.type)}`);
    const shard = shardOf(op.key);
    let log = this.shards.get(shard);
    if (!log) {
      if (op.type === 'del') return;
      log = { shard, records: [], lastKey: '' };
      this.shards.set(shard, log);
      this.order = [...this.shards.keys()].sort();
    }
    // Sequence numbers grow within a shard, so a put is almost always an append, which no open read can see.
    if (op.type === 'put' && (log.records.length === 0 || log.lastKey < op.key)) {
      log.records.push(this.store(op.key, op.value));
      log.lastKey = op.key;
      return;
    }
    const at = lowerBound(this.arena, shard, log.records, log.records.length, op.key, true);
    const old = log.records[at];
    const exists = old !== undefined && keyOf(this.arena, shard, old) === op.key;
    if (op.type === 'del' && !exists) return;
    if (!copied.has(log)) {
      // Open reads keep the array they captured; this shard gets a new one.
      log = { shard, records: [...log.records], lastKey: log.lastKey };
      this.shards.set(shard, log);
      copied.add(log);
    }
    if (exists && typeof old === 'number') replaced.push(old);
    if (op.type === 'del') log.records.splice(at, 1);
    else log.records.splice(at, exists ? 1 : 0, this.store(op.key, op.value));
    const last = log.records[log.records.length - 1];
    log.lastKey = last === undefined ? '' : keyOf(this.arena, shard, last);
  }

  private store(key: string, value: unknown): Stored {
    if (isPlainRecord(value)) {
      const sequence = key.slice(key.indexOf('/') + 1);
      if (key.includes('/') && SEQUENCE.test(sequence)) return this.arena.add(value, sequence);
    }
    return new Kept(key, storable(value));
  }
}

/** The shard logs as they are at one instant: later appends lie beyond `end`. */
type Snapshot = readonly { readonly shard: string; readonly records: Stored[]; readonly end: number }[];

/** The entries of a snapshot within a range, in key order, with values as `value` reads them. */
function* entries(arena: RecordArena, snapshot: Snapshot, opts: ReadOptions, value: (stored: Stored) => unknown): Generator<unknown> {
  const withKeys = opts.keys !== false;
  const withValues = opts.values !== false;
  const low = opts.gte ?? opts.gt;
  const high = opts.lte ?? opts.lt;
  for (const { shard, records, end } of snapshot) {
    if (end === 0) continue;
    if (high !== undefined && keyOf(arena, shard, records[0]!) > high) return;
    if (low !== undefined && keyOf(arena, shard, records[end - 1]!) < low) continue;
    let i = low === undefined ? 0 : lowerBound(arena, shard, records, end, low, opts.gte !== undefined);
    const above = (key: string): boolean => high !== undefined && (key > high || (opts.lte === undefined && key === high));
    // Keys are made only where needed: for a reader that asked for them, or to find where the range ends, which
    // is past this shard's last record for a GetRecords (its bound is the next shard).
    const checkEach = above(keyOf(arena, shard, records[end - 1]!));
    for (; i < end; i++) {
      const stored = records[i]!;
      const key = checkEach || withKeys ? keyOf(arena, shard, stored) : '';
      if (checkEach && above(key)) return;
      if (withKeys && withValues) yield { key, value: value(stored) };
      else if (withKeys) yield key;
      else yield value(stored);
    }
  }
}

/** The parts of kinesalite's store (`db.create`'s result) that hold records. */
interface KinesaliteStore {
  getStreamDb(name: string): unknown;
  deleteStreamDb(name: string, cb: Callback): void;
  recreate(): void;
}

/**
 * Replaces a kinesalite store's per-stream LevelDB sublevels with {@link StreamRecordStore}s. Stream metadata stays
 * in kinesalite's own store. Applied again after `recreate` (a server that listens again after closing).
 */
export function installRecordStore(store: KinesaliteStore, newLock: () => unknown): void {
  const streams = new Map<string, StreamRecordStore>();
  store.getStreamDb = (name: string): StreamRecordStore => {
    let s = streams.get(name);
    if (!s) {
      s = new StreamRecordStore(newLock());
      streams.set(name, s);
    }
    return s;
  };
  store.deleteStreamDb = (name: string, cb: Callback): void => {
    streams.delete(name);
    process.nextTick(cb, null);
  };
  const recreate = store.recreate;
  store.recreate = function (this: KinesaliteStore): void {
    recreate.call(this);
    installRecordStore(this, newLock);
  };
}
