/**
 * The pure parts of the local Firehose: the Lambda event, response validation and the error records Firehose writes
 * for failed transformations (object keys are facts/s3-layout.ts). No I/O here, so every rule has a fast unit test.
 */
import { randomUUID } from 'node:crypto';
import type { FirehoseTransformationEvent } from '../../facts/firehose-transformation';

/** A record read from the stream, before it is sent to the Lambda. */
export interface SourceRecord {
  readonly data: Buffer;
  readonly arrivalMs: number;
  readonly shardId: string;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
}

/** What Firehose decided for one input record after validating the Lambda's response. */
export type RecordOutcome =
  | { readonly result: 'Ok'; readonly data: Buffer }
  | { readonly result: 'Dropped' }
  | { readonly result: 'ProcessingFailed'; readonly errorCode: string; readonly errorMessage: string };

/** Firehose's documented processing-failed record (data-transformation-failure-handling). */
export interface ErrorRecord {
  readonly attemptsMade: number;
  readonly arrivalTimestamp: number;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attemptEndingTimestamp: number;
  readonly rawData: string;
  readonly lambdaArn: string;
}

/**
 * Error codes of our local Firehose. `Lambda.ProcessingFailedStatus` and `Lambda.FunctionError` are the codes AWS
 * writes; the response-shape ones name the rule that was broken so a failing Lambda is easy to debug.
 */
export const ERROR_CODES = Object.freeze({
  processingFailed: 'Lambda.ProcessingFailedStatus',
  functionError: 'Lambda.FunctionError',
  missingRecordId: 'Lambda.MissingRecordId',
  duplicatedRecordId: 'Lambda.DuplicatedRecordId',
  invalidStatus: 'Lambda.InvalidStatus',
  invalidData: 'Lambda.InvalidData',
  invalidResponse: 'Lambda.InvalidResponse',
});

/** Builds the Lambda event Firehose sends for a batch of Kinesis records. */
export function buildEvent(
  records: readonly SourceRecord[],
  ids: { deliveryStreamArn: string; sourceKinesisStreamArn: string; region: string; invocationId?: string },
): FirehoseTransformationEvent {
  return {
    invocationId: ids.invocationId ?? randomUUID(),
    deliveryStreamArn: ids.deliveryStreamArn,
    sourceKinesisStreamArn: ids.sourceKinesisStreamArn,
    region: ids.region,
    records: records.map((r, i) => ({
      // Firehose's ids are opaque and unique per record in a batch; the sequence number plus the position is both.
      recordId: `${r.sequenceNumber}${String(i).padStart(8, '0')}`,
      approximateArrivalTimestamp: r.arrivalMs,
      data: r.data.toString('base64'),
      kinesisRecordMetadata: {
        shardId: r.shardId,
        partitionKey: r.partitionKey,
        approximateArrivalTimestamp: r.arrivalMs,
        sequenceNumber: r.sequenceNumber,
        subsequenceNumber: 0,
      },
    })),
  };
}

const STATUSES: ReadonlySet<string> = new Set(['Ok', 'Dropped', 'ProcessingFailed']);

/**
 * The bytes of `s` if it is base64 as Firehose accepts it (the standard alphabet, a length that is a multiple of 4,
 * at most two `=` at the end; what /^[A-Za-z0-9+/]*={0,2}$/ with the length check accepts, property-tested), and
 * undefined otherwise. Node's decoder skips characters outside its alphabet and stops at `=`, so any of those leaves
 * fewer bytes than the length promises; the rest is ruled out first: non-ASCII (the decoder reads only a character's
 * low byte) and base64url's `-` and `_`. On a batch's worth of records this costs a fraction of the regex.
 */
export function decodeBase64(s: string): Buffer | undefined {
  if (s.length % 4 !== 0 || s.indexOf('-') !== -1 || s.indexOf('_') !== -1) return undefined;
  if (Buffer.byteLength(s, 'utf8') !== s.length) return undefined;
  const bytes = Buffer.from(s, 'base64');
  const padding = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return bytes.length === (s.length / 4) * 3 - padding ? bytes : undefined;
}

/** Strings JSON writes as they are, between quotes: printable ASCII without `"` and `\`. */
const JSON_PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * `Buffer.byteLength(JSON.stringify(value))`, without building the JSON for plain values: a Lambda response is
 * measured against the 6 MB limit on every invocation, and serialising it only to measure it was a large share of
 * the local Firehose's CPU (docs/performance.md). Anything but strings, numbers, booleans, null, arrays and plain
 * objects is measured by serialising it.
 */
export function jsonByteLength(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return value.length > 16 && JSON_PLAIN.test(value) ? value.length + 2 : Buffer.byteLength(JSON.stringify(value));
    case 'number':
    case 'boolean':
      return JSON.stringify(value).length;
    case 'object': {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let n = 2 + Math.max(0, value.length - 1);
        for (const v of value) n += v === undefined || typeof v === 'function' || typeof v === 'symbol' ? 4 : jsonByteLength(v);
        return n;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if ((proto !== Object.prototype && proto !== null) || typeof (value as { toJSON?: unknown }).toJSON === 'function') break;
      let n = 2;
      let fields = 0;
      // for…in rather than Object.entries: no array per object (a plain object has no inherited enumerable keys).
      for (const k in value) {
        const v = (value as Record<string, unknown>)[k];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        n += jsonByteLength(k) + 1 + jsonByteLength(v);
        fields += 1;
      }
      return n + Math.max(0, fields - 1);
    }
  }
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * Validates a transformation response the way Firehose does and returns one outcome per input record, in order.
 *
 * Every input recordId must come back exactly once with a known status; `Ok` needs base64 `data`. A record whose
 * id is missing, duplicated, or whose entry is malformed is a processing failure (it goes to the error prefix with
 * its original bytes); a response that is not `{ records: [...] }` fails the whole batch.
 */
export function validateResponse(event: FirehoseTransformationEvent, response: unknown): RecordOutcome[] {
  const failAll = (errorCode: string, errorMessage: string): RecordOutcome[] =>
    event.records.map(() => ({ result: 'ProcessingFailed', errorCode, errorMessage }));
  if (typeof response !== 'object' || response === null || !Array.isArray((response as { records?: unknown }).records)) {
    return failAll(ERROR_CODES.invalidResponse, 'Lambda response is not an object with a records array');
  }
  const byId = new Map<string, unknown[]>();
  for (const r of (response as { records: unknown[] }).records) {
    const id = typeof r === 'object' && r !== null ? (r as { recordId?: unknown }).recordId : undefined;
    if (typeof id !== 'string') continue;
    const seen = byId.get(id);
    if (seen) seen.push(r);
    else byId.set(id, [r]);
  }
  return event.records.map((input): RecordOutcome => {
    const matches = byId.get(input.recordId);
    if (!matches) {
      return { result: 'ProcessingFailed', errorCode: ERROR_CODES.missingRecordId, errorMessage: `recordId ${input.recordId} missing from the Lambda response` };
    }
    if (matches.length > 1) {
      return { result: 'ProcessingFailed', errorCode: ERROR_CODES.duplicatedRecordId, errorMessage: `recordId ${input.recordId} returned ${matches.length} times` };
    }
    const out = matches[0] as { result?: unknown; data?: unknown };
    if (typeof out.result !== 'string' || !STATUSES.has(out.result)) {
      return { result: 'ProcessingFailed', errorCode: ERROR_CODES.invalidStatus, errorMessage: `result ${JSON.stringify(out.result)} is not Ok, Dropped or ProcessingFailed` };
    }
    if (out.result === 'Dropped') return { result: 'Dropped' };
    if (out.result === 'ProcessingFailed') {
      return { result: 'ProcessingFailed', errorCode: ERROR_CODES.processingFailed, errorMessage: 'ProcessingFailed status returned by the Lambda for this record' };
    }
    const data = typeof out.data === 'string' ? decodeBase64(out.data) : undefined;
    if (!data) return { result: 'ProcessingFailed', errorCode: ERROR_CODES.invalidData, errorMessage: 'Ok record without valid base64 data' };
    return { result: 'Ok', data };
  });
}

/** One line of a processing-failed object: Firehose's error record JSON with the original bytes in `rawData`. */
export function errorRecordLine(
  record: SourceRecord,
  failure: { errorCode: string; errorMessage: string; attemptsMade: number; lambdaArn: string; endedMs: number },
): string {
  const doc: ErrorRecord = {
    attemptsMade: failure.attemptsMade,
    arrivalTimestamp: record.arrivalMs,
    errorCode: failure.errorCode,
    errorMessage: failure.errorMessage,
    attemptEndingTimestamp: failure.endedMs,
    rawData: record.data.toString('base64'),
    lambdaArn: failure.lambdaArn,
  };
  return `${JSON.stringify(doc)}\n`;
}

/**
 * A size-and-age buffer, Firehose's buffering hints: full when it holds `maxBytes`, due when its oldest entry is
 * `maxAgeMs` old. An entry larger than the limit is still accepted alone.
 */
export class HintBuffer<T> {
  private items: T[] = [];
  private size = 0;
  private openedAt: number | undefined;
  private oldest = Number.POSITIVE_INFINITY;

  constructor(
    private readonly maxBytes: number,
    private readonly maxAgeMs: number,
  ) {}

  /** Whether adding `bytes` more would go over the size hint (so the buffer should be flushed first). */
  wouldOverflow(bytes: number): boolean {
    return this.items.length > 0 && this.size + bytes > this.maxBytes;
  }

  add(item: T, bytes: number, arrivalMs: number, now: number): void {
    if (this.items.length === 0) this.openedAt = now;
    this.items.push(item);
    this.size += bytes;
    this.oldest = Math.min(this.oldest, arrivalMs);
  }

  get length(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.size;
  }

  isFull(): boolean {
    return this.size >= this.maxBytes;
  }

  isDue(now: number): boolean {
    return this.openedAt !== undefined && now - this.openedAt >= this.maxAgeMs;
  }

  /** Empties the buffer and returns its entries with the arrival time of the oldest one. */
  take(): { items: T[]; bytes: number; oldestArrivalMs: number } {
    const out = { items: this.items, bytes: this.size, oldestArrivalMs: this.oldest };
    this.items = [];
    this.size = 0;
    this.openedAt = undefined;
    this.oldest = Number.POSITIVE_INFINITY;
    return out;
  }
}
