import fc from 'fast-check';
import {
  buildEvent,
  decodeBase64,
  ERROR_CODES,
  errorRecordLine,
  HintBuffer,
  jsonByteLength,
  validateResponse,
  type SourceRecord,
} from '../../../pipeline/firehose/format';
import { codePoint } from '../../support/arbitraries';

const at = Date.UTC(2026, 10, 25, 5, 7, 9); // 2026-11-25T05:07:09Z
const rec = (line: string, i = 0): SourceRecord => ({
  data: Buffer.from(`${line}\n`),
  arrivalMs: at + i,
  shardId: 'shardId-000000000000',
  partitionKey: `pk${i}`,
  sequenceNumber: `4961383887585891065321373550883866444534728522919942${String(i).padStart(4, '0')}`,
});
const ids = { deliveryStreamArn: 'arn:aws:firehose:r:0:deliverystream/d', sourceKinesisStreamArn: 'arn:aws:kinesis:r:0:stream/s', region: 'r' };

describe('the Lambda event', () => {
  test("has Firehose's KDS-source shape", () => {
    const e = buildEvent([rec('a'), rec('b', 1)], { ...ids, invocationId: 'inv' });
    expect(e).toMatchObject({ invocationId: 'inv', ...ids });
    expect(e.records[1]).toEqual({
      recordId: expect.any(String),
      approximateArrivalTimestamp: at + 1,
      data: Buffer.from('b\n').toString('base64'),
      kinesisRecordMetadata: {
        shardId: 'shardId-000000000000',
        partitionKey: 'pk1',
        approximateArrivalTimestamp: at + 1,
        sequenceNumber: rec('b', 1).sequenceNumber,
        subsequenceNumber: 0,
      },
    });
    expect(new Set(e.records.map((r) => r.recordId)).size).toBe(2);
  });
});

describe('response validation', () => {
  const event = buildEvent([rec('a'), rec('b', 1), rec('c', 2)], ids);
  const [a, b, c] = event.records.map((r) => r.recordId);
  const ok = (id: string | undefined, text: string): object => ({ recordId: id, result: 'Ok', data: Buffer.from(text).toString('base64') });

  test('maps results to input records by recordId, in any order', () => {
    const out = validateResponse(event, {
      records: [{ recordId: c, result: 'ProcessingFailed', data: '' }, ok(a, '{"x":1}\n'), { recordId: b, result: 'Dropped' }],
    });
    expect(out[0]).toEqual({ result: 'Ok', data: Buffer.from('{"x":1}\n') });
    expect(out[1]).toEqual({ result: 'Dropped' });
    expect(out[2]).toMatchObject({ result: 'ProcessingFailed', errorCode: ERROR_CODES.processingFailed });
  });

  test('a missing recordId is a processing failure of that record only', () => {
    const out = validateResponse(event, { records: [ok(a, 'x'), ok(b, 'y'), ok('not-ours', 'z')] });
    expect(out.map((o) => o.result)).toEqual(['Ok', 'Ok', 'ProcessingFailed']);
    expect(out[2]).toMatchObject({ errorCode: ERROR_CODES.missingRecordId });
  });

  test('a recordId returned twice fails that record', () => {
    const out = validateResponse(event, { records: [ok(a, 'x'), ok(a, 'x'), ok(b, 'y'), ok(c, 'z')] });
    expect(out[0]).toMatchObject({ result: 'ProcessingFailed', errorCode: ERROR_CODES.duplicatedRecordId });
    expect(out.slice(1).map((o) => o.result)).toEqual(['Ok', 'Ok']);
  });

  test('an unknown status or Ok without base64 data fails the record', () => {
    const out = validateResponse(event, {
      records: [{ recordId: a, result: 'OK', data: 'eA==' }, { recordId: b, result: 'Ok' }, { recordId: c, result: 'Ok', data: '%%%' }],
    });
    expect(out.map((o) => (o.result === 'ProcessingFailed' ? o.errorCode : o.result))).toEqual([
      ERROR_CODES.invalidStatus,
      ERROR_CODES.invalidData,
      ERROR_CODES.invalidData,
    ]);
  });

  test('a response without a records array fails the batch', () => {
    for (const bad of [undefined, null, 'x', {}, { records: 'x' }]) {
      const out = validateResponse(event, bad);
      expect(out).toHaveLength(3);
      expect(out.every((o) => o.result === 'ProcessingFailed' && o.errorCode === ERROR_CODES.invalidResponse)).toBe(true);
    }
  });
});

describe('error records', () => {
  test("are Firehose's documented JSON, one per line, with the original bytes in rawData", () => {
    const r = rec('garbage "line');
    const line = errorRecordLine(r, { errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'm', attemptsMade: 1, lambdaArn: 'arn:l', endedMs: at + 5 });
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    const doc = JSON.parse(line) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['attemptsMade', 'arrivalTimestamp', 'errorCode', 'errorMessage', 'attemptEndingTimestamp', 'rawData', 'lambdaArn']);
    expect(doc).toMatchObject({ attemptsMade: 1, arrivalTimestamp: at, attemptEndingTimestamp: at + 5, lambdaArn: 'arn:l' });
    expect(Buffer.from(doc.rawData as string, 'base64').toString()).toBe('garbage "line\n');
  });
});

describe('HintBuffer', () => {
  test('is full at the size hint and says when one more entry would overflow it', () => {
    const b = new HintBuffer<string>(10, 1000);
    expect(b.wouldOverflow(100)).toBe(false); // an empty buffer takes any entry
    b.add('a', 6, at, 0);
    expect(b.isFull()).toBe(false);
    expect(b.wouldOverflow(5)).toBe(true);
    b.add('b', 4, at, 0);
    expect(b.isFull()).toBe(true);
  });

  test('is due when its first entry is as old as the interval hint', () => {
    const b = new HintBuffer<string>(10, 1000);
    expect(b.isDue(5000)).toBe(false);
    b.add('a', 1, at, 100);
    b.add('b', 1, at, 900);
    expect(b.isDue(1099)).toBe(false);
    expect(b.isDue(1100)).toBe(true);
  });

  test('take returns the entries with the oldest arrival time and empties the buffer', () => {
    const b = new HintBuffer<string>(10, 1000);
    b.add('a', 1, at + 50, 0);
    b.add('b', 1, at, 0);
    expect(b.take()).toEqual({ items: ['a', 'b'], bytes: 2, oldestArrivalMs: at });
    expect(b.length).toBe(0);
    expect(b.isDue(1e9)).toBe(false);
  });
});

describe('the checks on every Lambda response', () => {
  const REFERENCE = /^[A-Za-z0-9+/]*={0,2}$/;
  const tricky = fc.constantFrom('A', 'Q', 'z', '0', '9', '+', '/', '-', '_', '=', ' ', '\n', '!', '"', 'Ł', 'Á', 'é', '\u{1F600}');

  test('decodeBase64 accepts exactly what the reference regex and the length check accept, and decodes it', () => {
    fc.assert(
      fc.property(fc.oneof(fc.base64String(), fc.array(tricky, { maxLength: 12 }).map((a) => a.join('')), fc.string()), (s) => {
        const valid = REFERENCE.test(s) && s.length % 4 === 0;
        const out = decodeBase64(s);
        expect(out !== undefined).toBe(valid);
        if (out) expect(out.equals(Buffer.from(s, 'base64'))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    // Characters Node's decoder would read as others: base64url, and non-ASCII ones whose low byte is a digit.
    for (const s of ['AB-_', 'ŁŁŁŁ', 'AAA\u0141', 'AA=A', 'AA==AAAA', 'A===', 'AA\nA']) expect(decodeBase64(s)).toBeUndefined();
  });

  test('jsonByteLength is the byte length of JSON.stringify, for any value', () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: codePoint, maxLength: 40 }),
        fc.base64String({ maxLength: 80 }),
        fc.double(),
        fc.integer(),
        fc.boolean(),
        fc.constantFrom(null, undefined, () => 1, new Date(0), Symbol('s')),
        fc.array(tie('v'), { maxLength: 5 }),
        fc.dictionary(fc.string({ unit: codePoint, maxLength: 20 }), tie('v'), { maxKeys: 5 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => {
        expect(jsonByteLength(v)).toBe(Buffer.byteLength(JSON.stringify(v) ?? ''));
      }),
      { numRuns: 2000 },
    );
    const response = { records: [{ recordId: 'r1', result: 'Ok', data: Buffer.from('é'.repeat(100)).toString('base64') }] };
    expect(jsonByteLength(response)).toBe(Buffer.byteLength(JSON.stringify(response)));
  });
});
