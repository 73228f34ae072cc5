/**
 * Record bytes for the embedded Kinesis, kept outside the JavaScript heap.
 *
 * kinesalite stores each record as an object of three fields parsed from the PutRecords body under a 65-character
 * key: ~600 bytes of heap per record (a 276-character base64 string for a 200-byte line, its partition key, the
 * arrival time, the object, the key), all of it live for the stream's retention. V8 sizes the old generation from
 * what is live, so every retained byte also lets garbage pile up before a full collection: on 200k lines, 101 MB of
 * records meant a ~180 MB heap. Here a record's sequence number, partition key and data are copied into 1 MiB
 * buffers, their sizes and its arrival time into typed arrays, and the store keeps only its index: the heap holds
 * no record, and GetRecords copies bytes into its response instead of building and serialising objects.
 *
 * Only records that round-trip exactly are packed: the three fields kinesalite writes, in its order, a partition key
 * of JSON-safe printable ASCII and base64 data (what every JSON PutRecords stores), under a decimal sequence number.
 * Anything else stays an object.
 */

/** What kinesalite's PutRecords stores for a record. */
export interface PlainRecord {
  PartitionKey: string;
  Data: string;
  ApproximateArrivalTimestamp: number;
}

const FIELDS = ['PartitionKey', 'Data', 'ApproximateArrivalTimestamp'] as const;
/** Printable ASCII without `"` and `\`: written into JSON as it is. Kinesis partition keys are 1–256 characters. */
const JSON_SAFE_KEY = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const CHUNK_BYTES = 1 << 20;
const INITIAL_RECORDS = 1 << 12;

/** Whether the arena can hold `value` and give back an equal object. */
export function isPlainRecord(value: unknown): value is PlainRecord {
  if (typeof value !== 'object' || value === null) return false;
  let n = 0;
  for (const key in value) if (key !== FIELDS[n++]) return false;
  if (n !== FIELDS.length) return false;
  const { PartitionKey, Data, ApproximateArrivalTimestamp } = value as Record<string, unknown>;
  return (
    typeof PartitionKey === 'string' &&
    typeof Data === 'string' &&
    typeof ApproximateArrivalTimestamp === 'number' &&
    Number.isFinite(ApproximateArrivalTimestamp) &&
    JSON_SAFE_KEY.test(PartitionKey) &&
    BASE64.test(Data)
  );
}

const OPEN = Buffer.from('{"PartitionKey":"', 'latin1');
const AFTER_KEY = Buffer.from('","Data":"', 'latin1');
const AFTER_DATA = Buffer.from('","ApproximateArrivalTimestamp":', 'latin1');
const AFTER_TIME = Buffer.from(',"SequenceNumber":"', 'latin1');
const CLOSE = Buffer.from('"}', 'latin1');
/** JSON bytes of a record besides its key, data, time and sequence number; a time takes at most 24 characters. */
const JSON_OVERHEAD = OPEN.length + AFTER_KEY.length + AFTER_DATA.length + 24 + AFTER_TIME.length + CLOSE.length;

/** Append-only storage of {@link PlainRecord}s, addressed by the index `add` returns. */
export class RecordArena {
  private readonly chunks: (Buffer | undefined)[] = [];
  /** Records still stored per chunk: a chunk is released when its last record is. */
  private live: number[] = [];
  private free = 0;
  private count = 0;
  /** Records of one PutRecords call share an arrival time: its JSON text is made once. */
  private lastArrival = Number.NaN;
  private lastArrivalText = '';
  private chunkOf = new Uint32Array(INITIAL_RECORDS);
  private start = new Uint32Array(INITIAL_RECORDS);
  private sequenceBytes = new Uint8Array(INITIAL_RECORDS);
  private keyBytes = new Uint16Array(INITIAL_RECORDS);
  private dataBytes = new Uint32Array(INITIAL_RECORDS);
  private arrival = new Float64Array(INITIAL_RECORDS);

  /** Bytes of record data held (chunks not yet freed). */
  get bytesHeld(): number {
    let n = 0;
    for (const c of this.chunks) n += c?.length ?? 0;
    return n;
  }

  /**
   * Stores a record (checked with {@link isPlainRecord}) under its sequence number (1–255 decimal digits) and
   * returns its index.
   */
  add(r: PlainRecord, sequence: string): number {
    const keyLength = r.PartitionKey.length;
    const need = sequence.length + keyLength + r.Data.length;
    if (need > this.free) {
      const last = this.chunks.length - 1;
      if (last >= 0 && this.live[last] === 0) this.chunks[last] = undefined;
      const size = Math.max(CHUNK_BYTES, need);
      this.chunks.push(Buffer.allocUnsafeSlow(size));
      this.live.push(0);
      this.free = size;
    }
    const c = this.chunks.length - 1;
    const chunk = this.chunks[c]!;
    const at = chunk.length - this.free;
    chunk.write(sequence, at, 'latin1');
    chunk.write(r.PartitionKey, at + sequence.length, 'latin1');
    chunk.write(r.Data, at + sequence.length + keyLength, 'latin1');
    this.free -= need;
    this.live[c]! += 1;
    if (this.count === this.arrival.length) this.grow();
    const i = this.count++;
    this.chunkOf[i] = c;
    this.start[i] = at;
    this.sequenceBytes[i] = sequence.length;
    this.keyBytes[i] = keyLength;
    this.dataBytes[i] = r.Data.length;
    // JSON has no negative zero: a record read back from LevelDB would have 0.
    this.arrival[i] = r.ApproximateArrivalTimestamp + 0;
    return i;
  }

  /** The sequence number record `i` was stored under. */
  sequence(i: number): string {
    const s = this.start[i]!;
    return this.bytes(i).toString('latin1', s, s + this.sequenceBytes[i]!);
  }

  /** A new object equal to the record stored at `i`. */
  get(i: number): PlainRecord {
    const chunk = this.bytes(i);
    const s = this.start[i]! + this.sequenceBytes[i]!;
    const k = s + this.keyBytes[i]!;
    return {
      PartitionKey: chunk.toString('latin1', s, k),
      Data: chunk.toString('latin1', k, k + this.dataBytes[i]!),
      ApproximateArrivalTimestamp: this.arrival[i]!,
    };
  }

  /** The record's ApproximateArrivalTimestamp (seconds since the epoch). */
  arrivalOf(i: number): number {
    return this.arrival[i]!;
  }

  /** An upper bound of {@link writeJson}'s output for record `i`. */
  jsonLength(i: number): number {
    return JSON_OVERHEAD + this.sequenceBytes[i]! + this.keyBytes[i]! + this.dataBytes[i]!;
  }

  /** Writes record `i` as GetRecords returns it (with its SequenceNumber), into `out` at `pos`; returns the end. */
  writeJson(i: number, out: Buffer, pos: number): number {
    const chunk = this.bytes(i);
    const q = this.start[i]!;
    const s = q + this.sequenceBytes[i]!;
    const k = s + this.keyBytes[i]!;
    pos += OPEN.copy(out, pos);
    pos += chunk.copy(out, pos, s, k);
    pos += AFTER_KEY.copy(out, pos);
    pos += chunk.copy(out, pos, k, k + this.dataBytes[i]!);
    pos += AFTER_DATA.copy(out, pos);
    const arrival = this.arrival[i]!;
    if (arrival !== this.lastArrival) {
      this.lastArrival = arrival;
      this.lastArrivalText = String(arrival);
    }
    pos += out.write(this.lastArrivalText, pos, 'latin1');
    pos += AFTER_TIME.copy(out, pos);
    pos += chunk.copy(out, pos, q, s);
    return pos + CLOSE.copy(out, pos);
  }

  /** Forgets record `i` (deleted or replaced); its chunk is freed with the chunk's last record. */
  release(i: number): void {
    const c = this.chunkOf[i]!;
    this.live[c]! -= 1;
    // The chunk being filled stays: later records go there.
    if (this.live[c] === 0 && c !== this.chunks.length - 1) this.chunks[c] = undefined;
  }

  private bytes(i: number): Buffer {
    const chunk = this.chunks[this.chunkOf[i]!];
    if (!chunk) throw new Error(`record ${i} was released`);
    return chunk;
  }

  private grow(): void {
    const size = this.arrival.length * 2;
    const grown = <T extends Uint8Array | Uint16Array | Uint32Array | Float64Array>(a: T, make: new (n: number) => T): T => {
      const b = new make(size);
      b.set(a);
      return b;
    };
    this.chunkOf = grown(this.chunkOf, Uint32Array);
    this.start = grown(this.start, Uint32Array);
    this.sequenceBytes = grown(this.sequenceBytes, Uint8Array);
    this.keyBytes = grown(this.keyBytes, Uint16Array);
    this.dataBytes = grown(this.dataBytes, Uint32Array);
    this.arrival = grown(this.arrival, Float64Array);
  }
}
