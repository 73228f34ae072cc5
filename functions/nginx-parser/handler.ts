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
}

// JSON.stringify of a result record is exactly: {"recordId":ID,"result":"R","data":"D"} (recordId only when given).
const RECORD_BYTES = '{"result":"","data":""}'.length;
const RECORD_ID_BYTES = '"recordId":,'.length;
const ENVELOPE_BYTES = '{"records":[]}'.length;

/**
 * Node's Buffer methods behind `write(…, 'base64')` and `toString('base64', …)`, called directly: the public wrappers
 * cost a measurable share per ~250-byte record.
 */
interface FastBuffer extends Buffer {
  base64Write(text: string, offset: number, length: number): number;
}

/** Node's binding accepts any Uint8Array as `this`: the parser's output is encoded without a Buffer view of it. */
const { base64Slice } = Buffer.prototype as unknown as { base64Slice(this: Uint8Array, start: number, end: number): string };

// Record ids JSON writes as they are (Firehose's are digits): their size is their length plus quotes.
const PLAIN_ID = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Serialized size of `recordId` (with its key), exact for the runtime's JSON.stringify. */
function recordIdBytes(id: unknown): number {
  if (typeof id !== 'string') return 0;
  return RECORD_ID_BYTES + (PLAIN_ID.test(id) ? id.length + 2 : Buffer.byteLength(JSON.stringify(id)));
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
 * Response cap: the size of the serialized response is tracked exactly. Before a record is returned `Ok`, the handler
 * checks that the response so far, this record's JSON, and every later record returned unchanged would still fit the
 * budget; if not, this record and all later ones are returned `ProcessingFailed` with their original bytes (Firehose
 * delivers them under the error prefix). A record returned unchanged takes less room in the response than it took in
 * the request, so the budget holds for any request Lambda accepts.
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
  let input = Buffer.allocUnsafe(1 << 16);
  let failedLine = '';
  let okData = '';

  /** Converts one record: Ok (its NDJSON in `okData`), Dropped, or undefined when it must be returned unchanged. */
  function convert(data: string): FirehoseRecordResult | undefined {
    const max = Math.ceil(data.length / 4) * 3 + 1;
    if (input.length < max) input = Buffer.allocUnsafe(Math.max(max, input.length * 2));
    const n = (input as FastBuffer).base64Write(data, 0, max);
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
    okData = base64Slice.call(parser.buf, 0, parser.length);
    return 'Ok';
  }

  return (event) => {
    const records: readonly FirehoseInputRecord[] = Array.isArray(event?.records) ? event.records : [];
    const n = records.length;
    const idBytes = new Array<number>(n);
    let reserve = 0;
    for (let i = 0; i < n; i++) {
      const r = records[i];
      idBytes[i] = recordIdBytes(r?.recordId);
      const data = r?.data;
      reserve += RECORD_BYTES + (idBytes[i] as number) + 16 + (typeof data === 'string' ? data.length : 0);
    }
    let used = ENVELOPE_BYTES + Math.max(0, n - 1);
    let failed = 0;
    let overBudget = 0;
    failedLine = '';
    const out: FirehoseOutputRecord[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const r = records[i];
      const id = typeof r?.recordId === 'string' ? r.recordId : undefined;
      const data = typeof r?.data === 'string' ? r.data : '';
      const unchanged = RECORD_BYTES + (idBytes[i] as number) + 16 + data.length;
      reserve -= unchanged;
      let converted: FirehoseRecordResult | undefined;
      try {
        // Once one record did not fit, the rest are returned unchanged without parsing them for nothing.
        converted = typeof r?.data === 'string' && overBudget === 0 ? convert(data) : undefined;
      } catch (err) {
        // Defensive: the parser does not throw on data, but a bug must cost one record, not the batch.
        failedLine ||= `internal error: ${(err as Error).message}`;
        converted = undefined;
      }
      if (converted !== undefined) {
        const size = RECORD_BYTES + (idBytes[i] as number) + converted.length + okData.length;
        if (used + size + reserve <= budget) {
          used += size;
          out[i] = result(id, converted, okData);
          continue;
        }
      }
      if (converted !== undefined || (overBudget > 0 && typeof r?.data === 'string')) overBudget++;
      failed++;
      used += unchanged;
      out[i] = result(id, 'ProcessingFailed', data);
    }
    if (failed > 0) {
      log(`nginx-parser: ${failed}/${n} records ProcessingFailed (${overBudget} over the response budget) ${failedLine}`);
    }
    return { records: out };
  };
}
