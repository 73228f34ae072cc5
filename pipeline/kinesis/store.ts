/**
 * The state and the operations of the embedded Kinesis: streams, shards, their records ({@link RecordArena}), the
 * readers of each shard, and the per-shard write limits. The server (`server.ts`) validates requests and calls
 * these with clean input; they answer as Kinesis does, or throw a {@link KinesisError}.
 *
 * Memory: records leave a shard when the stream's retention trims them, and earlier when the records of all streams
 * pass the memory budget. A budget trim takes the oldest records first but never a record that a live reader of
 * that shard has not passed: a reader is a chain of shard iterators (GetShardIterator starts one, each GetRecords
 * continues it with its NextShardIterator), live while its latest iterator has not expired (5 minutes), and it has
 * passed the records before the iterator it last used (it may still repeat that call). A shard with no live reader
 * gives up its oldest records freely, as retention would. When the budget is full of records readers still need,
 * writes fail with ProvisionedThroughputExceededException (per entry in PutRecords) until they catch up: writers
 * back off, as from a throttled shard, and nothing is lost. TRIM_HORIZON is always the oldest record held.
 */
import { KINESIS_LIMITS } from '../../facts/aws-limits';
import { KinesisError, rateExceeded, streamNotFound } from './errors';
import { createShardIterator, decodeShardIterator } from './iterator';
import { RecordArena } from './record-arena';
import { base64Length } from './validation';
import {
  hashHex,
  incrementSequence,
  parseSequence,
  partitionKeyToHashHex,
  resolveShardId,
  shardIdName,
  stringifySequence,
  type SequenceParts,
} from './sequence';

/** Options of a {@link KinesisStore}. */
export interface KinesisStoreOptions {
  /** How long a new stream stays CREATING. @default 0 ms (the timer still runs: wait for ACTIVE) */
  readonly createStreamMs?: number;
  /** How long a deleted stream stays DELETING. @default 0 ms */
  readonly deleteStreamMs?: number;
  /** Open shards allowed across all streams (LimitExceededException beyond). @default 50 */
  readonly shardLimit?: number;
  /**
   * Enforce Kinesis's per-shard write limits (`KINESIS_LIMITS`: 1 MiB/s and 1,000 records/s, partition keys
   * included), answering ProvisionedThroughputExceededException as Kinesis does.
   *
   * @default false
   */
  readonly shardWriteLimits?: boolean;
  /** Memory for records of all streams before the oldest are trimmed early (see the module comment). @default 64 MiB */
  readonly memoryBudgetBytes?: number;
  /** The account id in ARNs and messages. @default '000000000000' */
  readonly accountId?: string;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/** The default of {@link KinesisStoreOptions.memoryBudgetBytes}. */
export const DEFAULT_MEMORY_BUDGET_BYTES = 64 * 1024 * 1024;
const MIN_MEMORY_BUDGET_BYTES = 4 * 1024 * 1024;

const POW_128 = 2n ** 128n;
/** Shards are created this long before the stream, so a record's sequence number always sorts after the shard's start. */
const SEQ_ADJUST_MS = 2000;
const SHARDS_PER_COUNTER = 5;
/** Room for a sequence number (56 digits; version 2 numbers never exceed 57). */
const SEQUENCE_SPACE = '0'.repeat(57);

/** A reader of a shard: the chain of iterators it follows. */
interface Reader {
  /** The first record it may still ask for. */
  pinned: number;
  /** When its latest iterator was made: it expires a TTL later. */
  touchedMs: number;
}

/** A token bucket of one second's worth of writes. */
interface WriteBucket {
  bytes: number;
  records: number;
  atMs: number;
}

class Shard {
  readonly id: string;
  readonly startHash: bigint;
  readonly endHash: bigint;
  readonly startHex: string;
  readonly endHex: string;
  readonly startingSequenceNumber: string;
  readonly records = new RecordArena();
  readonly readers = new Map<number, Reader>();
  bucket: WriteBucket | undefined;

  constructor(
    readonly ix: number,
    count: number,
    readonly createTimeMs: number,
  ) {
    const width = POW_128 / BigInt(count);
    this.id = shardIdName(ix);
    this.startHash = width * BigInt(ix);
    this.endHash = (ix < count - 1 ? width * BigInt(ix + 1) : POW_128) - 1n;
    this.startHex = hashHex(this.startHash);
    this.endHex = hashHex(this.endHash);
    this.startingSequenceNumber = stringifySequence({ shardCreateTime: createTimeMs, shardIx: ix });
  }

  /** The first record some live reader may still ask for; `end` when no reader is live. */
  floor(now: number): number {
    let floor = this.records.end;
    for (const [id, r] of this.readers) {
      if (now - r.touchedMs > KINESIS_LIMITS.shardIteratorTtlMillis) this.readers.delete(id);
      else if (r.pinned < floor) floor = r.pinned;
    }
    return floor;
  }

  describe(): object {
    return {
      HashKeyRange: { StartingHashKey: this.startHash.toString(), EndingHashKey: this.endHash.toString() },
      SequenceNumberRange: { StartingSequenceNumber: this.startingSequenceNumber },
      ShardId: this.id,
    };
  }
}

type StreamStatus = 'CREATING' | 'ACTIVE' | 'DELETING' | 'UPDATING';

interface Stream {
  readonly name: string;
  readonly arn: string;
  readonly createdSeconds: number;
  readonly shards: readonly Shard[];
  status: StreamStatus;
  retentionHours: number;
  /** Sequence counters, one per five shards (kinesalite's scheme). */
  readonly counters: number[];
}

/** A PutRecords entry after validation. */
export interface PutEntry {
  readonly PartitionKey: string;
  readonly Data: string;
  readonly ExplicitHashKey?: string;
}

type PutResult = { ShardId: string; SequenceNumber: string } | { ErrorCode: string; ErrorMessage: string };

/** The embedded Kinesis's streams and their records. */
export class KinesisStore {
  private readonly streams = new Map<string, Stream>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly account: string;
  private readonly budget: number;
  private nextReader = 1;
  /** Bytes held by all arenas, as of the last count (kept current by PutRecords between counts). */
  private held = 0;

  constructor(private readonly opts: KinesisStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.account = opts.accountId ?? '000000000000';
    this.budget = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES;
    if (!(this.budget >= MIN_MEMORY_BUDGET_BYTES)) {
      throw new Error(
        `memoryBudgetBytes must be at least ${MIN_MEMORY_BUDGET_BYTES} (4 MiB: each shard keeps its records in 1 MiB ` +
          `buffers), got ${opts.memoryBudgetBytes}; leave it out for the default of ${DEFAULT_MEMORY_BUDGET_BYTES}`,
      );
    }
  }

  /** Memory held by records of all streams (buffers and per-record arrays). */
  get bytesHeld(): number {
    let n = 0;
    for (const s of this.streams.values()) for (const shard of s.shards) n += shard.records.bytesHeld;
    this.held = n;
    return n;
  }

  /** Cancels pending status changes; the store is unusable afterwards. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.streams.clear();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private stream(name: string): Stream {
    const s = this.streams.get(name);
    if (!s) throw streamNotFound(name, this.account);
    return s;
  }

  /** A stream that takes writes (ACTIVE or UPDATING). */
  private writable(name: string): Stream {
    const s = this.stream(name);
    if (s.status !== 'ACTIVE' && s.status !== 'UPDATING') throw streamNotFound(name, this.account);
    return s;
  }

  /** Shards a stream shows: none until it is ACTIVE, as on Kinesis. */
  private visibleShards(s: Stream): readonly Shard[] {
    return s.status === 'CREATING' ? [] : s.shards;
  }

  createStream(data: { StreamName: string; ShardCount: number }, region: string): void {
    const name = data.StreamName;
    if (this.streams.has(name)) {
      throw new KinesisError('ResourceInUseException', `Stream ${name} under account ${this.account} already exists.`);
    }
    let open = 0;
    for (const s of this.streams.values()) open += this.visibleShards(s).length;
    const limit = this.opts.shardLimit ?? 50;
    if (open + data.ShardCount > limit) {
      throw new KinesisError(
        'LimitExceededException',
        `This request would exceed the shard limit for the account ${this.account} in ${region}. Current shard count for ` +
          `the account: ${open}. Limit: ${limit}. Number of additional shards that would have resulted from this request: ` +
          `${data.ShardCount}. Refer to the AWS Service Limits page (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) ` +
          'for current limits and how to request higher limits.',
      );
    }
    const createTime = this.now() - SEQ_ADJUST_MS;
    const stream: Stream = {
      name,
      arn: `arn:aws:kinesis:${region}:${this.account}:stream/${name}`,
      createdSeconds: Math.floor(createTime / 1000),
      shards: Array.from({ length: data.ShardCount }, (_, i) => new Shard(i, data.ShardCount, createTime)),
      status: 'CREATING',
      retentionHours: KINESIS_LIMITS.defaultRetentionHours,
      counters: new Array<number>(Math.ceil(data.ShardCount / SHARDS_PER_COUNTER)).fill(0),
    };
    this.streams.set(name, stream);
    this.later(this.opts.createStreamMs ?? 0, () => {
      if (stream.status === 'CREATING') stream.status = 'ACTIVE';
    });
  }

  deleteStream(data: { StreamName: string }): void {
    const s = this.stream(data.StreamName);
    s.status = 'DELETING';
    for (const shard of s.shards) shard.records.trimBefore(shard.records.end);
    this.later(this.opts.deleteStreamMs ?? 0, () => {
      if (this.streams.get(s.name) === s) this.streams.delete(s.name);
    });
  }

  describeStream(data: { StreamName: string; Limit?: number; ExclusiveStartShardId?: string }): object {
    const s = this.stream(data.StreamName);
    const after = data.ExclusiveStartShardId;
    const shards = this.visibleShards(s).filter((sh) => after === undefined || sh.id > after);
    const limit = data.Limit ?? 100;
    return {
      StreamDescription: {
        RetentionPeriodHours: s.retentionHours,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        HasMoreShards: shards.length > limit,
        Shards: shards.slice(0, limit).map((sh) => sh.describe()),
        StreamARN: s.arn,
        StreamName: s.name,
        StreamStatus: s.status,
        StreamCreationTimestamp: s.createdSeconds,
      },
    };
  }

  describeStreamSummary(data: { StreamName: string }): object {
    const s = this.stream(data.StreamName);
    return {
      StreamDescriptionSummary: {
        RetentionPeriodHours: s.retentionHours,
        EnhancedMonitoring: [{ ShardLevelMetrics: [] }],
        EncryptionType: 'NONE',
        StreamARN: s.arn,
        StreamName: s.name,
        StreamStatus: s.status,
        StreamCreationTimestamp: s.createdSeconds,
        OpenShardCount: this.visibleShards(s).length,
        ConsumerCount: 0,
      },
    };
  }

  listStreams(data: { Limit?: number; ExclusiveStartStreamName?: string }): object {
    const limit = data.Limit ?? 10;
    const after = data.ExclusiveStartStreamName;
    const names = [...this.streams.keys()].sort().filter((n) => after === undefined || n > after);
    return { StreamNames: names.slice(0, limit), HasMoreStreams: names.length > limit };
  }

  listShards(data: { StreamName?: string; NextToken?: string; ExclusiveStartShardId?: string; MaxResults?: number }): object {
    if (!data.StreamName && !data.NextToken) {
      throw new KinesisError('InvalidArgumentException', 'Either NextToken or StreamName should be provided.');
    }
    if (data.StreamName && data.NextToken) {
      throw new KinesisError('InvalidArgumentException', 'NextToken and StreamName cannot be provided together.');
    }
    let name = data.StreamName;
    let after = data.ExclusiveStartShardId;
    if (data.NextToken) {
      const token = decodeToken(data.NextToken);
      if (!token) throw new KinesisError('InvalidArgumentException', `NextToken ${data.NextToken} is invalid or has expired.`);
      ({ name, after } = token);
    }
    const s = this.stream(name!);
    const shards = this.visibleShards(s).filter((sh) => after === undefined || sh.id > after);
    const page = shards.slice(0, data.MaxResults ?? 1000);
    const last = page[page.length - 1];
    return {
      Shards: page.map((sh) => sh.describe()),
      ...(page.length < shards.length && last ? { NextToken: encodeToken({ name: s.name, after: last.id }) } : {}),
    };
  }

  changeRetention(data: { StreamName: string; RetentionPeriodHours: number }, increase: boolean): void {
    const s = this.stream(data.StreamName);
    const hours = data.RetentionPeriodHours;
    if (hours < KINESIS_LIMITS.defaultRetentionHours) {
      throw new KinesisError(
        'InvalidArgumentException',
        `Minimum allowed retention period is 24 hours. Requested retention period (${hours} hours) is too short.`,
      );
    }
    if (increase ? s.retentionHours > hours : s.retentionHours < hours) {
      throw new KinesisError(
        'InvalidArgumentException',
        `Requested retention period (${hours} hours) for stream ${s.name} can not be ${increase ? 'shorter' : 'longer'} than ` +
          `existing retention period (${s.retentionHours} hours). Use ${increase ? 'Decrease' : 'Increase'}RetentionPeriod API.`,
      );
    }
    s.retentionHours = hours;
  }

  /** The shard an entry goes to, or an InvalidArgumentException for a hash key out of range. */
  private shardFor(s: Stream, partitionKey: string, explicitHashKey: string | undefined): Shard {
    let hex: string;
    if (explicitHashKey !== undefined) {
      const key = BigInt(explicitHashKey);
      if (key < 0n || key >= POW_128) {
        throw new KinesisError(
          'InvalidArgumentException',
          `Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified value was ${explicitHashKey}`,
        );
      }
      if (s.shards.length === 1) return s.shards[0]!;
      hex = hashHex(key);
    } else {
      if (s.shards.length === 1) return s.shards[0]!;
      hex = partitionKeyToHashHex(partitionKey);
    }
    for (const shard of s.shards) if (hex >= shard.startHex && hex <= shard.endHex) return shard;
    throw new Error(`no shard of ${s.name} covers hash key ${hex}`);
  }

  /** Drops records past the stream's retention from a shard. */
  private retain(s: Stream, shard: Shard, now: number): void {
    const records = shard.records;
    if (records.first === records.end) return;
    const cutoff = now - s.retentionHours * 3_600_000;
    if (records.arrivalMs(records.first) < cutoff) records.trimBefore(records.firstArrivedAtOrAfter(cutoff));
  }

  /** Whether the shard's write limits leave room for one more record of `bytes`; takes it from the bucket if so. */
  private withinWriteLimits(shard: Shard, bytes: number, now: number): boolean {
    const perSecondBytes = KINESIS_LIMITS.shardWriteBytesPerSecond;
    const perSecondRecords = KINESIS_LIMITS.shardWriteRecordsPerSecond;
    const b = (shard.bucket ??= { bytes: perSecondBytes, records: perSecondRecords, atMs: now });
    const refill = Math.max(0, now - b.atMs) / 1000;
    b.bytes = Math.min(perSecondBytes, b.bytes + refill * perSecondBytes);
    b.records = Math.min(perSecondRecords, b.records + refill * perSecondRecords);
    b.atMs = now;
    if (b.records < 1 || b.bytes < bytes) return false;
    b.records -= 1;
    b.bytes -= bytes;
    return true;
  }

  /**
   * Frees at least `need` bytes under the budget by trimming, oldest records first, records no live reader still
   * needs; false if readers hold too much.
   */
  private makeRoom(need: number, now: number): boolean {
    let held = this.bytesHeld;
    while (held + need > this.budget) {
      let oldest: { shard: Shard; floor: number } | undefined;
      let oldestArrival = Number.POSITIVE_INFINITY;
      for (const s of this.streams.values()) {
        for (const shard of s.shards) {
          const r = shard.records;
          const floor = shard.floor(now);
          if (r.first >= floor) continue;
          const arrival = r.arrivalMs(r.first);
          if (arrival < oldestArrival) {
            oldestArrival = arrival;
            oldest = { shard, floor };
          }
        }
      }
      if (!oldest) return false;
      const r = oldest.shard.records;
      r.trimBefore(Math.min(oldest.floor, r.nextChunkStart(r.first)));
      held = this.bytesHeld;
    }
    return true;
  }

  /** Stores one record in a shard and returns its sequence number. */
  private append(s: Stream, shard: Shard, entry: PutEntry, now: number): string {
    const ms = Math.max(now, shard.createTimeMs);
    const group = Math.floor(shard.ix / SHARDS_PER_COUNTER);
    const seqIx = s.counters[group]!;
    s.counters[group] = seqIx + 1;
    const sequenceNumber = stringifySequence({ shardCreateTime: shard.createTimeMs, shardIx: shard.ix, seqIx, seqTime: ms });
    shard.records.add({ sequenceNumber, seqIx, seqSecond: Math.floor(ms / 1000), partitionKey: entry.PartitionKey, arrivalMs: ms }, entry.Data);
    return sequenceNumber;
  }

  /**
   * Why an entry cannot be written now (the shard's write limit, or the memory budget full of unread records), or
   * undefined when it can.
   */
  private refusal(s: Stream, shard: Shard, entry: PutEntry, now: number): KinesisError | undefined {
    if (this.opts.shardWriteLimits) {
      const bytes = base64Length(entry.Data) + Buffer.byteLength(entry.PartitionKey, 'utf8');
      if (!this.withinWriteLimits(shard, bytes, now)) return rateExceeded(shard.id, s.name, this.account);
    }
    const need = shard.records.growthFor(SEQUENCE_SPACE, entry.PartitionKey, entry.Data);
    if (need > 0 && this.held + need > this.budget && !this.makeRoom(need, now)) {
      return rateExceeded(
        shard.id,
        s.name,
        this.account,
        `(Embedded Kinesis: its memory budget of ${Math.round(this.budget / 1048576)} MiB is full of records that readers ` +
          'have not read yet; retry once they catch up.)',
      );
    }
    this.held += need;
    return undefined;
  }

  putRecord(data: PutEntry & { StreamName: string; SequenceNumberForOrdering?: string }): object {
    const s = this.writable(data.StreamName);
    const shard = this.shardFor(s, data.PartitionKey, data.ExplicitHashKey);
    const now = this.now();
    if (data.SequenceNumberForOrdering !== undefined) {
      let valid: boolean;
      try {
        valid = (parseSequence(data.SequenceNumberForOrdering).seqTime ?? 0) <= now;
      } catch {
        valid = false;
      }
      if (!valid) {
        throw new KinesisError(
          'InvalidArgumentException',
          `ExclusiveMinimumSequenceNumber ${data.SequenceNumberForOrdering} used in PutRecord on stream ${s.name} under ` +
            `account ${this.account} is invalid.`,
        );
      }
    }
    this.held = this.bytesHeld;
    this.retain(s, shard, now);
    const refused = this.refusal(s, shard, data, now);
    if (refused) throw refused;
    return { ShardId: shard.id, SequenceNumber: this.append(s, shard, data, now) };
  }

  putRecords(data: { StreamName: string; Records: readonly PutEntry[] }): object {
    const s = this.writable(data.StreamName);
    // Every entry's hash key is checked before any is written: one bad key fails the whole call, as on Kinesis.
    const shards = data.Records.map((r) => this.shardFor(s, r.PartitionKey, r.ExplicitHashKey));
    const now = this.now();
    this.held = this.bytesHeld;
    for (const shard of new Set(shards)) this.retain(s, shard, now);
    let failed = 0;
    const results: PutResult[] = new Array<PutResult>(data.Records.length);
    for (let i = 0; i < shards.length; i++) {
      const shard = shards[i]!;
      const entry = data.Records[i]!;
      const refused = this.refusal(s, shard, entry, now);
      if (refused) {
        failed += 1;
        results[i] = { ErrorCode: refused.type, ErrorMessage: refused.message };
      } else {
        results[i] = { ShardId: shard.id, SequenceNumber: this.append(s, shard, entry, now) };
      }
    }
    return { FailedRecordCount: failed, Records: results };
  }

  getShardIterator(data: {
    StreamName: string;
    ShardId: string;
    ShardIteratorType: string;
    StartingSequenceNumber?: string;
    Timestamp?: number;
  }): object {
    let resolved: { shardId: string; shardIx: number };
    try {
      resolved = resolveShardId(data.ShardId);
    } catch {
      throw new KinesisError(
        'ResourceNotFoundException',
        `Could not find shard ${data.ShardId} in stream ${data.StreamName} under account ${this.account}.`,
      );
    }
    const { shardId, shardIx } = resolved;
    const s = this.streams.get(data.StreamName);
    const shard = s ? this.visibleShards(s)[shardIx] : undefined;
    if (!s || !shard) {
      throw new KinesisError(
        'ResourceNotFoundException',
        `Shard ${shardId} in stream ${data.StreamName} under account ${this.account} does not exist`,
      );
    }
    const now = this.now();
    const type = data.ShardIteratorType;
    const mustSpecify = 'Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. ';
    let seq: string;
    if (data.StartingSequenceNumber) {
      if (type === 'TRIM_HORIZON' || type === 'LATEST') {
        throw new KinesisError('InvalidArgumentException', `${mustSpecify}Request specified ${type} and also a StartingSequenceNumber.`);
      }
      const invalid = `StartingSequenceNumber ${data.StartingSequenceNumber} used in GetShardIterator on shard ${shardId} in stream ${s.name} under account ${this.account} is invalid`;
      let parts: SequenceParts;
      try {
        parts = parseSequence(data.StartingSequenceNumber);
      } catch {
        throw new KinesisError('InvalidArgumentException', `${invalid}.`);
      }
      if (parts.shardIx !== shardIx) {
        throw new KinesisError(
          'InvalidArgumentException',
          `Invalid StartingSequenceNumber. It encodes ${shardIdName(parts.shardIx ?? 0)}, while it was used in a call to a shard with ${shardId}`,
        );
      }
      if (parts.version !== 2 || parts.shardCreateTime !== Math.floor(shard.createTimeMs / 1000) * 1000) {
        if (parts.version === 0) throw new KinesisError('InternalFailure', undefined, 500);
        throw new KinesisError('InvalidArgumentException', `${invalid} because it did not come from this stream.`);
      }
      seq = type === 'AT_SEQUENCE_NUMBER' ? data.StartingSequenceNumber : incrementSequence(parts);
    } else if (type === 'TRIM_HORIZON') {
      seq = shard.startingSequenceNumber;
    } else if (type === 'LATEST') {
      seq = this.latest(s, shard, now);
    } else if (type === 'AT_TIMESTAMP') {
      if (data.Timestamp == null) {
        throw new KinesisError(
          'InvalidArgumentException',
          'Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. Current request has no timestamp parameter.',
        );
      }
      const ms = data.Timestamp * 1000;
      if (ms > now) {
        throw new KinesisError(
          'InvalidArgumentException',
          `The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. timestampInMillis: ${ms}, currentTimestampInMillis: ${now}`,
        );
      }
      const i = shard.records.firstArrivedAtOrAfter(ms);
      seq = i < shard.records.end ? shard.records.sequence(i) : this.latest(s, shard, now);
    } else {
      throw new KinesisError('InvalidArgumentException', `${mustSpecify}Request specified ${type} and no StartingSequenceNumber.`);
    }
    const reader = this.nextReader++;
    shard.readers.set(reader, { pinned: this.position(shard, seq), touchedMs: now });
    return { ShardIterator: createShardIterator(s.name, shardId, seq, reader, now) };
  }

  /** The sequence number just past the shard's newest record: where LATEST starts. */
  private latest(s: Stream, shard: Shard, now: number): string {
    return stringifySequence({
      shardCreateTime: shard.createTimeMs,
      seqIx: s.counters[Math.floor(shard.ix / SHARDS_PER_COUNTER)],
      seqTime: now,
      shardIx: shard.ix,
    });
  }

  /** Index of the first record at or after a sequence number of this shard. */
  private position(shard: Shard, seq: string): number {
    const p = parseSequence(seq);
    return shard.records.lowerBound(Number(p.seqIx ?? 0), Math.floor((p.seqTime ?? 0) / 1000));
  }

  /**
   * GetRecords: the JSON body, records copied from the arena. At most `Limit` records and about the 10 MiB Kinesis
   * returns per call.
   */
  getRecords(data: { ShardIterator: string; Limit?: number }): Buffer {
    const now = this.now();
    const it = decodeShardIterator(data.ShardIterator, now);
    let parts: SequenceParts;
    try {
      parts = parseSequence(it.sequenceNumber);
    } catch {
      throw new KinesisError('InvalidArgumentException', 'Invalid ShardIterator.');
    }
    const s = this.streams.get(it.streamName);
    const shard = s ? this.visibleShards(s)[it.shardIx] : undefined;
    if (!s || !shard) {
      throw new KinesisError(
        'ResourceNotFoundException',
        `Shard ${it.shardId} in stream ${it.streamName} under account ${this.account} does not exist`,
      );
    }
    this.retain(s, shard, now);
    const records = shard.records;
    const start = records.lowerBound(Number(parts.seqIx ?? 0), Math.floor((parts.seqTime ?? 0) / 1000));
    const limit = data.Limit ?? KINESIS_LIMITS.maxGetRecordsLimit;
    let end = start;
    let size = 0;
    let dataBytes = 0;
    while (end < records.end && end - start < limit) {
      const n = records.dataLength(end);
      if (end > start && dataBytes + n > KINESIS_LIMITS.maxGetRecordsBytes) break;
      dataBytes += n;
      size += records.jsonLength(end) + 1;
      end += 1;
    }
    const reader = shard.readers.get(it.reader);
    if (reader) {
      reader.pinned = start;
      reader.touchedMs = now;
    } else {
      shard.readers.set(it.reader, { pinned: start, touchedMs: now });
    }
    let next: string;
    if (end > start) {
      const last = parseSequence(records.sequence(end - 1));
      next = incrementSequence(last, null);
    } else {
      next = incrementSequence(parts, Math.max(now, parts.seqTime ?? 0));
    }
    const behind = end < records.end ? Math.max(0, now - records.arrivalMs(end)) : 0;
    const head = `{"MillisBehindLatest":${behind},"NextShardIterator":"${createShardIterator(s.name, shard.id, next, it.reader, now)}","Records":[`;
    const out = Buffer.allocUnsafe(head.length + size + 2);
    let pos = out.write(head, 0, 'latin1');
    for (let i = start; i < end; i++) {
      if (i > start) out[pos++] = 0x2c; // ,
      pos = records.writeJson(i, out, pos);
    }
    pos += out.write(']}', pos, 'latin1');
    return out.subarray(0, pos);
  }
}

function encodeToken(t: { name: string; after: string }): string {
  return Buffer.from(JSON.stringify(t), 'utf8').toString('base64');
}

function decodeToken(token: string): { name: string; after: string } | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { name?: unknown; after?: unknown };
    return typeof t.name === 'string' && typeof t.after === 'string' ? { name: t.name, after: t.after } : undefined;
  } catch {
    return undefined;
  }
}
