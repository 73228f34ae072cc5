/**
 * Ships log lines to a Kinesis data stream: one line per record the way the Amazon Kinesis Agent does, or (with
 * `aggregate`) many whole lines per record, as our agent does by default (see `aggregator.ts`).
 *
 * - Lines keep their trailing "\n"; RANDOM partition keys (the agent's default `partitionKeyOption`), so records
 *   spread over every shard.
 * - PutRecords batches within the Kinesis limits: at most 500 records and 5 MiB per call, partition keys included,
 *   and at most 1 MiB per record (key + data). A longer line is truncated like the agent truncates it (first bytes
 *   kept, ending in "\n"); it is counted and reported as an event, never dropped silently.
 * - A batch is sent when it is full, when its oldest line is `maxBufferAgeMillis` old, at EOF and on stop.
 * - Throttling, 5xx and network errors are retried with exponential backoff and full jitter (100 ms doubling to
 *   10 s, like the agent); when PutRecords partially fails only the failed entries are sent again.
 * - After a batch is acknowledged the checkpoint (file identity + byte offset) is written atomically, in file
 *   order even with several batches in flight: a restart resumes after the last acknowledged line.
 */
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { KINESIS_LIMITS } from '../../facts/aws-limits';
import { backoffMillis } from '../../facts/retry';
import { AGGREGATION_DEFAULTS, lineFitsFormat, RecordAggregator, type OutRecord } from './aggregator';
import { fingerprint, readCheckpoint, writeCheckpoint } from './checkpoint';
import { PARTITION_KEY_LENGTH as AGENT_PARTITION_KEY_LENGTH } from './defaults';
import { tailLines, type InitialPosition, type Line, type TailEvent, type TrackedFile } from './tail';

/** Kinesis PutRecords limits: records per call. */
export const MAX_RECORDS_PER_CALL = KINESIS_LIMITS.maxRecordsPerPutRecords;
/** Bytes per PutRecords call, partition keys included. */
export const MAX_BYTES_PER_CALL = KINESIS_LIMITS.maxBytesPerPutRecords;
/** Bytes per record, partition key included (the stream default; the agent hard-codes it). */
export const MAX_RECORD_BYTES = KINESIS_LIMITS.maxRecordBytes;
/** Length of the random partition keys: 16 hex characters, 64 random bits. */
export const PARTITION_KEY_LENGTH = AGENT_PARTITION_KEY_LENGTH;

/** Options for {@link Shipper}. */
export interface ShipperOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** The log file to ship. */
  readonly file: string;
  /** Tail the live file through rotation until stopped. @default false: ship the whole file, then end */
  readonly follow?: boolean;
  /** Where to start when there is no checkpoint. @default 'START_OF_FILE' */
  readonly initialPosition?: InitialPosition;
  /** Checkpoint file; without one every run starts at `initialPosition`. @default - none */
  readonly checkpointFile?: string;
  /** Send a batch once its oldest line is this old. @default 60000 (the agent's `maxBufferAgeMillis`) */
  readonly maxBufferAgeMillis?: number;
  /** @default 500 (the agent's `maxBufferSizeRecords`; the PutRecords maximum) */
  readonly maxBufferSizeRecords?: number;
  /**
   * Batch size, partition keys included.
   * @default 5 MiB (the agent's `maxBufferSizeBytes`; the PutRecords maximum); 1 MiB when aggregating
   * (AGGREGATION_DEFAULTS.maxBatchBytes)
   */
  readonly maxBufferSizeBytes?: number;
  /** PutRecords calls in flight at once; the checkpoint still advances in file order. @default 2 */
  readonly maxInFlightBatches?: number;
  /** First retry delay; it doubles per attempt, with full jitter. @default 100 */
  readonly retryBaseMillis?: number;
  /** @default 10000 */
  readonly retryMaxMillis?: number;
  /**
   * Treat a missing stream (`ResourceNotFoundException`) like throttling: retry with backoff until it exists or the
   * shipper is stopped, as a long-running agent should (the stream may be created after the host).
   * @default false: fail at once with a clear error
   */
  readonly retryMissingStream?: boolean;
  /**
   * After {@link Shipper.stop}, how long batches may keep retrying before the shipper gives up on them and `run()`
   * rejects; their lines stay after the checkpoint and are sent at the next start. A service manager's stop timeout
   * must not be spent on a stream that is down.
   * @default Infinity: retry until acknowledged
   */
  readonly stopGraceMillis?: number;
  /** Attempts per batch before the shipper gives up (and fails, checkpoint intact). @default Infinity */
  readonly maxAttempts?: number;
  /** @default 100 */
  readonly pollMillis?: number;
  /** See {@link TailOptions.rotationQuietMillis}. @default 1000 */
  readonly rotationQuietMillis?: number;
  /** Stops the shipper like {@link Shipper.stop}: it flushes, then `run()` resolves. */
  readonly signal?: AbortSignal;
  /**
   * Pack many whole lines into each record (our agent); each line is first checked against the log format and
   * sent alone when it does not fit, so a bad line never takes good ones to the error prefix.
   * @default - none: one line per record, like the Kinesis Agent
   */
  readonly aggregate?: AggregateOptions;
}

/** How {@link Shipper} aggregates lines into records. */
export interface AggregateOptions {
  /** Data bytes per record at most. @default AGGREGATION_DEFAULTS.maxRecordBytes (25,000) */
  readonly maxRecordBytes?: number;
  /** The nginx `log_format` the parser Lambda uses (the stack's `LOG_FORMAT`). @default - nginx `main` and `combined` */
  readonly logFormat?: string;
}

/** Counters for progress displays; a snapshot comes with every `progress` event. */
export interface ShipperStats {
  /** Lines read from the files (a truncated line counts once). */
  linesRead: number;
  /** Bytes read, as records (after truncation, "\n" included). */
  bytesRead: number;
  /** Records acknowledged by Kinesis. */
  recordsShipped: number;
  /** Lines in the records acknowledged by Kinesis. */
  linesShipped: number;
  /** Lines that did not fit the log format and were sent as records of their own (aggregating only). */
  linesUnfit: number;
  /** Data bytes acknowledged by Kinesis (partition keys not counted). */
  bytesShipped: number;
  batchesShipped: number;
  putRecordsCalls: number;
  /** Calls that were repeated: after an error, or to re-send the failed entries of a partial failure. */
  retries: number;
  /** Entries that Kinesis rejected in a partially failed call (each was sent again). */
  failedEntries: number;
  /** Whole calls that failed (throttling, 5xx, network) and were retried. */
  failedCalls: number;
  /** Lines longer than a record allows, shipped truncated. */
  linesTruncated: number;
  /** Bytes cut from those lines. */
  bytesTruncated: number;
  rotations: number;
}

/** What a finished run reports. */
export interface ShipSummary extends ShipperStats {
  readonly elapsedMillis: number;
  /** The checkpoint after the run (file, byte offset), if there was anything acknowledged. */
  readonly checkpoint?: { readonly path: string; readonly offset: number };
}

/** Details of a retry, for logs. */
export interface RetryEvent {
  readonly attempt: number;
  readonly delayMillis: number;
  /** Error name or code, e.g. `ProvisionedThroughputExceededException`, `ECONNREFUSED`. */
  readonly reason: string;
  /** Entries sent again. */
  readonly entries: number;
}

/** A line cut to fit a record. */
export interface TruncationEvent {
  readonly path: string;
  /** Byte offset just after the line in the file. */
  readonly endOffset: number;
  readonly keptBytes: number;
  readonly droppedBytes: number;
}

/** Typed events of {@link Shipper}. */
export interface ShipperEvents {
  progress: [ShipperStats];
  /** The checkpoint moved: every line up to `offset` of `path` is acknowledged (written to disk first, if kept). */
  checkpoint: [{ readonly path: string; readonly offset: number }];
  retry: [RetryEvent];
  truncated: [TruncationEvent];
  tail: [TailEvent];
}

interface Batch {
  readonly records: OutRecord[];
  readonly bytes: number;
}

interface Job {
  /** Where the checkpoint may move once this batch and all before it are acknowledged. */
  readonly last: Line | undefined;
  done: boolean;
  readonly settled: Promise<void>;
}

/**
 * The shipper: `await new Shipper(opts).run()` ships a file (or tails it until `stop()`), and resolves with a
 * summary once everything read has been acknowledged and checkpointed.
 */
export class Shipper extends EventEmitter<ShipperEvents> {
  readonly stats: ShipperStats = {
    linesRead: 0,
    bytesRead: 0,
    recordsShipped: 0,
    linesShipped: 0,
    linesUnfit: 0,
    bytesShipped: 0,
    batchesShipped: 0,
    putRecordsCalls: 0,
    retries: 0,
    failedEntries: 0,
    failedCalls: 0,
    linesTruncated: 0,
    bytesTruncated: 0,
    rotations: 0,
  };

  private readonly stopper = new AbortController();
  /** Aborted `stopGraceMillis` after a stop: retrying batches give up. */
  private readonly abandon = new AbortController();
  private readonly maxRecords: number;
  private readonly maxBytes: number;
  private readonly maxAge: number;
  private readonly maxInFlight: number;
  private readonly aggregator: RecordAggregator;
  /** Records sealed by the aggregator and not yet handed to a sender. */
  private sealed: OutRecord[] = [];
  private buffer: OutRecord[] = [];
  private bufferBytes = 0;
  private ageTimer: NodeJS.Timeout | undefined;
  private launching: Promise<void> = Promise.resolve();
  private readonly inFlight: Job[] = [];
  private fatal: Error | undefined;
  private acked: Line | undefined;
  private started = false;

  constructor(private readonly opts: ShipperOptions) {
    super();
    this.maxRecords = opts.maxBufferSizeRecords ?? MAX_RECORDS_PER_CALL;
    this.maxBytes = opts.maxBufferSizeBytes ?? (opts.aggregate ? AGGREGATION_DEFAULTS.maxBatchBytes : MAX_BYTES_PER_CALL);
    this.maxAge = opts.maxBufferAgeMillis ?? 60_000;
    this.maxInFlight = opts.maxInFlightBatches ?? 2;
    if (!(this.maxRecords >= 1 && this.maxRecords <= MAX_RECORDS_PER_CALL)) {
      throw new Error(`maxBufferSizeRecords must be 1–${MAX_RECORDS_PER_CALL} (PutRecords limit), got ${this.maxRecords}`);
    }
    if (!(this.maxBytes >= MAX_RECORD_BYTES && this.maxBytes <= MAX_BYTES_PER_CALL)) {
      throw new Error(
        `maxBufferSizeBytes must be ${MAX_RECORD_BYTES}–${MAX_BYTES_PER_CALL} (one full record up to the PutRecords limit), got ${this.maxBytes}`,
      );
    }
    if (!(this.maxAge >= 0)) throw new Error(`maxBufferAgeMillis must be ≥ 0, got ${this.maxAge}`);
    if (!(this.maxInFlight >= 1)) throw new Error(`maxInFlightBatches must be ≥ 1, got ${this.maxInFlight}`);
    const aggregate = opts.aggregate;
    this.aggregator = new RecordAggregator(
      aggregate === undefined
        ? {}
        : {
            maxRecordBytes: Math.min(aggregate.maxRecordBytes ?? AGGREGATION_DEFAULTS.maxRecordBytes, MAX_RECORD_BYTES - PARTITION_KEY_LENGTH),
            fits: lineFitsFormat(aggregate.logFormat),
          },
    );
    opts.signal?.addEventListener('abort', () => this.stop(), { once: true });
    if (opts.signal?.aborted) this.stop();
  }

  /** Asks the shipper to stop: it stops reading, flushes what it has buffered and `run()` resolves. */
  stop(): void {
    if (this.stopper.signal.aborted) return;
    this.stopper.abort();
    const grace = this.opts.stopGraceMillis ?? Infinity;
    if (Number.isFinite(grace)) setTimeout(() => this.abandon.abort(), grace).unref();
  }

  /** Ships until EOF (or until stopped, with `follow`); rejects only on an error that retrying cannot fix. */
  async run(): Promise<ShipSummary> {
    if (this.started) throw new Error('Shipper.run() can only be called once');
    this.started = true;
    const startedAt = Date.now();
    const checkpoint = this.opts.checkpointFile ? readCheckpoint(this.opts.checkpointFile) : undefined;
    const lines = tailLines({
      path: this.opts.file,
      follow: this.opts.follow,
      checkpoint,
      initialPosition: this.opts.initialPosition,
      maxLineBytes: MAX_RECORD_BYTES - PARTITION_KEY_LENGTH,
      pollMillis: this.opts.pollMillis,
      rotationQuietMillis: this.opts.rotationQuietMillis,
      signal: this.stopper.signal,
      onEvent: (event) => {
        if (event.kind === 'rotation') this.stats.rotations++;
        this.emit('tail', event);
      },
    });
    try {
      for await (const chunk of lines) {
        for (const line of chunk) {
          // Stopped: what is buffered is flushed below; the rest of the chunk is left for the next run.
          if (this.fatal || this.stopper.signal.aborted) break;
          this.add(line);
          // Backpressure: wait until the batches cut here are on their way.
          if (this.enqueue()) await this.launching;
        }
        if (this.fatal || this.stopper.signal.aborted) break;
      }
      await this.flush();
      await this.drain();
    } finally {
      clearTimeout(this.ageTimer);
      await lines.return(undefined);
    }
    if (this.fatal) throw this.fatal;
    const last = this.acked;
    return {
      ...this.stats,
      elapsedMillis: Date.now() - startedAt,
      checkpoint: last ? { path: last.file.path, offset: last.endOffset } : undefined,
    };
  }

  private add(line: Line): void {
    this.stats.linesRead++;
    this.stats.bytesRead += line.data.length;
    if (line.truncatedBytes > 0) {
      this.stats.linesTruncated++;
      this.stats.bytesTruncated += line.truncatedBytes;
      this.emit('truncated', {
        path: line.file.path,
        endOffset: line.endOffset,
        keptBytes: line.data.length,
        droppedBytes: line.truncatedBytes,
      });
    }
    this.aggregator.add(line, this.sealed);
    this.stats.linesUnfit = this.aggregator.unfitLines;
  }

  /** Moves sealed records into the buffer and starts the age timer for them; true when a batch was cut. */
  private enqueue(): boolean {
    const cut = this.moveSealed();
    // Lines are buffered (sealed or in the open aggregate) and no timer runs: start one for the oldest of them.
    if (this.ageTimer === undefined && this.maxAge > 0 && (this.buffer.length > 0 || this.aggregator.openLines > 0)) {
      this.ageTimer = setTimeout(() => {
        this.ageTimer = undefined;
        void this.flush();
      }, this.maxAge);
    }
    return cut;
  }

  /** Seals the open aggregate and sends everything buffered (age reached, EOF, stop). */
  private flush(): Promise<void> {
    clearTimeout(this.ageTimer);
    this.ageTimer = undefined;
    this.aggregator.flush(this.sealed);
    this.moveSealed();
    this.cut();
    return this.launching;
  }

  /**
   * Moves sealed records into the buffer, cutting a batch whenever the next record would pass a PutRecords limit.
   * Synchronous, so the age timer and the reading loop can never put records out of file order (the checkpoint
   * relies on that order). True when a batch was cut.
   */
  private moveSealed(): boolean {
    let cut = false;
    for (const record of this.sealed) {
      const size = record.data.length + PARTITION_KEY_LENGTH;
      if (this.buffer.length > 0 && this.bufferBytes + size > this.maxBytes) cut = this.cut() || cut;
      this.buffer.push(record);
      this.bufferBytes += size;
      if (this.buffer.length >= this.maxRecords) cut = this.cut() || cut;
    }
    this.sealed.length = 0;
    return cut;
  }

  /** Hands the buffer to a sender (through `launching`, which waits for a free slot); true when there was a batch. */
  private cut(): boolean {
    if (this.buffer.length === 0) return false;
    const batch: Batch = { records: this.buffer, bytes: this.bufferBytes };
    this.buffer = [];
    this.bufferBytes = 0;
    this.launching = this.launching.then(async () => {
      // Wait for the oldest batch: later ones that finished first stay counted until the checkpoint passes them,
      // which bounds memory when the oldest one is retrying.
      while (this.inFlight.length >= this.maxInFlight && !this.fatal) await this.inFlight[0]!.settled;
      if (this.fatal) return;
      this.launch(batch);
    });
    return true;
  }

  private launch(batch: Batch): void {
    let last: Line | undefined;
    for (const record of batch.records) last = record.checkpoint ?? last;
    const job: Job = {
      last,
      done: false,
      settled: this.send(batch).then(
        () => {
          job.done = true;
          try {
            this.acknowledge();
          } catch (err) {
            // The checkpoint could not be written (disk full, permissions) or a listener threw: stop rather than
            // run on without a durable position.
            this.fail(err);
          }
        },
        (err: unknown) => this.fail(err),
      ),
    };
    this.inFlight.push(job);
  }

  private fail(err: unknown): void {
    this.fatal ??= err instanceof Error ? err : new Error(String(err));
    this.stopper.abort();
  }

  /** Moves the checkpoint over every acknowledged batch at the front: never past one still in flight. */
  private acknowledge(): void {
    let advanced: Line | undefined;
    while (this.inFlight[0]?.done) advanced = this.inFlight.shift()!.last ?? advanced;
    if (!advanced) return;
    this.acked = advanced;
    if (this.opts.checkpointFile) {
      const file: TrackedFile = advanced.file;
      writeCheckpoint(this.opts.checkpointFile, {
        path: file.path,
        dev: file.dev,
        ino: file.ino,
        offset: advanced.endOffset,
        fingerprint: fingerprint(file.head),
        fingerprintBytes: file.head.length,
      });
    }
    this.emit('checkpoint', { path: advanced.file.path, offset: advanced.endOffset });
    this.emit('progress', { ...this.stats });
  }

  private async drain(): Promise<void> {
    await this.launching;
    while (this.inFlight.length > 0 && !this.fatal) await Promise.all(this.inFlight.map((j) => j.settled));
  }

  /** Sends one batch until every entry is acknowledged, re-sending only failed entries. */
  private async send(batch: Batch): Promise<void> {
    const keys = randomBytes((PARTITION_KEY_LENGTH / 2) * batch.records.length).toString('hex');
    let records = batch.records;
    let entries: PutRecordsRequestEntry[] = records.map((record, i) => ({
      Data: record.data,
      PartitionKey: keys.slice(i * PARTITION_KEY_LENGTH, (i + 1) * PARTITION_KEY_LENGTH),
    }));
    const maxAttempts = this.opts.maxAttempts ?? Infinity;
    for (let attempt = 1; ; attempt++) {
      let reason: string;
      this.stats.putRecordsCalls++;
      try {
        const out = await this.opts.client.send(
          new PutRecordsCommand({ StreamName: this.opts.streamName, Records: entries }),
        );
        const results = out.Records ?? [];
        if (results.length !== entries.length) {
          throw new Error(`PutRecords returned ${results.length} results for ${entries.length} records`);
        }
        const failed = entries.filter((_, i) => results[i]?.ErrorCode);
        const okCount = entries.length - failed.length;
        this.stats.recordsShipped += okCount;
        for (let i = 0; i < entries.length; i++) {
          if (results[i]?.ErrorCode) continue;
          this.stats.bytesShipped += entries[i]!.Data!.length;
          this.stats.linesShipped += records[i]!.lines;
        }
        if (failed.length === 0) {
          this.stats.batchesShipped++;
          return;
        }
        this.stats.failedEntries += failed.length;
        reason = results.find((r) => r.ErrorCode)?.ErrorCode ?? 'PartialFailure';
        entries = failed;
        records = records.filter((_, i) => results[i]?.ErrorCode);
      } catch (err) {
        const missing = (err as Error).name === 'ResourceNotFoundException';
        if (!isRetryable(err) && !(missing && this.opts.retryMissingStream)) throw describe(err, this.opts.streamName);
        this.stats.failedCalls++;
        reason = missing ? `ResourceNotFoundException: stream "${this.opts.streamName}" does not exist (yet)` : errorReason(err);
      }
      // Another batch failed for good: this one can no longer move the checkpoint, so stop retrying it.
      if (this.fatal) throw this.fatal;
      if (attempt >= maxAttempts) {
        throw new Error(`PutRecords still failing after ${attempt} attempts (${reason}); the checkpoint was not advanced`);
      }
      const delayMillis = backoffMillis(attempt, this.opts.retryBaseMillis ?? 100, this.opts.retryMaxMillis ?? 10_000);
      this.stats.retries++;
      this.emit('retry', { attempt, delayMillis, reason, entries: entries.length });
      try {
        await sleep(delayMillis, undefined, { signal: this.abandon.signal });
      } catch {
        // Only the abandon signal ends the sleep early.
      }
      if (this.abandon.signal.aborted) {
        throw new Error(
          `stopped while PutRecords was still failing (${reason}): ${entries.length} records not acknowledged; ` +
            'their lines are after the checkpoint and are sent again at the next start',
        );
      }
    }
  }
}

const RETRYABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
  'KMSThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
]);

/** Throttling, server errors and network errors are worth retrying; a missing stream or bad request is not. */
export function isRetryable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { $metadata?: { httpStatusCode?: number }; code?: string; $retryable?: unknown };
  if (RETRYABLE_NAMES.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 500 || status === 429;
  // No HTTP response at all: refused, reset, timed out, DNS... the endpoint may come back.
  return true;
}

function errorReason(err: unknown): string {
  const e = err as Error & { code?: string; $metadata?: { httpStatusCode?: number } };
  return e.code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? `HTTP ${e.$metadata?.httpStatusCode ?? '?'}`;
}

function describe(err: unknown, stream: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ResourceNotFoundException') {
    return new Error(`Kinesis stream "${stream}" does not exist at this endpoint (${e.message})`, { cause: e });
  }
  return e;
}
