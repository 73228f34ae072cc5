/**
 * An append-only record store for kinesalite, the embedded Kinesis.
 *
 * kinesalite keeps every stream's records in a LevelDB sublevel (memdown in memory): a red-black tree of JSON
 * strings under keys `<shard hex>/<sequence number>`. Profiled under `npm start`, that generic store was most of the
 * emulator's cost: the tree insert was 27 % of a bare PutRecords run, every record was JSON-encoded on write and
 * decoded on read, and memdown hands a reader one entry per `setImmediate`, so a 10,000-record GetRecords took
 * 10,000 event-loop turns and waited behind every PutRecords batch. A Kinesis shard is an append-only log: here each
 * shard is a pair of arrays (keys in order, values) that PutRecords appends to and GetRecords slices in one turn.
 * The values are indices into the stream's {@link RecordArena}, which keeps record bytes off the JavaScript heap
 * (`kinesis-record-arena.ts`); a value the arena cannot give back equal is kept as the object it is.
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

/** A value the arena cannot hold (see `isPlainRecord`), kept as it is. */
class Kept {
  constructor(readonly value: unknown) {}
}

/** A stored value: a record's index in the stream's {@link RecordArena}, or a value kept as it is. */
export type Stored = number | Kept;

/** One shard's records, in key order. */
interface Log {
  readonly keys: string[];
  readonly values: Stored[];
}

/** The part of a key before its first `/`: kinesalite's shard index in hex. */
function shardOf(key: string): string {
  const slash = key.indexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}

/** The first index in sorted `keys` whose key is above `bound` (or at it, when `inclusive`). */
function lowerBound(keys: readonly string[], bound: string, inclusive: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid]!;
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
  /** The bytes of every packed record of the stream, all shards together. */
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
    for (const log of this.shards.values()) n += log.keys.length;
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

  /** A fresh copy of a stored value, as levelup's JSON encoding gives every reader. */
  value(stored: Stored): unknown {
    if (typeof stored === 'number') return this.arena.get(stored);
    const v = stored.value;
    return typeof v === 'object' && v !== null ? { ...v } : v;
  }

  /**
   * A read of the store as it is now, like a memdown iterator's snapshot: appends made later lie beyond the lengths
   * captured here, and any other change replaces a shard's arrays instead of changing them (see `write`).
   */
  createReadStream(opts: ReadOptions = {}): EventEmitter {
    const snapshot = this.snapshot();
    return new RangeReader(() => entries(snapshot, opts, (v) => this.value(v)));
  }

  private snapshot(): Snapshot {
    return this.order.map((shard) => {
      const { keys, values } = this.shards.get(shard)!;
      return { keys, values, end: keys.length };
    });
  }

  /**
   * Up to `limit` records of a range, read at once, for the fast GetRecords path: keys and values as stored (read a
   * value with `value`, or a packed one straight from `arena`). Valid until the next write.
   */
  slice(opts: ReadOptions, limit: number): { keys: string[]; values: Stored[] } {
    const keys: string[] = [];
    const values: Stored[] = [];
    if (limit <= 0) return { keys, values };
    for (const entry of entries(this.snapshot(), { ...opts, keys: true, values: true }, (v) => v)) {
      const { key, value } = entry as { key: string; value: Stored };
      keys.push(key);
      values.push(value);
      if (keys.length === limit) break;
    }
    return { keys, values };
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
      log = { keys: [], values: [] };
      this.shards.set(shard, log);
      this.order = [...this.shards.keys()].sort();
    }
    const { keys } = log;
    const last = keys.length - 1;
    // Sequence numbers grow within a shard, so a put is almost always an append, which no open read can see.
    if (op.type === 'put' && (last < 0 || keys[last]! < op.key)) {
      keys.push(op.key);
      log.values.push(this.store(op.value));
      return;
    }
    const at = lowerBound(keys, op.key, true);
    const exists = keys[at] === op.key;
    if (op.type === 'del' && !exists) return;
    if (!copied.has(log)) {
      // Open reads keep the arrays they captured; this shard gets new ones.
      log = { keys: [...log.keys], values: [...log.values] };
      this.shards.set(shard, log);
      copied.add(log);
    }
    const old = exists ? log.values[at] : undefined;
    if (typeof old === 'number') replaced.push(old);
    if (op.type === 'del') {
      log.keys.splice(at, 1);
      log.values.splice(at, 1);
    } else if (exists) {
      log.values[at] = this.store(op.value);
    } else {
      log.keys.splice(at, 0, op.key);
      log.values.splice(at, 0, this.store(op.value));
    }
  }

  private store(value: unknown): Stored {
    return isPlainRecord(value) ? this.arena.add(value) : new Kept(storable(value));
  }
}

/** The shard logs as they are at one instant: later appends lie beyond `end`. */
type Snapshot = readonly { readonly keys: string[]; readonly values: Stored[]; readonly end: number }[];

/** The entries of a snapshot within a range, in key order, with values as `value` reads them. */
function* entries(snapshot: Snapshot, opts: ReadOptions, value: (stored: Stored) => unknown): Generator<unknown> {
  const withKeys = opts.keys !== false;
  const withValues = opts.values !== false;
  const low = opts.gte ?? opts.gt;
  const high = opts.lte ?? opts.lt;
  for (const { keys, values, end } of snapshot) {
    if (end === 0) continue;
    if (high !== undefined && keys[0]! > high) return;
    if (low !== undefined && keys[end - 1]! < low) continue;
    let i = low === undefined ? 0 : lowerBound(keys, low, opts.gte !== undefined);
    for (; i < end; i++) {
      const key = keys[i]!;
      if (high !== undefined && (key > high || (opts.lte === undefined && key === high))) return;
      if (withKeys && withValues) yield { key, value: value(values[i]!) };
      else if (withKeys) yield key;
      else yield value(values[i]!);
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
