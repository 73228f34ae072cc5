import { FIREHOSE_API_DEFAULTS } from '../../facts/aws-defaults';
import { FIREHOSE_LIMITS, LAMBDA_LIMITS } from '../../facts/aws-limits';
import type { FirehoseInputRecord, FirehoseTransformationResponse } from '../../facts/firehose-transformation';
import { createHandler, createTransform } from '../../functions/nginx-parser/handler';
import { PROCESSOR_BUFFER_SAFE_MAX_MB, processorBufferError, RESPONSE_BUDGET_BYTES } from '../../functions/nginx-parser/limits';
import { createParser } from '../../functions/nginx-parser/parse';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');
const text = (data: string): string => Buffer.from(data, 'base64').toString('utf8');
const T = '[22/Dec/2020:12:32:36 +0000]';
const LINE = `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "-" "-"`;
const BAD = `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 `;

function transform(records: FirehoseInputRecord[], budget?: number, logFormat?: string): FirehoseTransformationResponse {
  return createTransform(createParser(logFormat), { log: () => undefined, responseBudgetBytes: budget })({ records });
}

describe('Firehose handler', () => {
  it('returns one result per record, same recordId, in order', async () => {
    const handler = createHandler(createParser(), { log: () => undefined });
    const res = await handler({
      records: [
        { recordId: 'a', data: b64(`${LINE}\n`) },
        { recordId: 'b', data: b64(`${BAD}\n`) },
        { recordId: 'c', data: b64('') },
      ],
    });
    expect(res.records.map((r) => [r.recordId, r.result])).toEqual([
      ['a', 'Ok'],
      ['b', 'ProcessingFailed'],
      ['c', 'Dropped'],
    ]);
  });

  it('gives each record its own lines, whatever the records around it (one batch decoded, parsed and encoded)', () => {
    const line = (host: string): string => LINE.replace('1.2.3.4', host);
    const res = transform([
      { recordId: '1', data: b64(`${line('10.0.0.1')}\n${line('10.0.0.2')}`) },
      { recordId: '2', data: b64(`${line('10.0.0.3')}\n${BAD}\n`) },
      {} as FirehoseInputRecord,
      { recordId: '4', data: b64('\n') },
      { recordId: '5', data: b64(`${line('10.0.0.5')}\n`) },
    ]);
    expect(res.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'ProcessingFailed', 'Dropped', 'Ok']);
    const hosts = (data: string): unknown[] => text(data).trim().split('\n').map((l) => (JSON.parse(l) as { host: unknown }).host);
    expect(hosts(res.records[0]?.data ?? '')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(text(res.records[1]?.data ?? '')).toBe(`${line('10.0.0.3')}\n${BAD}\n`);
    expect(res.records[3]?.data).toBe('');
    expect(hosts(res.records[4]?.data ?? '')).toEqual(['10.0.0.5']);
  });

  it('writes NDJSON with a newline after every line, also when the record had none', () => {
    const [r] = transform([{ recordId: '1', data: b64(LINE) }]).records;
    expect(r?.result).toBe('Ok');
    const out = text(r?.data ?? '');
    expect(out.endsWith('}\n')).toBe(true);
    expect(JSON.parse(out)).toMatchObject({ host: '1.2.3.4', status: 200 });
  });

  it('handles several lines per record, \\r\\n endings and blank lines', () => {
    const [r] = transform([{ recordId: '1', data: b64(`${LINE}\r\n\r\n   \n${LINE}\n\n`) }]).records;
    const lines = text(r?.data ?? '').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    lines.slice(0, 2).forEach((l) => expect(JSON.parse(l)).toMatchObject({ uri: '/' }));
  });

  it('drops a record with only blank lines, with empty data', () => {
    expect(transform([{ recordId: '1', data: b64('\n \r\n') }]).records).toEqual([{ recordId: '1', result: 'Dropped', data: '' }]);
  });

  it('fails the whole record with its original bytes when one line does not fit', () => {
    const data = b64(`${LINE}\n${BAD}\n${LINE}\n`);
    expect(transform([{ recordId: '1', data }]).records).toEqual([{ recordId: '1', result: 'ProcessingFailed', data }]);
  });

  it('handles records without recordId (LocalStack) and without data, never throwing', () => {
    const res = transform([{ data: b64(LINE) }, {} as FirehoseInputRecord, { recordId: 'x', data: 42 as unknown as string }]);
    expect(res.records[0]).toEqual({ result: 'Ok', data: expect.any(String) });
    expect(res.records[0]).not.toHaveProperty('recordId');
    expect(res.records[1]).toEqual({ result: 'ProcessingFailed', data: '' });
    expect(res.records[2]).toEqual({ recordId: 'x', result: 'ProcessingFailed', data: '' });
    expect(createTransform(createParser())(undefined as never)).toEqual({ records: [] });
  });

  it('logs one summary line per invocation that failed records', () => {
    const log = jest.fn();
    createTransform(createParser(), { log })({ records: [{ recordId: '1', data: b64(BAD) }, { recordId: '2', data: b64(LINE) }] });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]?.[0]).toMatch(/1\/2 records ProcessingFailed \(0 over the response budget\) no " \\"" after \$body_bytes_sent/);
  });
});

describe('6 MB response cap', () => {
  const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `49613838875858910653213735508838664445347285229${String(i).padStart(9, '0')}`);

  /** Records of the worst expansions we could construct, filling a 3 MB processor buffer (Firehose's maximum). */
  const worstCases: [string, string, number, boolean, string][] = [
    // The shortest line main/combined accept: every field empty; ~47 bytes become ~230 bytes of JSON. One line per
    // record: the 6 MB request limit (metadata per record) keeps the batch small enough to convert entirely.
    ['empty fields, one line per record', `- -  [22/Dec/2020:12:32:36 +0000] "" 1 1 "" ""`, 1, false, ''],
    // Control bytes written by nginx as \xHH (4 bytes) become \u00XX (6 bytes), twice: request and uri.
    ['control bytes in the request', `::1 - - ${T} "GET /${'\\x01'.repeat(60)} HTTP/1.1" 1 1 "" "" ""`, 1, true, ''],
    // Many short lines per record: the largest expansion, without per-record overhead to limit the batch.
    ['many empty-field lines per record', `- -  [22/Dec/2020:12:32:36 +0000] "" 1 1 "" ""`, 500, true, ''],
    // A custom format logging one number: 2-byte lines become ~150 bytes (every key of the original schema is written, as null).
    ['a one-variable custom format', '1', 1000, true, '$status'],
  ];

  /**
   * The event Firehose would send: each record carries its metadata, and Lambda refuses requests over 6 MB, so a
   * batch holds at most the records of a 3 MB buffer and at most what fits a 6 MB request.
   */
  function firehoseEvent(data: string, rawBytes: number): FirehoseInputRecord[] {
    const records: FirehoseInputRecord[] = [];
    let request = '{"invocationId":"00540a87-5050-496a-84e4-e7d92bbaf5e2","deliveryStreamArn":"arn:aws:firehose:ap-northeast-2:123456789012:deliverystream/nginx","sourceKinesisStreamArn":"arn:aws:kinesis:ap-northeast-2:123456789012:stream/nginx","region":"ap-northeast-2","records":[]}'.length;
    let raw = 0;
    let size = 0;
    for (let i = 0; ; i++) {
      const recordId = `49613838875858910653213735508838664445347285229${String(i).padStart(9, '0')}`;
      const record = {
        recordId,
        approximateArrivalTimestamp: 1608640417024,
        data,
        kinesisRecordMetadata: {
          shardId: 'shardId-000000000000',
          partitionKey: '110397.65176589867',
          approximateArrivalTimestamp: 1608640417024,
          sequenceNumber: recordId,
          subsequenceNumber: 0,
        },
      };
      // Every record has the same size (same data, ids of one length): measure the first one only.
      size ||= JSON.stringify(record).length + 1;
      if (raw + rawBytes > FIREHOSE_LIMITS.processorBufferMaxMBs * 1024 * 1024 || request + size > LAMBDA_LIMITS.maxResponseBytes) break;
      records.push(record);
      request += size;
      raw += rawBytes;
    }
    return records;
  }

  it.each(worstCases)('stays under the Lambda limit with %s', (_, line, linesPerRecord, overflows, logFormat) => {
    const payload = `${line}\n`.repeat(linesPerRecord);
    const record = b64(payload);
    const records = firehoseEvent(record, Buffer.byteLength(payload));
    const res = transform(records, undefined, logFormat);
    const size = Buffer.byteLength(JSON.stringify(res));
    expect(size).toBeLessThanOrEqual(RESPONSE_BUDGET_BYTES);
    expect(size).toBeLessThanOrEqual(LAMBDA_LIMITS.maxResponseBytes);
    expect(res.records.map((r) => r.recordId)).toEqual(records.map((r) => r.recordId));
    const ok = res.records.filter((r) => r.result === 'Ok');
    const failed = res.records.filter((r) => r.result === 'ProcessingFailed');
    expect(ok.length).toBeGreaterThan(0);
    expect(text(ok[0]?.data ?? '').split('\n')).toHaveLength(linesPerRecord + 1);
    expect(failed.every((r) => r.data === record)).toBe(true);
    if (overflows) {
      // Unbudgeted, the response would overflow: it converted what fits and returned the rest unchanged, which
      // Firehose delivers under the error prefix.
      expect(failed.length).toBeGreaterThan(0);
      expect(size).toBeGreaterThan(RESPONSE_BUDGET_BYTES - 2 * Buffer.byteLength(JSON.stringify(ok[0])));
    } else {
      expect(failed).toHaveLength(0);
    }
  });

  it.each([FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs, PROCESSOR_BUFFER_SAFE_MAX_MB])('converts every record of a %s MB buffer of typical lines', (mb) => {
    const line = `1.229.242.14 - - [22/Dec/2020:21:32:36 +0900] "GET /api/v1/orders?page=2 HTTP/1.1" 200 5120 "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0" "-"\n`;
    const n = Math.floor((mb * 1024 * 1024) / line.length);
    const res = transform(ids(n).map((recordId) => ({ recordId, data: b64(line) })));
    expect(res.records.every((r) => r.result === 'Ok')).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(res))).toBeLessThan(RESPONSE_BUDGET_BYTES);
  });

  it('computes the response size exactly, so a tight budget is met to the byte', () => {
    const records = ids(50).map((recordId) => ({ recordId, data: b64(`${LINE}\n`) }));
    const full = Buffer.byteLength(JSON.stringify(transform(records)));
    const unchanged = Buffer.byteLength(JSON.stringify(transform(records, 0)));
    expect(transform(records, 0).records.every((r) => r.result === 'ProcessingFailed')).toBe(true);
    for (const budget of [full, full - 1, Math.floor((full + unchanged) / 2), unchanged]) {
      expect(Buffer.byteLength(JSON.stringify(transform(records, budget)))).toBeLessThanOrEqual(budget);
    }
    expect(transform(records, full).records.every((r) => r.result === 'Ok')).toBe(true);
    expect(transform(records, full - 1).records.filter((r) => r.result === 'ProcessingFailed')).toHaveLength(1);
  });

  it('counts record ids exactly near the budget, whatever JSON makes of them', () => {
    // Escaped, multi-byte and plain ids: counted at their largest size until the budget is near, then exactly.
    const odd = ['a"b', 'c\\d', 'é', '\u0001', '😀', '\ud800', '4961383887585891065321373550883866444534728522900000'];
    const records = odd.flatMap((id) => [1, 2, 3].map((i) => ({ recordId: `${id}${i}`, data: b64(`${LINE}\n`) })));
    const full = Buffer.byteLength(JSON.stringify(transform(records)));
    expect(transform(records, full).records.every((r) => r.result === 'Ok')).toBe(true);
    const tight = transform(records, full - 1);
    expect(tight.records.filter((r) => r.result === 'ProcessingFailed')).toHaveLength(1);
    expect(Buffer.byteLength(JSON.stringify(tight))).toBeLessThanOrEqual(full - 1);
  });

  it('exports processor buffer limits for the stack', () => {
    expect(processorBufferError(FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs)).toBeUndefined();
    expect(processorBufferError(PROCESSOR_BUFFER_SAFE_MAX_MB)).toBeUndefined();
    expect(processorBufferError(4)).toMatch(/processor buffer must be 0.2–3 MB \(Firehose limit\), got 4/);
    expect(processorBufferError(0.1)).toMatch(/got 0.1/);
  });
});
