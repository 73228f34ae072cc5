import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { physicalNames } from '../../../facts/names';
import { createParser, parseLine } from '../../../functions/nginx-parser/parse';
import { s3Client } from '../../../pipeline/clients';
import { builtInLines } from '../../../pipeline/demo-log';
import { startS3, type S3Emulator } from '../../../pipeline/emulators';
import { keyPattern, objectKey } from '../../../facts/s3-layout';
import { errorRecordLine } from '../../../pipeline/firehose/format';
import { parseErrorRecord, redrive, type RedriveOptions } from '../../../pipeline/query/redrive';
import { getObject, listKeys, objectText } from '../../../pipeline/verify';

const BUCKET = 'redrive-test';
const STREAM = physicalNames().deliveryStream;

describe('parseErrorRecord', () => {
  const rec = { attemptsMade: 1, arrivalTimestamp: 5, errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'm', attemptEndingTimestamp: 6, rawData: 'eA==' };
  test('accepts lambdaArn and lambdaARN', () => {
    expect(parseErrorRecord(JSON.stringify({ ...rec, lambdaArn: 'a' }))).toEqual({ arrivalTimestamp: 5, rawData: Buffer.from('x') });
    expect(parseErrorRecord(JSON.stringify({ ...rec, lambdaARN: 'a' }))).toEqual({ arrivalTimestamp: 5, rawData: Buffer.from('x') });
  });
  test('says what is wrong with anything else', () => {
    expect(parseErrorRecord('{"host":"1.2.3.4"}')).toMatch(/no rawData, arrivalTimestamp, errorCode, lambdaArn/);
    expect(parseErrorRecord(JSON.stringify({ ...rec, lambdaArn: 'a', rawData: 'not base64!' }))).toBe('rawData is not base64');
    expect(parseErrorRecord('nope')).toBe('not JSON');
  });
});

/** An S3 client whose n-th matching call fails as a crash would: the call never reaches S3. */
function crashingOn(client: S3Client, matches: (command: unknown) => boolean, nth = 1): S3Client {
  let seen = 0;
  const send = client.send.bind(client) as (c: unknown) => Promise<unknown>;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver) as unknown;
      return (c: unknown) => (matches(c) && ++seen === nth ? Promise.reject(new Error('crash')) : send(c));
    },
  });
}

const putTo = (prefix: string) => (c: unknown): boolean => c instanceof PutObjectCommand && String(c.input.Key).startsWith(prefix);

describe.each(['UNCOMPRESSED', 'GZIP'] as const)('redrive (%s)', (compression) => {
  let s3: S3Emulator;
  let client: S3Client;
  const parser = createParser();
  // Lines that parse first: the first objects re-drive whole, the last one only partly.
  const all = [...builtInLines(200, 10, 5)].join('').split('\n').filter((l) => l.trim() !== '');
  const lines = [...all.filter((l) => parseLine(parser, l).ok), ...all.filter((l) => !parseLine(parser, l).ok)];
  const expectedOk = lines.flatMap((l) => {
    const r = parseLine(parser, l);
    return r.ok ? [r.json] : [];
  });
  const stillFailing = lines.filter((l) => !parseLine(parser, l).ok);
  const arrival = Date.UTC(2026, 4, 1, 13, 20);

  const options = (c: S3Client = client): RedriveOptions => ({
    s3: c,
    bucket: BUCKET,
    from: 'errors/',
    to: 'nginx/',
    deliveryStreamName: STREAM,
    compressionFormat: compression,
  });
  const linesUnder = async (prefix: string): Promise<string[]> => {
    const out: string[] = [];
    for (const key of await listKeys(client, BUCKET, prefix)) {
      out.push(...objectText(await getObject(client, BUCKET, key)).split('\n').filter((l) => l !== ''));
    }
    return out.sort();
  };

  beforeEach(async () => {
    s3 = await startS3({ buckets: [BUCKET] });
    client = s3Client({ endpoint: s3.endpoint, region: 'us-east-1' });
    // Five error objects as Firehose writes them, one record per line (as the Kinesis Agent sends them).
    for (let o = 0; o < 5; o++) {
      const body = lines
        .slice(o * 40, o * 40 + 40)
        .map((l, i) =>
          errorRecordLine(
            { data: Buffer.from(`${l}\n`), arrivalMs: arrival + o * 60_000 + i, shardId: 's', partitionKey: 'p', sequenceNumber: String(i) },
            { errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'm', attemptsMade: 1, lambdaArn: 'arn:aws:lambda:x', endedMs: arrival },
          ),
        )
        .join('');
      const key = objectKey({ prefix: 'errors/', deliveryStreamName: STREAM, version: 1, oldestArrivalMs: arrival + o * 60_000, extension: compression === 'GZIP' ? '.gz' : '' });
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: compression === 'GZIP' ? gzipSync(body) : body }));
    }
  }, 20_000);

  afterEach(async () => {
    client.destroy();
    await s3.stop();
  });

  test('delivers every line that now parses exactly once, in the key layout, and leaves only what still fails', async () => {
    const report = await redrive(options());
    expect(report).toMatchObject({ delivered: expectedOk.length, stillFailing: stillFailing.length, refused: 0 });
    expect(await linesUnder('nginx/')).toEqual([...expectedOk].sort());
    const left = (await linesUnder('errors/')).map((l) => (parseErrorRecord(l) as { rawData: Buffer }).rawData.toString().replace(/\n$/, ''));
    expect(left.sort()).toEqual([...stillFailing].sort());
    const keys = await listKeys(client, BUCKET, 'nginx/');
    for (const key of keys) expect(key).toMatch(keyPattern('nginx/', STREAM));
    // Re-driven lines land in the hour they arrived in, where Athena's projection looks for them.
    expect(keys.every((k) => k.startsWith('nginx/2026/05/01/13/'))).toBe(true);
    if (compression === 'GZIP') expect(keys.every((k) => k.endsWith('.gz'))).toBe(true);
  });

  test('a second run changes nothing', async () => {
    await redrive(options());
    const before = await snapshot(client);
    const again = await redrive(options());
    expect(again.delivered).toBe(0);
    expect(await snapshot(client)).toEqual(before);
  });

  // Once (uncompressed): compression changes nothing in the batches, nor in the order of writes and deletes.
  if (compression === 'UNCOMPRESSED') {
    test('an error object larger than one Lambda response re-drives whole', async () => {
      // Long lines (a 900-byte query string): the limit is on bytes, and fewer records make the same bytes cheaper.
      const big = [...builtInLines(3_500, 0, 8)]
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.replace(' HTTP/1.1"', `?q=${'x'.repeat(900)} HTTP/1.1"`));
      const body = big
        .map((l, i) =>
          errorRecordLine(
            { data: Buffer.from(`${l}\n`), arrivalMs: arrival, shardId: 's', partitionKey: 'p', sequenceNumber: String(i) },
            { errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'm', attemptsMade: 1, lambdaArn: 'arn:aws:lambda:x', endedMs: arrival },
          ),
        )
        .join('');
      // ~3.4 MB of raw lines: in one call the response (the request and uri twice in the JSON, base64) would be over
      // Lambda's 6 MB.
      expect(big.reduce((n, l) => n + l.length + 1, 0)).toBeGreaterThan(3_000_000);
      const key = objectKey({ prefix: 'errors/', deliveryStreamName: STREAM, version: 1, oldestArrivalMs: arrival, extension: '' });
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      const report = await redrive(options());
      expect(report.objects.find((o) => o.key === key)).toMatchObject({ result: 'redriven', delivered: big.length, stillFailing: 0 });
    }, 20_000);

    test.each([
      ['after the parsed lines are written, before the error object is deleted', (c: unknown) => c instanceof DeleteObjectCommand, 1],
      ['after the parsed lines are written, before the error object is cut to what still fails', putTo('errors/'), 1],
      ['while writing the parsed lines of the third object', putTo('nginx/'), 3],
    ] as const)('a crash %s: the rerun loses and duplicates nothing', async (_when, matches, nth) => {
      await expect(redrive(options(crashingOn(client, matches, nth)))).rejects.toThrow('crash');
      await redrive(options());
      expect(await linesUnder('nginx/')).toEqual([...expectedOk].sort());
      expect((await linesUnder('errors/')).length).toBe(stillFailing.length);
    });
  }
});

async function snapshot(client: S3Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await listKeys(client, BUCKET, '')) out[key] = (await getObject(client, BUCKET, key)).toString('base64');
  return out;
}
