import fc from 'fast-check';
import { isPlainRecord, RecordArena, type PlainRecord } from '../../pipeline/kinesis-record-arena';

const record = (PartitionKey: string, Data: string, ApproximateArrivalTimestamp = 1764061234.567): PlainRecord => ({
  PartitionKey,
  Data,
  ApproximateArrivalTimestamp,
});

test('takes exactly the records kinesalite writes for JSON PutRecords, and nothing it could not give back equal', () => {
  expect(isPlainRecord(record('a1b2c3', 'bGluZQo='))).toBe(true);
  expect(isPlainRecord(record('k'.repeat(256), ''))).toBe(true);
  // Fields out of order, missing or extra; a Buffer (CBOR) or a number as data.
  expect(isPlainRecord({ Data: 'bGluZQo=', PartitionKey: 'k', ApproximateArrivalTimestamp: 1 })).toBe(false);
  expect(isPlainRecord({ PartitionKey: 'k', Data: 'bGluZQo=' })).toBe(false);
  expect(isPlainRecord({ ...record('k', 'bGluZQo='), ExplicitHashKey: '1' })).toBe(false);
  expect(isPlainRecord({ PartitionKey: 'k', Data: Buffer.from('x'), ApproximateArrivalTimestamp: 1 })).toBe(false);
  // Keys that are not JSON-safe ASCII, or too long; data that is not base64; times JSON cannot carry.
  for (const key of ['', 'a"b', 'a\\b', 'é', 'tab\there', 'k'.repeat(257)]) expect(isPlainRecord(record(key, 'AA=='))).toBe(false);
  for (const data of ['not base64!', 'AA==AA', '"']) expect(isPlainRecord(record('k', data))).toBe(false);
  for (const t of [Number.NaN, Number.POSITIVE_INFINITY]) expect(isPlainRecord(record('k', 'AA==', t))).toBe(false);
  expect(isPlainRecord(null)).toBe(false);
  expect(isPlainRecord('string')).toBe(false);
});

test('gives back what it stored, and writes it as the JSON of the record with its sequence number', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          PartitionKey: fc.stringMatching(/^[\x20\x21\x23-\x5b\x5d-\x7e]{1,256}$/),
          Data: fc.base64String({ maxLength: 3000 }),
          ApproximateArrivalTimestamp: fc.double({ min: 0, max: 4e9, noNaN: true }),
        }),
        { maxLength: 40 },
      ),
      (records) => {
        const arena = new RecordArena();
        const seq = (n: number): string => `4960${n}`.padEnd(56, '7');
        const ids = records.map((r, n) => arena.add(r, seq(n)));
        records.forEach((r, n) => {
          expect(arena.get(ids[n]!)).toEqual({ ...r, ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp + 0 });
          expect(arena.sequence(ids[n]!)).toBe(seq(n));
          const out = Buffer.alloc(arena.jsonLength(ids[n]!));
          const end = arena.writeJson(ids[n]!, out, 0);
          expect(JSON.parse(out.toString('latin1', 0, end))).toEqual({ ...r, ApproximateArrivalTimestamp: r.ApproximateArrivalTimestamp + 0, SequenceNumber: seq(n) });
          expect(out.toString('latin1', 0, end)).toBe(JSON.stringify({ ...r, SequenceNumber: seq(n) }));
        });
      },
    ),
  );
});

test('frees a chunk of bytes when its last record is released, never the one being filled', () => {
  const arena = new RecordArena();
  const big = 'A'.repeat(700 * 1024); // two of these do not fit in one 1 MiB chunk
  const first = arena.add(record('a', big), '1');
  const second = arena.add(record('b', big), '1');
  const third = arena.add(record('c', 'AA=='), '1');
  arena.release(first);
  expect(() => arena.get(first)).toThrow(/released/);
  expect(arena.get(second).Data).toBe(big);
  arena.release(second);
  arena.release(third);
  // Their chunk is still being filled: it stays, and takes the next record.
  const fourth = arena.add(record('d', 'AA=='), '1');
  expect(arena.get(fourth).PartitionKey).toBe('d');
  arena.release(fourth);
  // A record larger than a chunk gets a chunk of its own; the emptied chunk before it goes.
  const huge = 'B'.repeat(1.5 * 1024 * 1024);
  expect(arena.get(arena.add(record('e', huge), '1')).Data).toBe(huge);
  expect(() => arena.get(second)).toThrow(/released/);
});

test('grows past its first index arrays without losing a record', () => {
  const arena = new RecordArena();
  const ids = Array.from({ length: 10_000 }, (_, i) => arena.add(record(`k${i}`, Buffer.from(`line ${i}\n`).toString('base64'), i), String(i + 1)));
  for (const i of [0, 4095, 4096, 8191, 8192, 9999]) {
    expect(arena.get(ids[i]!)).toEqual(record(`k${i}`, Buffer.from(`line ${i}\n`).toString('base64'), i));
  }
});
