/**
 * Reads a delivery bucket back and checks it: keys follow Firehose's layout, every line of every object under the
 * prefix is the parser's output schema (the original schema's keys first, in its order, then `protocol`), every line
 * under the error prefix is a Firehose error record. Used by `npm run verify` and by the end-to-end tests.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { LEADING_KEY_TYPES, LEADING_KEYS } from '../facts/output-schema';
import { describeLayout, keyParts, keyPattern, listingPrefix } from '../facts/s3-layout';
import { decodeBase64 } from './firehose/format';

/**
 * The fields of Firehose's error record for a failed transformation (data-transformation-failure-handling). The
 * function's ARN is documented as `lambdaArn`; objects from real deployments have been reported with `lambdaARN`.
 */
const ERROR_RECORD_KEYS = ['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData'];
const LAMBDA_ARN_KEYS = ['lambdaArn', 'lambdaARN'];
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/;
const MAX_PROBLEMS_KEPT = 50;

/** What to verify. */
export interface VerifyOptions {
  readonly bucket: string;
  /** The delivery stream's data prefix, as synthesized (static, e.g. `nginx/`). */
  readonly prefix: string;
  /** The error prefix, as synthesized (with `!{…}` expressions, see facts/s3-layout.ts). */
  readonly errorOutputPrefix: string;
  /** Delivery stream name in object keys; undefined accepts any name (LocalStack's keys have no version). */
  readonly deliveryStreamName?: string;
}

/** The result of a verification. */
export interface VerifyReport {
  objects: number;
  errorObjects: number;
  records: number;
  errorRecords: number;
  bytes: number;
  byStatus: Record<string, number>;
  /** Records per hour of their log `timestamp` (UTC, `YYYY-MM-DDTHH`). */
  byHour: Record<string, number>;
  /** Objects per key hour folder (`YYYY/MM/dd/HH`, arrival time). */
  byKeyHour: Record<string, number>;
  /** Error objects per `!{firehose:error-output-type}` folder (`processing-failed`). */
  byErrorType: Record<string, number>;
  problems: string[];
  problemCount: number;
}

/** Checks one parsed line against the output schema; returns what is wrong, or undefined. */
export function checkRecord(line: string): string | undefined {
  const doc = jsonObject(line, '');
  if (typeof doc === 'string') return doc;
  const head = Object.keys(doc).slice(0, LEADING_KEYS.length);
  if (head.join() !== LEADING_KEYS.join()) return `keys start ${JSON.stringify(head)}, expected ${JSON.stringify(LEADING_KEYS)}`;
  for (const k of LEADING_KEYS) {
    const v = doc[k];
    if (v === null) continue;
    switch (LEADING_KEY_TYPES[k]) {
      case 'string':
        if (typeof v !== 'string') return `"${k}" is ${JSON.stringify(v)}, expected a string or null`;
        break;
      case 'number':
        // A value nginx wrote that is not one clean number stays a string (the parser's contract).
        if (typeof v !== 'number' && typeof v !== 'string') return `"${k}" is ${JSON.stringify(v)}, expected a number`;
        break;
      case 'timestamp':
        if (typeof v !== 'string' || !TIMESTAMP.test(v)) return `"${k}" is ${JSON.stringify(v)}, expected UTC YYYY-MM-DDTHH:mm:ss`;
        break;
    }
  }
  return undefined;
}

/** Checks one line of an error object: Firehose's error record with base64 `rawData`. */
export function checkErrorRecord(line: string): string | undefined {
  const doc = jsonObject(line, 'error record ');
  if (typeof doc === 'string') return doc;
  const missing = ERROR_RECORD_KEYS.filter((k) => !(k in doc));
  if (!LAMBDA_ARN_KEYS.some((k) => k in doc)) missing.push('lambdaArn (or lambdaARN)');
  if (missing.length > 0) return `error record lacks ${missing.join(', ')}`;
  if (typeof doc.rawData !== 'string' || decodeBase64(doc.rawData) === undefined) return 'error record rawData is not base64';
  return undefined;
}

/** The line parsed as a JSON object, or what is wrong with it (`what` names the line in the message). */
function jsonObject(line: string, what: string): Record<string, unknown> | string {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return `${what}not valid JSON`;
  }
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : `${what}not a JSON object`;
}

/** An object's text: gunzipped when it is gzip (by its magic bytes, whatever the key says). */
export function objectText(body: Buffer): string {
  return (body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body).toString('utf8');
}

/** Lists every key under a prefix. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

/** Downloads an object's bytes. */
export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  return Buffer.from(await out.Body.transformToByteArray());
}

/** Reads the bucket back and checks every key and line; `onLine` sees each line (for tests that compare content). */
export async function verifyBucket(
  s3: S3Client,
  opts: VerifyOptions,
  onLine?: (kind: 'main' | 'error', line: string) => void,
): Promise<VerifyReport> {
  const report: VerifyReport = {
    objects: 0,
    errorObjects: 0,
    records: 0,
    errorRecords: 0,
    bytes: 0,
    byStatus: {},
    byHour: {},
    byKeyHour: {},
    byErrorType: {},
    problems: [],
    problemCount: 0,
  };
  const problem = (m: string): void => {
    report.problemCount += 1;
    if (report.problems.length < MAX_PROBLEMS_KEPT) report.problems.push(m);
  };
  // Keys are listed under each prefix's static part (`errors/` for an expression prefix); with nested prefixes
  // (errors under the data prefix) each key is checked once, as an error object.
  const mainKeys = await listKeys(s3, opts.bucket, listingPrefix(opts.prefix));
  const errorKeys = await listKeys(s3, opts.bucket, listingPrefix(opts.errorOutputPrefix));
  const errorSet = new Set(errorKeys);
  const inMain = mainKeys.filter((k) => !errorSet.has(k));
  for (const [kind, keys, prefix] of [
    ['main', inMain, opts.prefix],
    ['error', errorKeys, opts.errorOutputPrefix],
  ] as const) {
    // The version is optional so that LocalStack's object names (no version) pass too.
    const pattern = keyPattern(prefix, opts.deliveryStreamName, { versionOptional: true });
    for (const key of keys) {
      const parts = keyParts(pattern, key);
      if (!parts) problem(`s3://${opts.bucket}/${key}: key does not follow ${describeLayout(prefix)}`);
      else {
        report.byKeyHour[parts.hour] = (report.byKeyHour[parts.hour] ?? 0) + 1;
        if (parts.errorOutputType !== undefined) {
          report.byErrorType[parts.errorOutputType] = (report.byErrorType[parts.errorOutputType] ?? 0) + 1;
        }
      }
      let text: string;
      try {
        const body = await getObject(s3, opts.bucket, key);
        report.bytes += body.length;
        text = objectText(body);
      } catch (err) {
        problem(`s3://${opts.bucket}/${key}: unreadable (${(err as Error).message})`);
        continue;
      }
      if (kind === 'main') report.objects += 1;
      else report.errorObjects += 1;
      if (text.length > 0 && !text.endsWith('\n')) problem(`s3://${opts.bucket}/${key}: last line has no newline`);
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      lines.forEach((line, i) => {
        onLine?.(kind, line);
        const where = `s3://${opts.bucket}/${key} line ${i + 1}`;
        if (kind === 'error') {
          report.errorRecords += 1;
          const bad = checkErrorRecord(line);
          if (bad) problem(`${where}: ${bad}`);
          return;
        }
        report.records += 1;
        const bad = checkRecord(line);
        if (bad) {
          problem(`${where}: ${bad}`);
          return;
        }
        const r = JSON.parse(line) as { status: unknown; timestamp: string | null };
        const status = String(r.status);
        report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
        const hour = r.timestamp ? r.timestamp.slice(0, 13) : 'unknown';
        report.byHour[hour] = (report.byHour[hour] ?? 0) + 1;
      });
    }
  }
  return report;
}
