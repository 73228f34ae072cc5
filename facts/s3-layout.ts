/**
 * Where Firehose puts objects in the log bucket: the prefixes, how a key is formed from a time (and, for failures,
 * an error type), and the pattern a key must match.
 *
 * One home for the layout, imported by the stack (the prefixes it deploys), the local Firehose (the keys it writes),
 * `verify` and every tool that reads error objects. Framework-free: no cdktf, no SDK.
 *
 * Firehose's rules (firehose/latest/dev/s3-prefixes.html, "Semantic rules"): a prefix without a `timestamp`
 * expression gets `!{timestamp:yyyy/MM/dd/HH/}` appended; an error prefix may be left out only when the data prefix
 * is static, and then AWS writes failures under `<prefix><error-output-type>…`, a layout that differs from both
 * LocalStack and the documentation's examples. An error prefix with expressions must contain
 * `!{firehose:error-output-type}`. So the data prefix stays static (LocalStack does not evaluate expressions and
 * forces a "/" after the prefix; a static prefix ending in "/" gives the same keys on both) and the error prefix is
 * explicit, which makes every Firehose write the same error keys.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** The pipeline's prefixes. */
export const S3_LAYOUT = Object.freeze({
  /** Parsed logs: `nginx/yyyy/MM/dd/HH/<name>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>[.gz]`. */
  dataPrefix: 'nginx/',
  /**
   * Failed records, one folder per error type then per hour:
   * `errors/processing-failed/yyyy/MM/dd/HH/<name>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>[.gz]`.
   */
  errorPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
});

/**
 * The values of `!{firehose:error-output-type}` (s3-prefixes.html). Only `processing-failed` occurs in this pipeline
 * (the parser's `ProcessingFailed` records and batches the Lambda could not transform); the others belong to other
 * destinations and features and are listed so that a key written by them is still recognised.
 */
export const ERROR_OUTPUT_TYPES = Object.freeze([
  'processing-failed',
  'format-conversion-failed',
  'AmazonOpenSearchService-failed',
  'elasticsearch-failed',
  'splunk-failed',
  'http-endpoint-failed',
] as const);

/** An error type Firehose writes under the error prefix. */
export type ErrorOutputType = (typeof ERROR_OUTPUT_TYPES)[number];

/** The error type of records the parser (or a failed invocation) rejects. */
export const PROCESSING_FAILED: ErrorOutputType = 'processing-failed';

/** What Firehose appends to a prefix that has no `timestamp` expression. */
const DEFAULT_TIME_PATH = '!{timestamp:yyyy/MM/dd/HH/}';
const EXPRESSION = /!\{([a-zA-Z]+):([^}]*)\}/g;
const TIME_FIELDS = /'([^']*)'|yyyy|MM|dd|HH|mm|ss/g;
const pad = (n: number): string => String(n).padStart(2, '0');

/** Whether a prefix holds `!{…}` expressions (then its listing prefix is the text before the first one). */
export function hasExpressions(prefix: string): boolean {
  return prefix.includes('!{');
}

/** The prefix to list objects under: the static text before the first expression (`errors/` for the error prefix). */
export function listingPrefix(prefix: string): string {
  const at = prefix.indexOf('!{');
  return at === -1 ? prefix : prefix.slice(0, at);
}

/** A prefix as Firehose evaluates it: with its time path appended when it has no `timestamp` expression. */
function effectivePrefix(prefix: string): string {
  return /!\{timestamp:/.test(prefix) ? prefix : `${prefix}${DEFAULT_TIME_PATH}`;
}

/**
 * Formats a UTC instant with the subset of Java's DateTimeFormatter Firehose users write in prefixes:
 * `yyyy`, `MM`, `dd`, `HH`, `mm`, `ss` and text in single quotes.
 */
export function formatTimestamp(pattern: string, ms: number): string {
  const d = new Date(ms);
  const fields: Record<string, string> = {
    yyyy: String(d.getUTCFullYear()),
    MM: pad(d.getUTCMonth() + 1),
    dd: pad(d.getUTCDate()),
    HH: pad(d.getUTCHours()),
    mm: pad(d.getUTCMinutes()),
    ss: pad(d.getUTCSeconds()),
  };
  return pattern.replace(TIME_FIELDS, (m, quoted: string | undefined) => quoted ?? fields[m] ?? m);
}

/**
 * Evaluates a Firehose S3 prefix for an object whose oldest record arrived at `ms`.
 *
 * `!{timestamp:…}`, `!{firehose:random-string}` and `!{firehose:error-output-type}` are evaluated; a prefix with no
 * timestamp expression gets `yyyy/MM/dd/HH/` appended, as Firehose does (a static prefix should end in `/`).
 */
export function evaluatePrefix(prefix: string, ms: number, errorOutputType: string = PROCESSING_FAILED): string {
  return effectivePrefix(prefix).replace(EXPRESSION, (whole, ns: string, value: string) => {
    if (ns === 'timestamp') return formatTimestamp(value, ms);
    if (ns === 'firehose' && value === 'random-string') return randomString();
    if (ns === 'firehose' && value === 'error-output-type') return errorOutputType;
    return whole;
  });
}

/** Firehose's 11-character random string. */
function randomString(): string {
  return randomBytes(8).toString('base64url').slice(0, 11).toLowerCase();
}

/** Inputs of {@link objectKey}. */
export interface ObjectKeyParts {
  readonly prefix: string;
  readonly deliveryStreamName: string;
  /** The delivery stream's version: 1 until its configuration changes. */
  readonly version: number;
  /** Approximate arrival time of the oldest record in the object, epoch ms. */
  readonly oldestArrivalMs: number;
  /** `.gz` for GZIP and none when uncompressed, as Firehose names objects (see {@link defaultExtension}). */
  readonly extension: string;
  readonly uuid?: string;
  /** For the error prefix. @default - "processing-failed" */
  readonly errorOutputType?: string;
}

/** `<evaluated prefix><stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid><ext>`, Firehose's S3 object name. */
export function objectKey(parts: ObjectKeyParts): string {
  const when = formatTimestamp('yyyy-MM-dd-HH-mm-ss', parts.oldestArrivalMs);
  return (
    evaluatePrefix(parts.prefix, parts.oldestArrivalMs, parts.errorOutputType) +
    `${parts.deliveryStreamName}-${parts.version}-${when}-${parts.uuid ?? randomUUID()}${parts.extension}`
  );
}

/** The file extension Firehose gives objects of a compression format unless `file_extension` overrides it. */
export function defaultExtension(compression: string): string {
  switch (compression) {
    case 'GZIP':
      return '.gz';
    case 'ZIP':
      return '.zip';
    case 'Snappy':
    case 'HADOOP_SNAPPY':
      return '.snappy';
    default:
      return '';
  }
}

/** The parts of a key matched by {@link keyPattern}: its hour folder (arrival time, UTC) and error type. */
export interface KeyParts {
  /** `yyyy/MM/dd/HH`. */
  readonly hour: string;
  /** The `!{firehose:error-output-type}` value, for keys under an error prefix that has one. */
  readonly errorOutputType?: string;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const FIELD_REGEX: Record<string, string> = { yyyy: '\\d{4}', MM: '\\d{2}', dd: '\\d{2}', HH: '\\d{2}', mm: '\\d{2}', ss: '\\d{2}' };

/**
 * A key Firehose could have written under `prefix` (static or with expressions) for `deliveryStreamName`.
 *
 * The time fields of the prefix and of the object name must agree (both are the oldest record's arrival time).
 * With `versionOptional`, LocalStack's keys match too: its Firehose leaves the version out of object names.
 * `deliveryStreamName` undefined accepts any name. Read the match with {@link keyParts}.
 */
export function keyPattern(
  prefix: string,
  deliveryStreamName?: string,
  opts: { versionOptional?: boolean } = {},
): RegExp {
  const seen = new Set<string>();
  const field = (name: string): string => {
    if (seen.has(name)) return `\\k<${name}>`;
    seen.add(name);
    return `(?<${name}>${FIELD_REGEX[name]})`;
  };
  let typeSeen = false;
  let source = '';
  let last = 0;
  const full = effectivePrefix(prefix);
  for (const m of full.matchAll(EXPRESSION)) {
    source += esc(full.slice(last, m.index));
    last = m.index + m[0].length;
    const [, ns, value = ''] = m;
    if (ns === 'timestamp') {
      source += value.replace(/'([^']*)'|yyyy|MM|dd|HH|mm|ss|([^'yMdHms]+)|(.)/g, (t, quoted?: string, other?: string) =>
        quoted !== undefined ? esc(quoted) : other !== undefined ? esc(other) : t in FIELD_REGEX ? field(t) : esc(t),
      );
    } else if (ns === 'firehose' && value === 'error-output-type') {
      source += typeSeen ? '\\k<type>' : `(?<type>${ERROR_OUTPUT_TYPES.map(esc).join('|')})`;
      typeSeen = true;
    } else if (ns === 'firehose' && value === 'random-string') {
      source += '[a-z0-9_-]{11}';
    } else {
      source += esc(m[0]);
    }
  }
  source += esc(full.slice(last));
  const name = deliveryStreamName === undefined ? '[A-Za-z0-9._-]+' : esc(deliveryStreamName);
  const version = opts.versionOptional ? '(?:-\\d+)?' : '-\\d+';
  const time = ['yyyy', 'MM', 'dd', 'HH'].map(field).join('-');
  return new RegExp(
    `^${source}${name}${version}-${time}-\\d{2}-\\d{2}-` +
      '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?:\\.[A-Za-z0-9]+)?$',
  );
}

/** The hour and error type of a key matched by {@link keyPattern}, or undefined when it does not match. */
export function keyParts(pattern: RegExp, key: string): KeyParts | undefined {
  const g = pattern.exec(key)?.groups;
  if (g === undefined) return undefined;
  return { hour: `${g.yyyy}/${g.MM}/${g.dd}/${g.HH}`, ...(g.type === undefined ? {} : { errorOutputType: g.type }) };
}

/** A human description of the key layout under a prefix, for error messages. */
export function describeLayout(prefix: string): string {
  return `${effectivePrefix(prefix)}<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>[.ext]`;
}
