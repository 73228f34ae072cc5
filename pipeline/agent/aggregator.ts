/**
 * Packs log lines into Kinesis records: many complete lines per record, so AWS bills per record far less often.
 *
 * Pure (no I/O, no timers): the shipper feeds it lines in file order and sends the records it seals. Rules:
 * - A line is never split: a record holds whole lines, each ending in "\n", up to `maxRecordBytes` of data.
 * - A line that does not fit the log format (the same compiled `log_format` the parser Lambda uses) travels as a
 *   record of its own, so the Lambda's "any bad line fails the whole record" rule costs exactly that line: it lands
 *   raw under the error prefix, as with one line per record, and the good lines around it are parsed.
 * - A line longer than `maxRecordBytes` is a record of its own too (up to the 1 MiB record limit; the tailer has
 *   truncated longer ones already).
 * - Records come out with a checkpoint that is safe once they and every earlier record are acknowledged: a line sent
 *   alone while an aggregate is still open does not move the checkpoint past the open aggregate's lines.
 */
import { KINESIS_LIMITS } from '../../facts/aws-limits';
import { createParser } from '../../functions/nginx-parser/parse';
import type { Line } from './tail';

/** Defaults of the aggregating shipper (our agent), with why; the README explains the measurements behind them. */
export const AGGREGATION_DEFAULTS = Object.freeze({
  /**
   * Data bytes per record: 25 KB read as 25,000 bytes, so a record plus its 16-byte partition key is one Kinesis PUT
   * payload unit whether AWS counts a KB as 1,000 or 1,024 bytes, and five whole Firehose 5 KB billing units (≤ 2.4 %
   * rounding). Larger records save nothing more on either bill and make a record that the Lambda must fail whole
   * (a log_format that differs from the shipper's) bigger.
   */
  maxRecordBytes: Math.floor(KINESIS_LIMITS.putPayloadUnitBytes / 1024) * 1000,
  /**
   * A record (and the PutRecords call carrying it) leaves at most this long after its oldest line was read: the
   * latency a line pays before Firehose's own buffering. At ~200-byte lines a host logging ≥ 26 lines/s fills
   * 25,000-byte records before the age is reached, so the age only matters for quiet hosts.
   */
  maxBufferAgeMillis: 5_000,
  /**
   * Bytes per PutRecords call: what one shard takes in a second, not the 5 MiB a call may carry. A 5 MiB call of full
   * records into a shard is mostly throttled, and the backoff before re-sending the rest leaves the shard idle; with
   * 1 MiB calls the shard stays near its limit (`npm run bench:shipper -- --shard-limits`; README).
   */
  maxBatchBytes: KINESIS_LIMITS.shardWriteBytesPerSecond,
});

/** One record ready for PutRecords. */
export interface OutRecord {
  /** Whole lines, each ending in "\n". */
  readonly data: Buffer;
  readonly lines: number;
  /**
   * Once this record and every record sealed before it are acknowledged, every line up to and including this one
   * is in the stream: the checkpoint may move here. Undefined when nothing before an open aggregate is complete yet.
   */
  readonly checkpoint: Line | undefined;
}

/** Options of {@link RecordAggregator}. */
export interface AggregatorOptions {
  /** Data bytes per record at most; `undefined` sends one line per record (the Kinesis Agent's behaviour). */
  readonly maxRecordBytes?: number;
  /** Whether a line (ending in "\n") fits the log format; lines that don't are sent alone. @default - every line fits */
  readonly fits?: (line: Buffer) => boolean;
}

/** Packs lines into records; see the module comment for the rules. */
export class RecordAggregator {
  /** Lines that did not fit the format and went alone. */
  unfitLines = 0;
  private parts: Buffer[] = [];
  private bytes = 0;
  /** The last line given to {@link add}. */
  private last: Line | undefined;
  /** The line read just before the open aggregate's first line: the checkpoint while the aggregate is open. */
  private beforeOpen: Line | undefined;

  constructor(private readonly opts: AggregatorOptions = {}) {
    const max = opts.maxRecordBytes;
    if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= KINESIS_LIMITS.maxRecordBytes)) {
      throw new Error(
        `maxRecordBytes must be a whole number of bytes, 1–${KINESIS_LIMITS.maxRecordBytes} (the Kinesis record limit), got ${max}`,
      );
    }
  }

  /** Lines in the open aggregate (not yet sealed into a record). */
  get openLines(): number {
    return this.parts.length;
  }

  /** Adds the next line in file order; records it seals are appended to `out`. */
  add(line: Line, out: OutRecord[]): void {
    const max = this.opts.maxRecordBytes;
    const size = line.data.length;
    if (max === undefined) {
      out.push({ data: line.data, lines: 1, checkpoint: line });
    } else if (size > max || !(this.opts.fits?.(line.data) ?? true)) {
      if (size <= max) this.unfitLines++;
      out.push({ data: line.data, lines: 1, checkpoint: this.parts.length > 0 ? this.beforeOpen : line });
    } else {
      if (this.bytes + size > max) this.seal(out);
      if (this.parts.length === 0) this.beforeOpen = this.last;
      this.parts.push(line.data);
      this.bytes += size;
    }
    this.last = line;
  }

  /** Seals the open aggregate, if any, into `out` (on age, at EOF, on stop). */
  flush(out: OutRecord[]): void {
    this.seal(out);
  }

  private seal(out: OutRecord[]): void {
    if (this.parts.length === 0) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    out.push({ data, lines: this.parts.length, checkpoint: this.last });
    this.parts = [];
    this.bytes = 0;
  }
}

/**
 * A check of one line (ending in "\n") against nginx `log_format` strings exactly as the parser Lambda reads a record:
 * the "\n" and a "\r" before it are not part of the line, and a blank line fits (the Lambda skips it).
 *
 * @param logFormat - the stack's `LOG_FORMAT`; undefined means the parser's defaults (nginx `main` and `combined`)
 */
export function lineFitsFormat(logFormat: string | undefined): (line: Buffer) => boolean {
  const parser = createParser(logFormat);
  return (line) => {
    let end = line.length;
    if (end > 0 && line[end - 1] === 10) end--;
    if (end > 0 && line[end - 1] === 13) end--;
    let i = 0;
    while (i < end && (line[i] === 32 || line[i] === 9)) i++;
    if (i === end) return true;
    parser.reset();
    return parser.appendLine(line, 0, end);
  };
}
