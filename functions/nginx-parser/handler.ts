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
  let input = Buffer.allocUnsafe(1 << 16);
  let failedLine = '';

  /**
   * Converts the record decoded at `input[s..end)`: Ok (its NDJSON appended to the parser's output), Dropped, or
   * undefined when it must be returned unchanged.
   */
  function convert(s0: number, end: number): FirehoseRecordResult | undefined {
    let lines = 0;
    for (let s = s0; s < end; ) {
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
    return lines === 0 ? 'Dropped' : 'Ok';
  }

  return (event) => {
    const records: readonly FirehoseInputRecord[] = Array.isArray(event?.records) ? event.records : [];
    const n = records.length;
    const idBytes = new Array<number>(n);
    // Three passes: decode every record, parse them, encode the results. Each runs in one piece, which measured
    // faster than alternating Node's base64 code and the parser record by record.
    // `at[i]` is where record i's data starts in `input`, until record i is converted: then where its output ends.
    const at = new Int32Array(n + 1);
    let reserve = 0;
    for (let i = 0, end = 0; i < n; i++) {
      const r = records[i];
      idBytes[i] = recordIdBytes(r?.recordId, true);
      const data = typeof r?.data === 'string' ? r.data : '';
      reserve += RECORD_BYTES + (idBytes[i] as number) + 16 + data.length;
      // Room for the data and a newline sentinel after it, which ends its last line.
      const max = Math.ceil(data.length / 4) * 3 + 1;
      if (input.length < end + max) {
        const grown = Buffer.allocUnsafe(2 * (end + max));
        input.copy(grown, 0, 0, end);
        input = grown;
      }
      end += input.write(data, end, max, 'base64');
      input[end] = 10;
      at[i + 1] = ++end;
    }
    parser.reset();
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
      const mark = parser.length;
      let converted: FirehoseRecordResult | undefined;
      try {
        // Once one record did not fit, the rest are returned unchanged without parsing them for nothing.
        converted = hasData && overBudget === 0 ? convert(at[i] as number, (at[i + 1] as number) - 1) : undefined;
      } catch (err) {
        // Defensive: the parser does not throw on data, but a bug must cost one record, not the batch.
        failedLine ||= `internal error: ${(err as Error).message}`;
        converted = undefined;
      }
      at[i] = 0;
      if (converted !== undefined) {
        // The size of the base64 to come, padding included.
        const payload = RECORD_BYTES + converted.length + 4 * Math.ceil((parser.length - mark) / 3);
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
          at[i] = parser.length;
          out[i] = result(id, converted, '');
          continue;
        }
      }
      // A record returned unchanged leaves no output.
      parser.length = mark;
      if (converted !== undefined || (overBudget > 0 && hasData)) overBudget++;
      failed++;
      used += unchanged + (idBytes[i] as number);
      out[i] = result(id, 'ProcessingFailed', data);
    }
    // Every Ok record's output follows the one before it, and ends at `at[i]`.
    const output = Buffer.from(parser.buf.buffer, parser.buf.byteOffset, parser.length);
    for (let i = 0, start = 0; i < n; i++) {
      const end = at[i] as number;
      if (end > start) (out[i] as { data: string }).data = output.toString('base64', start, end);
      if (end > 0) start = end;
    }
    if (failed > 0) {
      log(`nginx-parser: ${failed}/${n} records ProcessingFailed (${overBudget} over the response budget) ${failedLine}`);
    }
    return { records: out };
  };
}
