import fc from 'fast-check';
import { RecordArena, type StoredRecord } from '../../../pipeline/kinesis/record-arena';
import { codePoint } from '../../support/arbitraries';

const seq = (n: number): string => `4960${n}`.padEnd(56, '7');

test('gives back what it stored, as objects and as the JSON GetRecords sends, through trims', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          key: fc.string({ minLength: 1, maxLength: 256, unit: codePoint }),
          data: fc.base64String({ maxLength: 3000 }),
          arrivalMs: fc.integer({ min: 0, max: 4e12 }),
        }),
        { maxLength: 60 },
      ),
      fc.array(fc.nat(80), { maxLength: 4 }),
      (records, trims) => {
        const arena = new RecordArena();
        const stored: StoredRecord[] = [];
        records.forEach((r, n) => {
          expect(arena.add({ sequenceNumber: seq(n), seqIx: n, seqSecond: 0, partitionKey: r.key, arrivalMs: r.arrivalMs }, r.data)).toBe(n);
          stored.push({ SequenceNumber: seq(n), PartitionKey: r.key, Data: r.data, ApproximateArrivalTimestamp: r.arrivalMs / 1000 });
        });
        for (const t of [0, ...trims].sort((a, b) => a - b)) {
          arena.trimBefore(t);
          const first = Math.min(Math.max(t, 0), records.length);
          expect(arena.first).toBeGreaterThanOrEqual(Math.min(first, arena.end));
          for (let i = arena.first; i < arena.end; i++) {
            expect(arena.get(i)).toEqual(stored[i]);
            expect(arena.sequence(i)).toBe(seq(i));
            const out = Buffer.alloc(arena.jsonLength(i));
            const end = arena.writeJson(i, out, 0);
            expect(JSON.parse(out.toString('utf8', 0, end))).toEqual(stored[i]);
          }
          if (arena.first > 0) expect(() => arena.get(arena.first - 1)).toThrow(RangeError);
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('finds positions by sequence counter and second, and by arrival time', () => {
  const arena = new RecordArena();
  for (let i = 0; i < 10; i++) arena.add({ sequenceNumber: seq(i), seqIx: i * 2, seqSecond: 100 + i, partitionKey: 'k', arrivalMs: 1000 * i }, 'AAAA');
  expect(arena.lowerBound(0, 0)).toBe(0);
  expect(arena.lowerBound(4, 102)).toBe(2);
  // Just after record 2 (its counter, a later second): record 3.
  expect(arena.lowerBound(4, 103)).toBe(3);
  expect(arena.lowerBound(5, 0)).toBe(3);
  expect(arena.lowerBound(99, 0)).toBe(10);
  expect(arena.firstArrivedAtOrAfter(2500)).toBe(3);
  arena.trimBefore(5);
  expect(arena.lowerBound(0, 0)).toBe(5);
  expect(arena.firstArrivedAtOrAfter(0)).toBe(5);
});

test('holds memory for what it retains, not for what was ever written', () => {
  const arena = new RecordArena();
  const data = Buffer.alloc(2000, 7).toString('base64');
  let peak = 0;
  for (let i = 0; i < 50_000; i++) {
    arena.add({ sequenceNumber: seq(i), seqIx: i, seqSecond: 0, partitionKey: `key-${i}`, arrivalMs: i }, data);
    // Keep the newest 1,000 records.
    if (i % 1000 === 999) arena.trimBefore(i - 999);
    peak = Math.max(peak, arena.bytesHeld);
  }
  expect(arena.end - arena.first).toBeLessThanOrEqual(2000);
  // ~2.7 MB of records retained at most; the 135 MB written never are.
  expect(peak).toBeLessThan(8 << 20);
  arena.trimBefore(arena.end);
  expect(arena.bytesHeld).toBeLessThan(1 << 20);
});

test('says when a record would need more memory, so a budget can refuse it first', () => {
  const arena = new RecordArena();
  expect(arena.growthFor(seq(0), 'k', 'AAAA')).toBeGreaterThanOrEqual(1 << 20);
  arena.add({ sequenceNumber: seq(0), seqIx: 0, seqSecond: 0, partitionKey: 'k', arrivalMs: 0 }, 'AAAA');
  expect(arena.growthFor(seq(1), 'k', 'AAAA')).toBe(0);
  const before = arena.bytesHeld;
  const big = 'A'.repeat(1 << 20);
  const growth = arena.growthFor(seq(1), 'k', big);
  arena.add({ sequenceNumber: seq(1), seqIx: 1, seqSecond: 0, partitionKey: 'k', arrivalMs: 0 }, big);
  expect(arena.bytesHeld - before).toBe(growth);
});
