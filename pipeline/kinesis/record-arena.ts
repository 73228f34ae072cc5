/**
 * The records of one shard, kept outside the JavaScript heap, oldest first, trimmable from the front.
 *
 * A record's sequence number, partition key (as it appears inside a JSON string) and base64 data are copied into
 * 1 MiB buffers; its sizes, arrival time and position in the shard's order into typed arrays. The heap holds no
 * record, so V8 never sizes its heap from what the stream retains, and GetRecords copies bytes into its response
 * instead of building and serialising objects. Records are addressed by their index in the shard (0 for the first
 * record ever written): trimming drops the oldest ones and frees each buffer once its last record is gone, so what
 * is held depends on what is retained, not on how much was ever written.
 */

const CHUNK_BYTES = 1 << 20;
const INITIAL_RECORDS = 1 << 10;
/** Printable ASCII without `"` and `\`: the same inside a JSON string. */
const JSON_SAFE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A partition key as it is written inside a JSON string, and its length in UTF-8. */
function jsonKey(key: string): { text: string; bytes: number } {
  if (JSON_SAFE.test(key)) return { text: key, bytes: key.length };
  const text = JSON.stringify(key).slice(1, -1);
  return { text, bytes: Buffer.byteLength(text, 'utf8') };
}

/** A record as GetRecords returns it. */
export interface StoredRecord {
  SequenceNumber: string;
  PartitionKey: string;
  Data: string;
  /** Seconds since the epoch, with milliseconds. */
  ApproximateArrivalTimestamp: number;
}

/** What a new record carries besides its data. */
export interface RecordMeta {
  readonly sequenceNumber: string;
  /** The sequence number's counter and arrival second: the shard's order (counter first). */
  readonly seqIx: number;
  readonly seqSecond: number;
  readonly partitionKey: string;
  /** Milliseconds since the epoch. */
  readonly arrivalMs: number;
}

const OPEN = Buffer.from('{"PartitionKey":"', 'latin1');
const AFTER_KEY = Buffer.from('","Data":"', 'latin1');
const AFTER_DATA = Buffer.from('","ApproximateArrivalTimestamp":', 'latin1');
const AFTER_TIME = Buffer.from(',"SequenceNumber":"', 'latin1');
const CLOSE = Buffer.from('"}', 'latin1');
/** JSON bytes of a record besides its key, data, time and sequence number; a time takes at most 24 characters. */
const JSON_OVERHEAD = OPEN.length + AFTER_KEY.length + AFTER_DATA.length + 24 + AFTER_TIME.length + CLOSE.length;
/** Bytes of typed arrays per record slot. */
const SLOT_BYTES = 4 + 4 + 1 + 2 + 4 + 8 + 8 + 4;

/** The record storage of one shard. */
export class RecordArena {
  /** Buffers still holding records, oldest first; `chunks[0]` has the number `firstChunk`. */
  private chunks: Buffer[] = [];
  private firstChunk = 0;
  /** Total size of `chunks`. */
  private chunkBytes = 0;
  private free = 0;
  /** Index (in the shard) of the oldest record held, and of the next record to be written. */
  private head = 0;
  private tail = 0;
  /** Slot of the oldest record held: slot = index - offset. */
  private offset = 0;
  private lastArrival = Number.NaN;
  private lastArrivalText = '';
  private chunkOf = new Uint32Array(INITIAL_RECORDS);
  private start = new Uint32Array(INITIAL_RECORDS);
  private sequenceBytes = new Uint8Array(INITIAL_RECORDS);
  private keyBytes = new Uint16Array(INITIAL_RECORDS);
  private dataBytes = new Uint32Array(INITIAL_RECORDS);
  private arrival = new Float64Array(INITIAL_RECORDS);
  private seqIx = new Float64Array(INITIAL_RECORDS);
  private seqSecond = new Uint32Array(INITIAL_RECORDS);

  /** Index of the oldest record held (the shard's TRIM_HORIZON). */
  get first(): number {
    return this.head;
  }

  /** Index the next record will get: records `first` to `end - 1` are held. */
  get end(): number {
    return this.tail;
  }

  /** Memory held: record buffers plus the per-record arrays. */
  get bytesHeld(): number {
    return this.chunkBytes + this.arrival.length * SLOT_BYTES;
  }

  /**
   * Bytes that storing a record would newly allocate (a buffer, larger arrays), or 0: what the memory budget checks.
   */
  growthFor(sequenceNumber: string, partitionKey: string, dataBase64: string): number {
    const need = sequenceNumber.length + jsonKey(partitionKey).bytes + dataBase64.length;
    let bytes = need > this.free ? Math.max(CHUNK_BYTES, need) : 0;
    const slots = this.arrival.length;
    if (this.tail - this.offset === slots && !(this.head - this.offset > slots / 4)) bytes += slots * SLOT_BYTES;
    return bytes;
  }

  /** Stores a record (its data as base64) and returns its index. */
  add(meta: RecordMeta, dataBase64: string): number {
    const { text: key, bytes: keyLength } = jsonKey(meta.partitionKey);
    const seq = meta.sequenceNumber;
    const need = seq.length + keyLength + dataBase64.length;
    if (need > this.free) {
      const size = Math.max(CHUNK_BYTES, need);
      this.chunks.push(Buffer.allocUnsafeSlow(size));
      this.chunkBytes += size;
      this.free = size;
    }
    const c = this.chunks.length - 1;
    const chunk = this.chunks[c]!;
    const at = chunk.length - this.free;
    chunk.write(seq, at, 'latin1');
    chunk.write(key, at + seq.length, 'utf8');
    chunk.write(dataBase64, at + seq.length + keyLength, 'latin1');
    this.free -= need;
    if (this.tail - this.offset === this.arrival.length) this.makeRoom();
    const s = this.tail - this.offset;
    this.chunkOf[s] = this.firstChunk + c;
    this.start[s] = at;
    this.sequenceBytes[s] = seq.length;
    this.keyBytes[s] = keyLength;
    this.dataBytes[s] = dataBase64.length;
    this.arrival[s] = meta.arrivalMs;
    this.seqIx[s] = meta.seqIx;
    this.seqSecond[s] = meta.seqSecond;
    return this.tail++;
  }

  /** Drops every record before index `index` (clamped to what is held). */
  trimBefore(index: number): void {
    const to = Math.min(Math.max(index, this.head), this.tail);
    if (to === this.head) return;
    this.head = to;
    if (this.head === this.tail) {
      // Nothing held: give every buffer back, the next record starts a new one.
      this.firstChunk += this.chunks.length;
      this.chunks = [];
      this.chunkBytes = 0;
      this.free = 0;
    } else {
      const keepFrom = this.chunkOf[this.head - this.offset]! - this.firstChunk;
      if (keepFrom > 0) {
        for (let c = 0; c < keepFrom; c++) this.chunkBytes -= this.chunks[c]!.length;
        this.chunks = this.chunks.slice(keepFrom);
        this.firstChunk += keepFrom;
      }
    }
    // Reclaim the slots of dropped records once they are half the arrays.
    const dropped = this.head - this.offset;
    if (dropped > INITIAL_RECORDS && dropped * 2 >= this.arrival.length) this.compact();
  }

  /** Index of the first record at or after the position (counter, second), or `end`. */
  lowerBound(seqIx: number, seqSecond: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = mid - this.offset;
      const ix = this.seqIx[s]!;
      if (ix < seqIx || (ix === seqIx && this.seqSecond[s]! < seqSecond)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first record after `i` that is in a later buffer than `i` (or `end`): trimming to it frees one buffer. */
  nextChunkStart(i: number): number {
    const chunk = this.chunkOf[i - this.offset]!;
    let lo = i;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunkOf[mid - this.offset]! <= chunk) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first record that arrived at or after `ms`, or `end`. */
  firstArrivedAtOrAfter(ms: number): number {
    let lo = this.head;
    let hi = this.tail;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.arrival[mid - this.offset]! < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Arrival of record `i`, in milliseconds since the epoch. */
  arrivalMs(i: number): number {
    return this.arrival[i - this.offset]!;
  }

  /** The sequence number of record `i`. */
  sequence(i: number): string {
    const s = i - this.offset;
    const at = this.start[s]!;
    return this.bytes(i).toString('latin1', at, at + this.sequenceBytes[s]!);
  }

  /** Record `i` as an object. */
  get(i: number): StoredRecord {
    const s = i - this.offset;
    const chunk = this.bytes(i);
    const q = this.start[s]!;
    const k = q + this.sequenceBytes[s]!;
    const d = k + this.keyBytes[s]!;
    return {
      SequenceNumber: chunk.toString('latin1', q, k),
      PartitionKey: JSON.parse(`"${chunk.toString('utf8', k, d)}"`) as string,
      Data: chunk.toString('latin1', d, d + this.dataBytes[s]!),
      ApproximateArrivalTimestamp: this.arrival[s]! / 1000,
    };
  }

  /** The size of record `i`'s data, decoded. */
  dataLength(i: number): number {
    return (this.dataBytes[i - this.offset]! * 3) >>> 2;
  }

  /** An upper bound of what {@link writeJson} writes for record `i`. */
  jsonLength(i: number): number {
    const s = i - this.offset;
    return JSON_OVERHEAD + this.sequenceBytes[s]! + this.keyBytes[s]! + this.dataBytes[s]!;
  }

  /** Writes record `i` as GetRecords returns it into `out` at `pos`; returns the end. Needs {@link jsonLength} bytes. */
  writeJson(i: number, out: Buffer, pos: number): number {
    const s = i - this.offset;
    const chunk = this.bytes(i);
    const q = this.start[s]!;
    const k = q + this.sequenceBytes[s]!;
    const d = k + this.keyBytes[s]!;
    pos += OPEN.copy(out, pos);
    pos += chunk.copy(out, pos, k, d);
    pos += AFTER_KEY.copy(out, pos);
    pos += chunk.copy(out, pos, d, d + this.dataBytes[s]!);
    pos += AFTER_DATA.copy(out, pos);
    const arrival = this.arrival[s]!;
    if (arrival !== this.lastArrival) {
      this.lastArrival = arrival;
      this.lastArrivalText = String(arrival / 1000);
    }
    pos += out.write(this.lastArrivalText, pos, 'latin1');
    pos += AFTER_TIME.copy(out, pos);
    pos += chunk.copy(out, pos, q, k);
    return pos + CLOSE.copy(out, pos);
  }

  private bytes(i: number): Buffer {
    if (i < this.head || i >= this.tail) throw new RangeError(`record ${i} is not held (held: ${this.head}–${this.tail - 1})`);
    return this.chunks[this.chunkOf[i - this.offset]! - this.firstChunk]!;
  }

  /** Room for one more slot: reuse the slots of dropped records, or double the arrays. */
  private makeRoom(): void {
    if (this.head - this.offset > this.arrival.length / 4) this.compact();
    else this.resize(this.arrival.length * 2);
  }

  private compact(): void {
    this.resize(Math.max(INITIAL_RECORDS, this.arrival.length));
  }

  /** New arrays of `size` slots holding the records held, from slot 0. */
  private resize(size: number): void {
    const from = this.head - this.offset;
    const to = this.tail - this.offset;
    const moved = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(size);
      b.set(a.subarray(from, to));
      return b;
    };
    this.chunkOf = moved(this.chunkOf, Uint32Array);
    this.start = moved(this.start, Uint32Array);
    this.sequenceBytes = moved(this.sequenceBytes, Uint8Array);
    this.keyBytes = moved(this.keyBytes, Uint16Array);
    this.dataBytes = moved(this.dataBytes, Uint32Array);
    this.arrival = moved(this.arrival, Float64Array);
    this.seqIx = moved(this.seqIx, Float64Array);
    this.seqSecond = moved(this.seqSecond, Uint32Array);
    this.offset = this.head;
  }
}
