/**
 * Re-drive: re-parses the records Firehose put under the error prefix with the current log format and delivers what
 * now parses into the main prefix, in Firehose's key layout, as if the Lambda had accepted it the first time.
 *
 * Safe to stop at any moment and to run again: for each error object, the re-parsed lines are written first, to a
 * key derived from the error object's key and bytes (a second run writes the same key with the same bytes); only
 * then is the error object deleted, or rewritten with just the records that still fail. A run killed between the
 * two steps leaves the error object whole, and the next run writes the same key again: nothing lost, nothing twice.
 */
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FIREHOSE_API_DEFAULTS, type CompressionFormat } from '../../facts/aws-defaults';
import type { FirehoseOutputRecord } from '../../facts/firehose-transformation';
import { createTransform } from '../../functions/nginx-parser/handler';
import { createParser } from '../../functions/nginx-parser/parse';
import { defaultExtension, listingPrefix, objectKey } from '../../facts/s3-layout';
import { decodeBase64 } from '../firehose/format';
import { getObject, listKeys, objectText } from '../verify';

const PROCESSOR_BUFFER_BYTES = FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs * 1024 * 1024;

/** One Firehose error record, as far as re-drive needs it. */
export interface FailedRecord {
  readonly arrivalTimestamp: number;
  /** The source record's bytes. */
  readonly rawData: Buffer;
}

/**
 * Reads one line of an error object as a Firehose processing-failed record: `rawData` (base64) and
 * `arrivalTimestamp` are required, with `errorCode` and the Lambda's ARN (`lambdaArn`, or `lambdaARN` as reported
 * from AWS). Returns what is wrong otherwise.
 */
export function parseErrorRecord(line: string): FailedRecord | string {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
  const r = doc as Record<string, unknown>;
  const missing = ['rawData', 'arrivalTimestamp', 'errorCode'].filter((k) => !(k in r));
  if (!('lambdaArn' in r) && !('lambdaARN' in r)) missing.push('lambdaArn');
  if (missing.length > 0) return `no ${missing.join(', ')} (not a Firehose processing-failed record)`;
  const raw = typeof r.rawData === 'string' ? decodeBase64(r.rawData) : undefined;
  if (!raw) return 'rawData is not base64';
  if (typeof r.arrivalTimestamp !== 'number' || !Number.isFinite(r.arrivalTimestamp)) return 'arrivalTimestamp is not a number';
  return { arrivalTimestamp: r.arrivalTimestamp, rawData: raw };
}

/** What re-drive writes and where. */
export interface RedriveOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** The error prefix (a Firehose prefix expression is fine: its static part is listed). */
  readonly from: string;
  /** The main prefix, as the delivery stream's `prefix`. */
  readonly to: string;
  /** Delivery stream name in object names. */
  readonly deliveryStreamName: string;
  readonly compressionFormat: CompressionFormat;
  /** An explicit extension; undefined means Firehose's default for the compression. */
  readonly fileExtension?: string;
  /** The nginx `log_format` to parse with; undefined means the parser's defaults (`main`, `combined`). */
  readonly logFormat?: string;
  /**
   * `errors`: Firehose error records, re-driven objects deleted or cut to what still fails. `raw`: the source-record
   * backup (raw log lines), re-parsed into `to` and always kept: history, not a queue.
   * @default 'errors'
   */
  readonly source?: 'errors' | 'raw';
  /** Called after each source object is handled. */
  readonly onObject?: (outcome: ObjectOutcome) => void;
}

/** What happened to one error object. */
export interface ObjectOutcome {
  readonly key: string;
  /**
   * `redriven`: every record delivered, object deleted; `partial`: the rest stays in the object; `unchanged`: none
   * parses; `reparsed`: a backup object's lines delivered, the object kept; `refused`: not what the source holds.
   */
  readonly result: 'redriven' | 'partial' | 'unchanged' | 'reparsed' | 'refused';
  readonly records: number;
  readonly delivered: number;
  readonly stillFailing: number;
  readonly dropped: number;
  /** The object written under the main prefix, if any. */
  readonly written?: string;
  /** Why it was refused. */
  readonly reason?: string;
}

/** A re-drive run. */
export interface RedriveReport {
  readonly objects: ObjectOutcome[];
  readonly delivered: number;
  readonly stillFailing: number;
  readonly refused: number;
}

/** A UUID-shaped name made from a hash, so the same input always gives the same object name. */
function stableUuid(...parts: (string | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  const hex = h.digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Re-drives every error object under `from`, one at a time, in key order. */
export async function redrive(opts: RedriveOptions): Promise<RedriveReport> {
  if (opts.compressionFormat !== 'UNCOMPRESSED' && opts.compressionFormat !== 'GZIP') {
    throw new Error(`compression ${opts.compressionFormat} is not supported by re-drive; the stack must use UNCOMPRESSED or GZIP`);
  }
  const transform = createTransform(createParser(opts.logFormat), { log: () => undefined });
  const keys = await listKeys(opts.s3, opts.bucket, listingPrefix(opts.from));
  const report: RedriveReport = { objects: [], delivered: 0, stillFailing: 0, refused: 0 };
  for (const key of keys) {
    const outcome = await redriveObject(opts, transform, key);
    report.objects.push(outcome);
    if (outcome.result === 'refused') (report as { refused: number }).refused += 1;
    (report as { delivered: number }).delivered += outcome.delivered;
    (report as { stillFailing: number }).stillFailing += outcome.stillFailing;
    opts.onObject?.(outcome);
  }
  return report;
}

async function redriveObject(
  opts: RedriveOptions,
  transform: ReturnType<typeof createTransform>,
  key: string,
): Promise<ObjectOutcome> {
  const body = await getObject(opts.s3, opts.bucket, key);
  const gzipped = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  const base = { key, records: 0, delivered: 0, stillFailing: 0, dropped: 0 };
  let text: string;
  try {
    text = objectText(body);
  } catch (err) {
    return { ...base, result: 'refused', reason: `unreadable (${(err as Error).message})` };
  }
  const raw = opts.source === 'raw';
  const lines = text.split('\n').filter((l) => l !== '');
  const records: FailedRecord[] = [];
  if (raw) {
    // A backup object holds the records as they arrived, one log line each; its name has the oldest arrival time.
    const at = /-(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-[0-9a-f-]{36}(?:\.[A-Za-z0-9]+)?$/.exec(key);
    if (!at) return { ...base, result: 'refused', reason: 'not a Firehose object name (<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>)' };
    const ms = Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!);
    for (const line of lines) records.push({ arrivalTimestamp: ms, rawData: Buffer.from(`${line}\n`) });
  } else {
    for (const [i, line] of lines.entries()) {
      const r = parseErrorRecord(line);
      if (typeof r === 'string') return { ...base, result: 'refused', reason: `line ${i + 1} is not a Firehose error record: ${r}` };
      records.push(r);
    }
  }
  if (records.length === 0) return { ...base, result: 'refused', reason: raw ? 'empty: no log lines' : 'empty: no Firehose error records' };

  const ok: Buffer[] = [];
  const failing: string[] = [];
  let oldest = Number.POSITIVE_INFINITY;
  let dropped = 0;
  transformInBatches(transform, records).forEach((out, i) => {
    if (out.result === 'Ok') {
      ok.push(Buffer.from(out.data, 'base64'));
      oldest = Math.min(oldest, records[i]!.arrivalTimestamp);
    } else if (out.result === 'Dropped') dropped += 1;
    else failing.push(lines[i]!);
  });
  const counts = { ...base, records: records.length, delivered: ok.length, stillFailing: failing.length, dropped };
  if (ok.length === 0 && (dropped === 0 || raw)) return { ...counts, result: 'unchanged' };

  let written: string | undefined;
  if (ok.length > 0) {
    // Named from the error object's key and bytes: a rerun (after a crash) writes the same key with the same bytes;
    // an object rewritten with the records that still failed has other bytes, so a later run cannot overwrite this.
    written = objectKey({
      prefix: opts.to,
      deliveryStreamName: opts.deliveryStreamName,
      version: 1,
      oldestArrivalMs: oldest,
      extension: opts.fileExtension ?? defaultExtension(opts.compressionFormat),
      uuid: stableUuid(key, body),
    });
    const ndjson = Buffer.concat(ok);
    await put(opts, written, opts.compressionFormat === 'GZIP' ? gzipSync(ndjson) : ndjson);
  }
  if (raw) return { ...counts, result: 'reparsed', written };
  if (failing.length === 0) {
    await opts.s3.send(new DeleteObjectCommand({ Bucket: opts.bucket, Key: key }));
    return { ...counts, result: 'redriven', written };
  }
  const rest = Buffer.from(`${failing.join('\n')}\n`);
  await put(opts, key, gzipped ? gzipSync(rest) : rest);
  return { ...counts, result: 'partial', written };
}

/**
 * The transformation's result for every record, in order, in batches of at most the processor buffer's default size:
 * an error object holds up to a whole S3 buffer of records, and in one call the handler's response cap would return
 * the records past ~6 MB of output unconverted (Firehose never sends it more than one processor buffer).
 */
function transformInBatches(transform: ReturnType<typeof createTransform>, records: readonly FailedRecord[]): FirehoseOutputRecord[] {
  const out: FirehoseOutputRecord[] = [];
  for (let start = 0; start < records.length; ) {
    let end = start;
    let bytes = 0;
    while (end < records.length && (end === start || bytes + records[end]!.rawData.length <= PROCESSOR_BUFFER_BYTES)) {
      bytes += records[end]!.rawData.length;
      end += 1;
    }
    const batch = records.slice(start, end).map((r, i) => ({ recordId: String(i), data: r.rawData.toString('base64') }));
    out.push(...transform({ records: batch }).records);
    start = end;
  }
  return out;
}

async function put(opts: RedriveOptions, key: string, body: Buffer): Promise<void> {
  await opts.s3.send(new PutObjectCommand({ Bucket: opts.bucket, Key: key, Body: body }));
}
