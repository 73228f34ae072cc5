/**
 * The thin Firehose layer over the parser core: base64 in and out, one result per record, and a response that never
 * exceeds the Lambda response limit.
 */
import type {
  FirehoseInputEvent,
  FirehoseInputRecord,
  FirehoseOutputRecord,
  FirehoseRecordResult,
  FirehoseTransformationResponse,
} from '../../facts/firehose-transformation';
import { RESPONSE_BUDGET_BYTES } from './limits';
import type { LineParser } from './parse';

export interface HandlerOptions {
  /**
   * Largest serialized response, in bytes.
   * @default - RESPONSE_BUDGET_BYTES, the 6 MB Lambda limit minus a margin
   */
  readonly responseBudgetBytes?: number;
  /**
   * Called once per invocation that failed records, with a one-line summary.
   * @default - console.warn
   */
  readonly log?: (message: string) => void;
  /**
   * base64 decoding and encoding of record data.
   * @default - {@link base64Codec}(): Node's internal Buffer methods when they exist and work, else the public API
   */
  readonly base64?: Base64Codec;
}

// JSON.stringify of a result record is exactly: {"recordId":ID,"result":"R","data":"D"} (recordId only when given).
const RECORD_BYTES = '{"result":"","data":""}'.length;
const RECORD_ID_BYTES = '"recordId":,'.length;
const ENVELOPE_BYTES = '{"records":[]}'.length;

/** base64 in and out of the handler's buffers. */
export interface Base64Codec {
  /** Whether Node's internal methods are used (false: the public Buffer API). */
  readonly fast: boolean;
  /** Decodes `text` into `target` from offset 0, at most `max` bytes; the number of bytes written. */
  decode(target: Buffer, text: string, max: number): number;
  /** The base64 of `bytes[start..end)`. */
  encode(bytes: Uint8Array, start: number, end: number): string;
}

/** Node's methods behind `write(…, 'base64')` and `toString('base64', …)`; undocumented, so maybe absent. */
interface InternalBase64 {
  base64Write?: (this: Uint8Array, text: string, offset: number, length: number) => number;
  base64Slice?: (this: Uint8Array, start: number, end: number) => string;
}

/**
 * Picks how records are base64-decoded and encoded, once, at load. Node's undocumented `Buffer.prototype.base64Write`
 * and `base64Slice`, called directly, skip the public wrappers' argument handling, a measurable share per ~250-byte
 * record, and take any Uint8Array as `this` (the parser's output needs no Buffer view). They are used only when they
 * exist and decode and encode a probe correctly; otherwise the public API: on a runtime without them every record
 * would fail while the invocation succeeds.
 */
export function base64Codec(proto: object = Buffer.prototype): Base64Codec {
  const { base64Write, base64Slice } = proto as InternalBase64;
  let works: boolean;
  try {
    const probe = Buffer.alloc(4);
    works =
      typeof base64Write === 'function' &&
      typeof base64Slice === 'function' &&
      base64Write.call(probe, 'aGk/', 0, 4) === 3 &&
      probe[2] === 63 &&
      base64Slice.call(probe, 0, 3) === 'aGk/';
  } catch {
    works = false;
  }
  if (works && base64Write && base64Slice) {
    return {
      fast: true,
      decode: (target, text, max) => base64Write.call(target, text, 0, max),
      encode: (bytes, start, end) => base64Slice.call(bytes, start, end),
    };
  }
  return {
    fast: false,
    decode: (target, text, max) => target.write(text, 0, max, 'base64'),
    encode: (bytes, start, end) => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('base64'),
  };
}

const DEFAULT_BASE64 = base64Codec();

// Record ids JSON writes as they are (Firehose's are digits): their size is their length plus quotes. Printable
// ASCII but `"` and `\`: from space to `!`, `#` to `[`, `]` to `~`.
const PLAIN_ID = /^[ !#-[\]-~]*$/;

/**
 * Serialized size of `recordId` (with its key): exact for the runtime's JSON.stringify, or with `bound` at most that,
 * without reading the id (each UTF-16 unit takes at most six bytes, `\uXXXX`).
 */
function recordIdBytes(id: unknown, bound: boolean): number {
  if (typeof id !== 'string') return 0;
  return RECORD_ID_BYTES + (bound ? 6 * id.length + 2 : PLAIN_ID.test(id) ? id.length + 2 : Buffer.byteLength(JSON.stringify(id)));
}

/** One output record; `recordId` (first, as the size accounting assumes) only when the input had one. */
function result(id: string | undefined, outcome: FirehoseRecordResult, data: string): FirehoseOutputRecord {
  return id === undefined ? { result: outcome, data } : { recordId: id, result: outcome, data };
}

/**
 * Builds the Firehose transformation handler around a parser.
 *
 * Each record is split into lines (`\n` or `\r\n`, blank lines skipped); all lines parsed → `Ok` with one JSON line
 * each, every line ending in `\n`; no line → `Dropped`; any line that does not fit → `ProcessingFailed` with the
 * record's original bytes. Nothing is thrown for bad data.
 *
 * Response cap: the size of the serialized response is tracked. Before a record is returned `Ok`, the handler checks
 * that the response so far, this record's JSON, and every later record returned unchanged would still fit the budget;
 * if not, this record and all later ones are returned `ProcessingFailed` with their original bytes (Firehose delivers
 * them under the error prefix). A record returned unchanged takes less room in the response than it took in the
 * request, so the budget holds for any request Lambda accepts. Record ids are counted at their largest possible size
 * until that bound comes near the budget, and exactly from then on (reading every id costs a tenth of the handler).
 */
export function createHandler(
  parser: LineParser,
  options: HandlerOptions = {},
): (event: FirehoseInputEvent) => Promise<FirehoseTransformationResponse> {
  const transform = createTransform(parser, options);
  return async (event) => transform(event);
}

/** The synchronous core of {@link createHandler} (for benchmarks and tests). */
export function createTransform(
  parser: LineParser,
  options: HandlerOptions = {},
): (event: FirehoseInputEvent) => FirehoseTransformationResponse {
  const budget = options.responseBudgetBytes ?? RESPONSE_BUDGET_BYTES;
  const log = options.log ?? ((message: string) => console.warn(message));
  const base64 = options.base64 ?? DEFAULT_BASE64;
  if (!base64.fast) log('nginx-parser: no working Buffer base64Write/base64Slice; using the public Buffer API');
  let input = Buffer.allocUnsafe(1 << 16);
  let failedLine = '';
  let okData = '';

  /** Converts one record: Ok (its NDJSON in `okData`), Dropped, or undefined when it must be returned unchanged. */
  function convert(data: string): FirehoseRecordResult | undefined {
    const max = Math.ceil(data.length / 4) * 3 + 1;
    if (input.length < max) input = Buffer.allocUnsafe(Math.max(max, input.length * 2));
    const n = base64.decode(input, data, max);
    // A newline sentinel after the data ends the last line and keeps indexOf from scanning stale bytes.
    input[n] = 10;
    parser.reset();
    let lines = 0;
    let s = 0;
    while (s < n) {
      const nl = input.indexOf(10, s);
      let e = nl;
      if (e > s && input[e - 1] === 13) e--;
      let b = s;
      while (b < e && (input[b] === 32 || input[b] === 9)) b++;
      if (b < e) {
        if (!parser.appendLine(input, s, e)) {
          if (failedLine === '') failedLine = parser.error;
          return undefined;
        }
        lines++;
      }
      s = nl + 1;
    }
    if (lines === 0) {
      okData = '';
      return 'Dropped';
    }
    okData = base64.encode(parser.buf, 0, parser.length);
    return 'Ok';
  }

  return (event) => {
    const records: readonly FirehoseInputRecord[] = Array.isArray(event?.records) ? event.records : [];
    const n = records.length;
    const idBytes = new Array<number>(n);
    let reserve = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i];
      idBytes[i] = recordIdBytes(r?.recordId, true);
      const data = r?.data;
      reserve += RECORD_BYTES + (idBytes[i] as number) + 16 + (typeof data === 'string' ? data.length : 0);
    }
    let exact = false;
    let used = ENVELOPE_BYTES + Math.max(0, n - 1);
    let failed = 0;
    let overBudget = 0;
    failedLine = '';
    const out: FirehoseOutputRecord[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = records[i];
      const id = typeof r?.recordId === 'string' ? r.recordId : undefined;
      const hasData = typeof r?.data === 'string';
      const data = hasData ? (r?.data as string) : '';
      const unchanged = RECORD_BYTES + 16 + data.length;
      reserve -= unchanged + (idBytes[i] as number);
      let converted: FirehoseRecordResult | undefined;
      try {
        // Once one record did not fit, the rest are returned unchanged without parsing them for nothing.
        converted = hasData && overBudget === 0 ? convert(data) : undefined;
      } catch (err) {
        // Defensive: the parser does not throw on data, but a bug must cost one record, not the batch.
        failedLine ||= `internal error: ${(err as Error).message}`;
        converted = undefined;
      }
      if (converted !== undefined) {
        const payload = RECORD_BYTES + converted.length + okData.length;
        if (!exact && used + payload + (idBytes[i] as number) + reserve > budget) {
          // Near the budget: from here on every id counts at its exact size, the ones counted so far included.
          exact = true;
          for (let j = 0; j < n; j++) {
            const saved = (idBytes[j] as number) - (idBytes[j] = recordIdBytes(records[j]?.recordId, false));
            if (j < i) used -= saved;
            else if (j > i) reserve -= saved;
          }
        }
        if (used + payload + (idBytes[i] as number) + reserve <= budget) {
          used += payload + (idBytes[i] as number);
          out[i] = result(id, converted, okData);
          continue;
        }
      }
      if (converted !== undefined || (overBudget > 0 && hasData)) overBudget++;
      failed++;
      used += unchanged + (idBytes[i] as number);
      out[i] = result(id, 'ProcessingFailed', data);
    }
    if (failed > 0) {
      log(`nginx-parser: ${failed}/${n} records ProcessingFailed (${overBudget} over the response budget) ${failedLine}`);
    }
    return { records: out };
  };
}
