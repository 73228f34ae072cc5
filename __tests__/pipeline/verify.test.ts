import type { S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { S3_LAYOUT } from '../../facts/s3-layout';
import { checkErrorRecord, checkRecord, verifyBucket } from '../../pipeline/verify';
import { ERROR_LAYOUT_FIXTURE as F } from '../facts/error-layout-fixture';

const good = {
  host: '1.229.242.14',
  timestamp: '2020-12-22T12:32:36',
  request: 'GET / HTTP/1.1',
  uri: '/',
  status: 304,
  size: 0,
  verb: 'GET',
  refferer: null,
  useragent: 'curl/7.68.0',
  protocol: 'HTTP/1.1',
  remote_user: null,
};
const line = (o: object): string => JSON.stringify(o);

describe('checkRecord', () => {
  test("accepts the parser's output", () => {
    expect(checkRecord(line(good))).toBeUndefined();
    expect(checkRecord(line({ ...good, verb: null, uri: null, protocol: null, timestamp: null }))).toBeUndefined();
  });

  test("rejects keys out of the original schema's order, a missing protocol, bad types and bad JSON", () => {
    const { host, ...rest } = good;
    expect(checkRecord(line({ ...rest, host }))).toMatch(/keys start/);
    const { protocol: _p, ...noProtocol } = good;
    expect(checkRecord(line(noProtocol))).toMatch(/keys start .*"remote_user"\], expected .*"protocol"\]/);
    expect(checkRecord(line({ ...good, uri: 7 }))).toBe('"uri" is 7, expected a string or null');
    expect(checkRecord(line({ ...good, status: true }))).toMatch(/"status" is true/);
    expect(checkRecord(line({ ...good, timestamp: '[22/Dec/2020:21:32:36 +0900]' }))).toMatch(/"timestamp"/);
    expect(checkRecord('{"host":')).toBe('not valid JSON');
    expect(checkRecord('[1]')).toBe('not a JSON object');
  });
});

describe('checkErrorRecord', () => {
  test('needs every documented field and base64 rawData', () => {
    const rec = { attemptsMade: 1, arrivalTimestamp: 1, errorCode: 'c', errorMessage: 'm', attemptEndingTimestamp: 2, rawData: 'eA==', lambdaArn: 'a' };
    expect(checkErrorRecord(line(rec))).toBeUndefined();
    expect(checkErrorRecord(line({ ...rec, rawData: '%%' }))).toMatch(/not base64/);
    const { lambdaArn: _l, ...partial } = rec;
    expect(checkErrorRecord(line(partial))).toBe('error record lacks lambdaArn (or lambdaARN)');
  });

  test('accepts the documented lambdaArn and the lambdaARN reported from real AWS', () => {
    expect(checkErrorRecord(line(F.record))).toBeUndefined();
    expect(checkErrorRecord(line(F.recordAsReported))).toBeUndefined();
  });
});

describe('verifyBucket', () => {
  const uuid = '7578adbc-da7c-4c3c-86a7-89c99057ee7d';
  const objects = new Map<string, Buffer>([
    [`nginx/2026/11/25/05/d-1-2026-11-25-05-07-09-${uuid}`, Buffer.from(`${line(good)}\n${line({ ...good, status: 500 })}\n`)],
    [`nginx/2026/11/25/05/d-1-2026-11-25-05-08-00-${uuid}.gz`, gzipSync(`${line(good)}\n`)],
    [`nginx/2026/11/25/05/d-2026-11-25-05-09-00-${uuid}`, Buffer.from(`${line(good)}\n`)], // LocalStack: no version
    [`nginx/2026/11/25/05/stray-object`, Buffer.from(`${line(good)}\n`)],
    [`nginx/2026/11/25/06/d-1-2026-11-25-06-00-00-${uuid}`, Buffer.from(`not json\n${line(good)}`)],
  ]);
  const s3 = {
    send: async (cmd: { input: { Prefix?: string; Key?: string } }) => {
      if (cmd.input.Key !== undefined) {
        const body = objects.get(cmd.input.Key)!;
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      }
      return { Contents: [...objects.keys()].filter((k) => k.startsWith(cmd.input.Prefix ?? '')).map((Key) => ({ Key })) };
    },
  } as unknown as S3Client;
  const options = { bucket: 'b', prefix: S3_LAYOUT.dataPrefix, errorOutputPrefix: S3_LAYOUT.errorPrefix, deliveryStreamName: 'd' };

  test('counts by status and hour, gunzips, and reports every problem with its place', async () => {
    const lines: string[] = [];
    const r = await verifyBucket(s3, options, (_k, l) => lines.push(l));
    expect(r.objects).toBe(5);
    expect(r.records).toBe(7);
    expect(lines).toHaveLength(7);
    expect(r.byStatus).toEqual({ '304': 5, '500': 1 });
    expect(r.byHour).toEqual({ '2020-12-22T12': 6 });
    expect(r.problems).toEqual([
      's3://b/nginx/2026/11/25/05/stray-object: key does not follow nginx/!{timestamp:yyyy/MM/dd/HH/}<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>[.ext]',
      `s3://b/nginx/2026/11/25/06/d-1-2026-11-25-06-00-00-${uuid}: last line has no newline`,
      `s3://b/nginx/2026/11/25/06/d-1-2026-11-25-06-00-00-${uuid} line 1: not valid JSON`,
    ]);
  });

  test('reads error objects where AWS writes them, in both field casings', async () => {
    objects.clear();
    objects.set(F.key, Buffer.from(`${line(F.record)}\n`));
    objects.set(F.key.replace(F.uuid, F.uuid.replace('7578', '8578')), gzipSync(`${line(F.recordAsReported)}\n`));
    const r = await verifyBucket(s3, { ...options, deliveryStreamName: F.deliveryStreamName });
    expect(r.problems).toEqual([]);
    expect([r.errorObjects, r.errorRecords, r.objects]).toEqual([2, 2, 0]);
    expect(r.byErrorType).toEqual({ [F.errorOutputType]: 2 });
    expect(r.byKeyHour).toEqual({ [F.hour]: 2 });
  });

  test('reports an error object outside the layout (the old errors/YYYY/MM/dd/HH/ keys)', async () => {
    objects.clear();
    const old = F.key.replace('processing-failed/', '');
    objects.set(old, Buffer.from(`${line(F.record)}\n`));
    const r = await verifyBucket(s3, { ...options, deliveryStreamName: F.deliveryStreamName });
    expect(r.problems).toEqual([expect.stringContaining(`s3://b/${old}: key does not follow errors/!{firehose:error-output-type}/`)]);
  });
});
