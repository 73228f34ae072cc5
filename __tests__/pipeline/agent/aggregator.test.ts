import fc from 'fast-check';
import { AGGREGATION_DEFAULTS, lineFitsFormat, RecordAggregator, type OutRecord } from '../../../pipeline/agent/aggregator';
import type { Line, TrackedFile } from '../../../pipeline/agent/tail';
import { KINESIS_LIMITS } from '../../../facts/aws-limits';

const file: TrackedFile = { path: '/var/log/nginx/access.log', dev: 1, ino: 2, head: Buffer.alloc(0) };
const GOOD = (i: number): string =>
  `10.0.0.${i % 250} - - [25/Nov/2026:05:00:00 +0000] "GET /p/${i} HTTP/1.1" 200 ${i} "-" "jest" "-"\n`;
const BAD = (i: number): string => `garbage ${i}\n`;

/** Lines in file order, each knowing its end offset. */
function linesOf(texts: readonly string[]): Line[] {
  let offset = 0;
  return texts.map((t) => {
    const data = Buffer.from(t);
    offset += data.length;
    return { data, file, endOffset: offset, truncatedBytes: 0 };
  });
}

function run(texts: readonly string[], opts: ConstructorParameters<typeof RecordAggregator>[0]): { records: OutRecord[]; lines: Line[] } {
  const lines = linesOf(texts);
  const agg = new RecordAggregator(opts);
  const records: OutRecord[] = [];
  for (const l of lines) agg.add(l, records);
  agg.flush(records);
  return { records, lines };
}

const split = (records: readonly OutRecord[]): string[] => records.flatMap((r) => r.data.toString().split(/(?<=\n)/));
const isBad = (b: Buffer): boolean => b.toString().startsWith('garbage');

describe('RecordAggregator', () => {
  it('without maxRecordBytes sends one line per record, the checkpoint on each line (the Kinesis Agent)', () => {
    const texts = [GOOD(1), BAD(2), GOOD(3)];
    const { records, lines } = run(texts, {});
    expect(records.map((r) => r.data.toString())).toEqual(texts);
    expect(records.map((r) => r.checkpoint)).toEqual(lines);
  });

  it('packs whole lines up to maxRecordBytes, in order, never splitting one', () => {
    const texts = Array.from({ length: 1000 }, (_, i) => GOOD(i));
    const { records } = run(texts, { maxRecordBytes: 5_000 });
    expect(split(records)).toEqual(texts);
    expect(records.every((r) => r.data.length <= 5_000 && r.data.toString().endsWith('\n'))).toBe(true);
    // Full records: adding the next line would have passed the limit.
    for (let i = 0; i < records.length - 1; i++) {
      const next = records[i + 1]!.data.toString().split(/(?<=\n)/)[0]!;
      expect(records[i]!.data.length + Buffer.byteLength(next)).toBeGreaterThan(5_000);
    }
    expect(records.reduce((n, r) => n + r.lines, 0)).toBe(1000);
  });

  it('sends a line that does not fit the format alone, and keeps aggregating the good lines around it', () => {
    const texts = [GOOD(1), GOOD(2), BAD(3), GOOD(4), BAD(5), GOOD(6)];
    const { records, lines } = run(texts, { maxRecordBytes: 25_000, fits: (b) => !isBad(b) });
    expect(records.map((r) => r.data.toString())).toEqual([BAD(3), BAD(5), GOOD(1) + GOOD(2) + GOOD(4) + GOOD(6)]);
    // The lone bad lines leave while lines before them are still open: no checkpoint past those yet.
    expect(records.map((r) => r.checkpoint)).toEqual([undefined, undefined, lines[5]]);
  });

  it('a bad line with no aggregate open is its own checkpoint; one read while an aggregate is open points before it', () => {
    const texts = [BAD(0), GOOD(1), BAD(2)];
    const { records, lines } = run(texts, { maxRecordBytes: 25_000, fits: (b) => !isBad(b) });
    expect(records.map((r) => [r.data.toString(), r.checkpoint])).toEqual([
      [BAD(0), lines[0]],
      [BAD(2), lines[0]],
      [GOOD(1), lines[2]],
    ]);
  });

  it('sends a line longer than maxRecordBytes alone, not as a format failure', () => {
    const long = `${'x'.repeat(300)}\n`;
    const agg = new RecordAggregator({ maxRecordBytes: 200, fits: () => true });
    const records: OutRecord[] = [];
    for (const l of linesOf([GOOD(1), long, GOOD(2)])) agg.add(l, records);
    agg.flush(records);
    expect(records.map((r) => r.data.toString())).toEqual([long, GOOD(1) + GOOD(2)]);
    expect(agg.unfitLines).toBe(0);
  });

  it('rejects a record size Kinesis cannot take, saying the limit', () => {
    expect(() => new RecordAggregator({ maxRecordBytes: KINESIS_LIMITS.maxRecordBytes + 1 })).toThrow(
      /maxRecordBytes must be a whole number of bytes, 1–1048576 \(the Kinesis record limit\), got 1048577/,
    );
    expect(() => new RecordAggregator({ maxRecordBytes: 0 })).toThrow(/got 0/);
  });

  it('defaults: one PUT payload unit and whole Firehose 5 KB units, read in decimal or binary KB', () => {
    const withKey = AGGREGATION_DEFAULTS.maxRecordBytes + 16;
    expect(withKey).toBeLessThanOrEqual(25_000 + 16);
    expect(AGGREGATION_DEFAULTS.maxRecordBytes % 5_000).toBe(0);
    expect(withKey).toBeLessThanOrEqual(KINESIS_LIMITS.putPayloadUnitBytes);
  });

  it('property: every line exactly once, records within the limit, and a crash after any acknowledged prefix loses nothing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ bad: fc.boolean(), len: fc.integer({ min: 1, max: 120 }) }), { maxLength: 200 }),
        fc.integer({ min: 50, max: 600 }),
        (spec, max) => {
          const texts = spec.map((s, i) => `${s.bad ? 'garbage' : 'ok'}${i}:${'y'.repeat(s.len)}\n`);
          const { records, lines } = run(texts, { maxRecordBytes: max, fits: (b) => !isBad(b) });
          expect(split(records).sort()).toEqual([...texts].sort());
          for (const r of records) if (r.lines > 1) expect(r.data.length).toBeLessThanOrEqual(max);
          // Acknowledge records in order; after each, every line up to the checkpoint must be in an acknowledged record.
          const shipped = new Set<string>();
          let checkpoint = -1;
          for (const r of records) {
            for (const l of r.data.toString().split(/(?<=\n)/)) shipped.add(l);
            if (r.checkpoint) {
              const at = lines.indexOf(r.checkpoint);
              expect(at).toBeGreaterThanOrEqual(checkpoint);
              checkpoint = at;
            }
            for (let i = 0; i <= checkpoint; i++) expect(shipped.has(texts[i]!)).toBe(true);
          }
          expect(checkpoint).toBe(lines.length - 1);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('lineFitsFormat', () => {
  it('checks a line against the log format as the Lambda reads it: "\\n" and "\\r\\n" endings, blank lines skipped', () => {
    const fits = lineFitsFormat(undefined);
    expect(fits(Buffer.from(GOOD(1)))).toBe(true);
    expect(fits(Buffer.from(GOOD(1).replace('\n', '\r\n')))).toBe(true);
    expect(fits(Buffer.from('2020/12/22 12:32:36 [error] 1234#1234: *1 open() failed\n'))).toBe(false);
    expect(fits(Buffer.from([0xff, 0x00, 0xfe, 0x0a]))).toBe(false);
    expect(fits(Buffer.from(' \t\n'))).toBe(true);
  });

  it('uses the given log_format, not the defaults', () => {
    const fits = lineFitsFormat('$remote_addr $status');
    expect(fits(Buffer.from('1.2.3.4 200\n'))).toBe(true);
    expect(fits(Buffer.from(GOOD(1)))).toBe(false);
  });
});
