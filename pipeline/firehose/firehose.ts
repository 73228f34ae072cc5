/**
 * A local Amazon Data Firehose for a Kinesis Data Streams source and an extended S3 destination.
 *
 * It reads every shard of the stream, batches records per the Lambda processor's buffer hints, invokes the exact
 * bundled parser Lambda in-process with Firehose's event shape, validates the response like Firehose, buffers the
 * output per the S3 buffering hints and writes objects named as Firehose names them. `Ok` data goes under the
 * prefix, `ProcessingFailed` records under the error prefix as Firehose's error records. S3 writes are retried with
 * backoff until they succeed: nothing is dropped. `stop()` flushes everything.
 */
import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import { formatWithOptions, promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { LAMBDA_LIMITS } from '../../facts/aws-limits';
import type { FirehoseTransformationEvent } from '../../facts/firehose-transformation';
import { backoffMillis } from '../../facts/retry';
import {
  buildEvent,
  errorRecordLine,
  ERROR_CODES,
  HintBuffer,
  jsonByteLength,
  validateResponse,
  type SourceRecord,
} from './format';
import { defaultExtension, objectKey, PROCESSING_FAILED } from '../../facts/s3-layout';
import type { PipelineConfig } from '../stack-config';

const gzip = promisify(gzipCb);
const MiB = 1024 * 1024;
/** Records per GetRecords call unless configured (see `getRecordsLimit`). */
const GET_RECORDS_LIMIT = 2_500;

/** A Firehose transformation handler: the parser bundle's `handler` export (async or callback style). */
export type TransformationHandler = (event: FirehoseTransformationEvent, context: unknown, callback?: (err: unknown, out?: unknown) => void) => unknown;

/**
 * Loads the bundled Lambda in-process with the function's environment applied while the module loads (the parser
 * reads LOG_FORMAT once at load); a fresh copy each call, so two configurations never share a compiled format.
 */
export function loadHandler(bundlePath: string, environment: Readonly<Record<string, string>> = {}): TransformationHandler {
  const file = require.resolve(resolve(bundlePath));
  delete require.cache[file];
  const saved = new Map<string, string | undefined>();
  const keys = new Set([...Object.keys(environment), 'LOG_FORMAT']);
  for (const k of keys) {
    saved.set(k, process.env[k]);
    if (environment[k] === undefined) delete process.env[k];
    else process.env[k] = environment[k];
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error(`${bundlePath} does not export a handler function`);
    return mod.handler as TransformationHandler;
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Where each shard is read from. */
export type StartPosition = 'TRIM_HORIZON' | 'LATEST';

/** Options of {@link LocalFirehose}. */
export interface LocalFirehoseOptions {
  /** The synthesized stack: names, buffering hints, processor parameters, prefixes, compression. */
  readonly config: PipelineConfig;
  readonly kinesis: KinesisClient;
  readonly s3: S3Client;
  /** The transformation; required when the stack has a Lambda processor. */
  readonly handler?: TransformationHandler;
  /**
   * Where to start reading a shard with no remembered position.
   *
   * @default - 'TRIM_HORIZON': the local stream is created for this run, so every record in it is ours (AWS starts at
   * LATEST, which is why records written before a delivery stream is active are not delivered there)
   */
  readonly startPosition?: StartPosition;
  /** Remembered positions (shard id → last sequence number read), from a previous run's {@link LocalFirehose.positions}. */
  readonly positions?: Readonly<Record<string, string>>;
  /** Wait between GetRecords calls that return nothing. @default - 200 ms (Kinesis allows 5 calls/s per shard) */
  readonly pollIntervalMs?: number;
  /**
   * Records per GetRecords call (Kinesis allows 1–10,000).
   *
   * @default - 2,500: as fast as 10,000 end to end, and batches that die young keep `npm start`'s peak RSS lower
   * (docs/performance.md)
   */
  readonly getRecordsLimit?: number;
  /** S3 PutObject calls in flight at once. @default - 4 */
  readonly s3Concurrency?: number;
  /** Backoff of failed S3 writes and Kinesis reads: doubling from `baseMillis` up to `maxMillis`, with full jitter. */
  readonly retry?: { readonly baseMillis: number; readonly maxMillis: number };
  /** How long `stop()` keeps retrying undelivered objects before it gives up with an error. @default - 60 s */
  readonly stopTimeoutMs?: number;
  /** The delivery stream's version in object names. @default - 1 */
  readonly version?: number;
  /** Called on each retry or recoverable error, for logs. */
  readonly onWarning?: (message: string) => void;
  /**
   * Receives what the Lambda writes with `console.*` during an invocation (on AWS: its CloudWatch log stream).
   *
   * @default - the Lambda writes to this process's console
   */
  readonly onLambdaLog?: (line: string) => void;
  readonly now?: () => number;
}

/** One object the Firehose wrote: parsed lines, error records, or the source-record backup. */
export interface DeliveredObject {
  readonly key: string;
  readonly kind: Kind;
  readonly records: number;
  readonly bytes: number;
}

/** Counters for progress displays and summaries. */
export interface FirehoseStats {
  recordsRead: number;
  bytesRead: number;
  invocations: number;
  invocationRetries: number;
  recordsOk: number;
  recordsDropped: number;
  recordsFailed: number;
  objectsWritten: number;
  bytesWritten: number;
  s3Retries: number;
  /** Epoch ms of the first object written. */
  firstObjectAt?: number;
}

/** Counters at zero. */
export function newFirehoseStats(): FirehoseStats {
  return {
    recordsRead: 0,
    bytesRead: 0,
    invocations: 0,
    invocationRetries: 0,
    recordsOk: 0,
    recordsDropped: 0,
    recordsFailed: 0,
    objectsWritten: 0,
    bytesWritten: 0,
    s3Retries: 0,
  };
}

interface OutputEntry {
  readonly body: Buffer;
  readonly records: number;
}

type Kind = 'main' | 'error' | 'raw';

type Fetched = { readonly out: GetRecordsCommandOutput; readonly startedAt: number } | { readonly error: unknown };

/** The local Firehose. Create, `start()`, and later `drain()` (end of input) or `stop()`. */
export class LocalFirehose {
  readonly stats: FirehoseStats = newFirehoseStats();
  readonly objects: DeliveredObject[] = [];

  private readonly cfg: PipelineConfig;
  private readonly now: () => number;
  private readonly processorBuffer: HintBuffer<SourceRecord>;
  private readonly outputs: Record<Kind, HintBuffer<OutputEntry>>;
  private readonly lastSequence = new Map<string, string>();
  private readonly caughtUpAt = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly readers: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  /** The readers waiting out the poll interval after an empty GetRecords (a subset of `sleepers`). */
  private readonly polls = new Set<() => void>();
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private giveUpAt = Number.POSITIVE_INFINITY;
  private undelivered = 0;
  private failure: Error | undefined;
  private stopped: Promise<void> | undefined;

  constructor(private readonly opts: LocalFirehoseOptions) {
    this.cfg = opts.config;
    this.now = opts.now ?? Date.now;
    const d = this.cfg.delivery;
    if (d.processor && !opts.handler) {
      throw new Error(`delivery stream ${d.name} has a Lambda processor (${d.processor.lambdaArn}): pass its handler`);
    }
    if (d.compressionFormat !== 'UNCOMPRESSED' && d.compressionFormat !== 'GZIP') {
      throw new Error(`compression ${d.compressionFormat} is not supported by the local Firehose; use UNCOMPRESSED or GZIP`);
    }
    const p = d.processor;
    // Without a processor, records go straight to the S3 buffer; a batch of one record keeps that path uniform.
    this.processorBuffer = new HintBuffer(p ? p.bufferSizeMBs * MiB : 1, p ? p.bufferIntervalSeconds * 1000 : 0);
    const s3Buffer = (): HintBuffer<OutputEntry> => new HintBuffer(d.bufferingSizeMBs * MiB, d.bufferingIntervalSeconds * 1000);
    const b = d.backup;
    if (b && b.compressionFormat !== 'UNCOMPRESSED' && b.compressionFormat !== 'GZIP') {
      throw new Error(`backup compression ${b.compressionFormat} is not supported by the local Firehose; use UNCOMPRESSED or GZIP`);
    }
    this.outputs = {
      main: s3Buffer(),
      error: s3Buffer(),
      raw: b ? new HintBuffer(b.bufferingSizeMBs * MiB, b.bufferingIntervalSeconds * 1000) : s3Buffer(),
    };
  }

  /** Lists the shards and starts one reader per shard, plus the buffer-age timer. */
  async start(): Promise<void> {
    const shardIds = await this.listShards();
    for (const shardId of shardIds) this.readers.push(this.readShard(shardId));
    this.timer = setInterval(() => this.tick(), 100);
    this.timer.unref();
  }

  /** Shard id → sequence number of the last record read, to resume from with `positions`. */
  positions(): Record<string, string> {
    return Object.fromEntries(this.lastSequence);
  }

  /**
   * Reads until every shard is caught up (an empty GetRecords issued after this call), then stops, flushing all
   * buffers: Firehose's behaviour when its source stops, used when input is exhausted so a run ends promptly
   * instead of waiting out the buffer intervals.
   */
  async drain(timeoutMs = 120_000): Promise<void> {
    const since = this.now();
    // The source is complete: a reader that found its shard empty reads again now, not after the poll interval.
    for (const wake of this.polls) wake();
    const deadline = since + timeoutMs;
    const shards = (): string[] => [...this.caughtUpAt.keys()];
    while (this.failure === undefined && shards().some((s) => (this.caughtUpAt.get(s) ?? 0) < since)) {
      if (this.now() > deadline) throw new Error(`local Firehose did not catch up with the stream within ${timeoutMs} ms`);
      await delay(20);
    }
    await this.stop();
  }

  /** Stops reading, flushes the processor and S3 buffers and waits for every write; idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.giveUpAt = this.now() + (this.opts.stopTimeoutMs ?? 60_000);
    for (const wake of this.sleepers) wake();
    await Promise.all(this.readers);
    if (this.timer) clearInterval(this.timer);
    await this.enqueue(async () => {
      await this.flushProcessor();
      await this.flushOutput('main');
      await this.flushOutput('error');
      await this.flushOutput('raw');
    });
    await Promise.all([...this.inflight]);
    if (this.failure) throw this.failure;
    if (this.undelivered > 0) {
      throw new Error(`${this.undelivered} records could not be written to s3://${this.cfg.bucket} before the stop timeout`);
    }
  }

  private async listShards(): Promise<string[]> {
    const ids = new Set<string>();
    let token: string | undefined;
    do {
      const out = await this.opts.kinesis.send(
        new ListShardsCommand(token ? { NextToken: token } : { StreamName: this.cfg.stream.name }),
      );
      const page = (out.Shards ?? []).flatMap((s) => (s.ShardId ? [s.ShardId] : []));
      const fresh = page.filter((id) => !ids.has(id));
      for (const id of fresh) ids.add(id);
      // moto returns a NextToken even on the last page: stop when a page brings nothing new.
      token = fresh.length > 0 ? out.NextToken : undefined;
    } while (token);
    if (ids.size === 0) throw new Error(`stream ${this.cfg.stream.name} has no shards`);
    return [...ids];
  }

  private async shardIterator(shardId: string): Promise<string> {
    const after = this.lastSequence.get(shardId) ?? this.opts.positions?.[shardId];
    const out = await this.opts.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.cfg.stream.name,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: after }
          : { ShardIteratorType: this.opts.startPosition ?? 'TRIM_HORIZON' }),
      }),
    );
    if (!out.ShardIterator) throw new Error(`no shard iterator for ${shardId}`);
    return out.ShardIterator;
  }

  private async readShard(shardId: string): Promise<void> {
    this.caughtUpAt.set(shardId, 0);
    let iterator: string | undefined;
    let failures = 0;
    // The next GetRecords is sent before the current records are processed, so the emulator (or Kinesis) serves one
    // call while this process transforms the previous one; a prefetch left over when stopping is never accepted.
    let prefetch: Promise<Fetched> | undefined;
    while (!this.stopping) {
      try {
        iterator ??= await this.shardIterator(shardId);
        const fetched = await (prefetch ?? this.getRecords(iterator));
        prefetch = undefined;
        if ('error' in fetched) throw fetched.error;
        const { out, startedAt } = fetched;
        failures = 0;
        const records = out.Records ?? [];
        iterator = out.NextShardIterator;
        if (records.length > 0 && iterator !== undefined) prefetch = this.getRecords(iterator);
        for (let i = 0; i < records.length; i++) {
          // Let the event loop run now and then: the prefetch's request goes out, S3 writes and timers progress.
          if (i % 500 === 0) await new Promise<void>((done) => setImmediate(done));
          await this.accept(shardId, records[i]!);
        }
        if (records.length === 0 && (out.MillisBehindLatest ?? 0) === 0) this.caughtUpAt.set(shardId, startedAt);
        if (iterator === undefined) {
          // A closed shard (after resharding) has been read to its end.
          this.caughtUpAt.set(shardId, Number.POSITIVE_INFINITY);
          return;
        }
        if (records.length === 0) await this.sleep(this.opts.pollIntervalMs ?? 200, true);
      } catch (err) {
        prefetch = undefined;
        if (this.stopping) return;
        failures += 1;
        iterator = undefined; // expired or lost with a restarted endpoint: get a new one after the last record read
        const name = (err as { name?: string }).name ?? 'Error';
        this.opts.onWarning?.(`GetRecords on ${shardId} failed (${name}: ${(err as Error).message}); retry ${failures}`);
        await this.sleep(this.backoff(failures));
      }
    }
  }

  /** One GetRecords call that never rejects (a prefetch may be abandoned), with the time it was sent. */
  private getRecords(iterator: string): Promise<Fetched> {
    const startedAt = this.now();
    return this.opts.kinesis
      .send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.opts.getRecordsLimit ?? GET_RECORDS_LIMIT }))
      .then(
        (out) => ({ out, startedAt }),
        (error: unknown) => ({ error }),
      );
  }

  private async accept(shardId: string, r: _Record): Promise<void> {
    // A view, not a copy: nothing else writes these bytes (the SDK decoded them from the response's base64).
    const data = r.Data ? Buffer.from(r.Data.buffer, r.Data.byteOffset, r.Data.byteLength) : Buffer.alloc(0);
    const record: SourceRecord = {
      data,
      arrivalMs: r.ApproximateArrivalTimestamp?.getTime() ?? this.now(),
      shardId,
      partitionKey: r.PartitionKey ?? '',
      sequenceNumber: r.SequenceNumber ?? '',
    };
    this.lastSequence.set(shardId, record.sequenceNumber);
    this.stats.recordsRead += 1;
    this.stats.bytesRead += data.length;
    // The source-record backup keeps the record as it arrived, whatever the Lambda makes of it.
    if (this.cfg.delivery.backup) {
      const written = this.output('raw', data, 1, record.arrivalMs);
      if (written) await written;
    }
    if (this.processorBuffer.wouldOverflow(data.length)) await this.enqueue(() => this.flushProcessor());
    this.processorBuffer.add(record, data.length, record.arrivalMs, this.now());
    if (this.processorBuffer.isFull() || !this.cfg.delivery.processor) await this.enqueue(() => this.flushProcessor());
  }

  /** Runs steps one at a time (Lambda invocations are in-process; S3 writes overlap through `inflight`). */
  private enqueue(step: () => Promise<void>): Promise<void> {
    const next = this.chain.then(step);
    this.chain = next.catch((err: unknown) => {
      this.failure ??= err as Error;
    });
    return next;
  }

  private tick(): void {
    const now = this.now();
    if (this.processorBuffer.isDue(now)) void this.enqueue(() => this.flushProcessor()).catch(() => undefined);
    for (const kind of ['main', 'error', 'raw'] as const) {
      if (this.outputs[kind].isDue(now)) void this.enqueue(() => this.flushOutput(kind)).catch(() => undefined);
    }
  }

  private async flushProcessor(): Promise<void> {
    if (this.processorBuffer.length === 0) return;
    const { items } = this.processorBuffer.take();
    const p = this.cfg.delivery.processor;
    if (!p) {
      for (const r of items) await this.output('main', r.data, 1, r.arrivalMs);
      this.stats.recordsOk += items.length;
      return;
    }
    const event = buildEvent(items, {
      deliveryStreamArn: this.cfg.delivery.arn,
      sourceKinesisStreamArn: this.cfg.stream.arn,
      region: this.cfg.region,
    });
    let attempts = 0;
    let response: unknown;
    let invokeError: Error | undefined;
    while (attempts <= p.retries) {
      attempts += 1;
      this.stats.invocations += 1;
      try {
        response = await withConsole(this.opts.onLambdaLog, () =>
          invoke(this.opts.handler!, event, this.cfg.lambda?.name ?? 'parser'),
        );
        const size = jsonByteLength(response);
        if (size > LAMBDA_LIMITS.maxResponseBytes) {
          throw new Error(`Lambda response of ${size} bytes is over the 6 MB synchronous invocation limit`);
        }
        invokeError = undefined;
        break;
      } catch (err) {
        invokeError = err as Error;
        if (attempts <= p.retries) this.stats.invocationRetries += 1;
        this.opts.onWarning?.(`Lambda invocation ${attempts} failed: ${invokeError.message}`);
      }
    }
    const outcomes = invokeError
      ? items.map(() => ({ result: 'ProcessingFailed' as const, errorCode: ERROR_CODES.functionError, errorMessage: invokeError!.message }))
      : validateResponse(event, response);
    const endedMs = this.now();
    for (let i = 0; i < items.length; i++) {
      const record = items[i]!;
      const outcome = outcomes[i]!;
      if (outcome.result === 'Ok') {
        this.stats.recordsOk += 1;
        const written = this.output('main', outcome.data, 1, record.arrivalMs);
        if (written) await written;
      } else if (outcome.result === 'Dropped') {
        this.stats.recordsDropped += 1;
      } else {
        this.stats.recordsFailed += 1;
        const line = errorRecordLine(record, { ...outcome, attemptsMade: attempts, lambdaArn: p.lambdaArn, endedMs });
        const written = this.output('error', Buffer.from(line), 1, record.arrivalMs);
        if (written) await written;
      }
    }
  }

  /**
   * Adds a record to an S3 buffer. Returns a promise only when that wrote an object, so the caller awaits (yields to
   * the event loop) once per object instead of once per record.
   */
  private output(kind: Kind, body: Buffer, records: number, arrivalMs: number): Promise<void> | undefined {
    const buffer = this.outputs[kind];
    if (buffer.wouldOverflow(body.length)) {
      return this.flushOutput(kind).then(() => this.output(kind, body, records, arrivalMs));
    }
    buffer.add({ body, records }, body.length, arrivalMs, this.now());
    return buffer.isFull() ? this.flushOutput(kind) : undefined;
  }

  private async flushOutput(kind: Kind): Promise<void> {
    const buffer = this.outputs[kind];
    if (buffer.length === 0) return;
    const { items, oldestArrivalMs } = buffer.take();
    const d = this.cfg.delivery;
    const compression = kind === 'raw' ? d.backup?.compressionFormat ?? d.compressionFormat : d.compressionFormat;
    const key = objectKey({
      prefix: kind === 'main' ? d.prefix : kind === 'error' ? d.errorOutputPrefix : d.backup?.prefix ?? '',
      deliveryStreamName: d.name,
      version: this.opts.version ?? 1,
      oldestArrivalMs,
      extension: kind === 'raw' ? defaultExtension(compression) : d.fileExtension ?? defaultExtension(compression),
      // Every failure this Firehose writes is a transformation failure, as on AWS.
      errorOutputType: kind === 'error' ? PROCESSING_FAILED : undefined,
    });
    const records = items.reduce((n, e) => n + e.records, 0);
    const raw = Buffer.concat(items.map((e) => e.body));
    const body = compression === 'GZIP' ? await gzip(raw) : raw;
    // Back-pressure: with every slot busy (a slow or failing S3) the readers wait here instead of piling up memory.
    while (this.inflight.size >= (this.opts.s3Concurrency ?? 4)) await Promise.race(this.inflight);
    const put = this.putWithRetry(key, body, records).then((ok) => {
      if (ok) {
        this.objects.push({ key, kind, records, bytes: body.length });
        this.stats.objectsWritten += 1;
        this.stats.bytesWritten += body.length;
        this.stats.firstObjectAt ??= this.now();
      } else {
        this.undelivered += records;
      }
    });
    const tracked = put.finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
  }

  private async putWithRetry(key: string, body: Buffer, records: number): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.opts.s3.send(new PutObjectCommand({ Bucket: this.cfg.bucket, Key: key, Body: body }));
        return true;
      } catch (err) {
        if (this.now() > this.giveUpAt) {
          this.opts.onWarning?.(`giving up on s3://${this.cfg.bucket}/${key} (${records} records): ${(err as Error).message}`);
          return false;
        }
        this.stats.s3Retries += 1;
        this.opts.onWarning?.(`PutObject ${key} failed (${(err as Error).message}); retry ${attempt}`);
        await delay(this.backoff(attempt));
      }
    }
  }

  private backoff(attempt: number): number {
    const { baseMillis, maxMillis } = this.opts.retry ?? { baseMillis: 100, maxMillis: 5_000 };
    return backoffMillis(attempt, baseMillis, maxMillis);
  }

  /** Waits `ms`; `stop()` ends every wait early, `drain()` the waits between polls (`poll`). */
  private sleep(ms: number, poll = false): Promise<void> {
    return new Promise((done) => {
      const wake = (): void => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        this.polls.delete(wake);
        done();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
      if (poll) this.polls.add(wake);
    });
  }
}

/** Calls a Lambda handler written either as `async (event, context)` or with a callback. */
function invoke(handler: TransformationHandler, event: FirehoseTransformationEvent, functionName: string): Promise<unknown> {
  const deadline = Date.now() + 300_000;
  const context = {
    functionName,
    awsRequestId: event.invocationId,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: false,
  };
  return new Promise((resolveOut, reject) => {
    try {
      const out = handler(event, context, (err, value) => (err ? reject(err) : resolveOut(value)));
      if (out && typeof (out as Promise<unknown>).then === 'function') (out as Promise<unknown>).then(resolveOut, reject);
      else if (out !== undefined) resolveOut(out);
    } catch (err) {
      reject(err);
    }
  });
}

/** Runs `fn` with console.log/info/warn/error sent to `sink` (invocations are serialized, so nothing interleaves). */
async function withConsole<T>(sink: ((line: string) => void) | undefined, fn: () => Promise<T>): Promise<T> {
  if (!sink) return fn();
  const methods = ['log', 'info', 'warn', 'error'] as const;
  const saved = methods.map((m) => console[m]);
  for (const m of methods) console[m] = (...args: unknown[]) => sink(formatWithOptions({ colors: false }, ...args));
  try {
    return await fn();
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]!));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
