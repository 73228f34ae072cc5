/**
 * Re-drive and the query tool against moto_server's S3 (the API path: list, download, put, delete), as against
 * LocalStack or AWS: error objects with a wrong format's failures are re-driven, then queried through --endpoint.
 */
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { physicalNames } from '../../facts/names';
import { createParser, parseLine } from '../../functions/nginx-parser/parse';
import { s3Client } from '../../pipeline/clients';
import { builtInLines } from '../../pipeline/demo-log';
import { objectKey } from '../../facts/s3-layout';
import { errorRecordLine } from '../../pipeline/firehose/format';
import { openBucketTable } from '../../pipeline/query/query';
import { redrive } from '../../pipeline/query/redrive';
import { parseCatalogConfig } from '../../pipeline/stack-config';
import { AWS, synthesized } from '../stacks/pipeline-helpers';
import { startMoto, type MotoServer } from '../support/moto';
import { missingTools, MOTO_SERVER } from '../support/tools';

const skipReason = missingTools([MOTO_SERVER]);
if (skipReason !== undefined) console.warn(`query-moto.test.ts ${skipReason}`);
const suite = skipReason === undefined ? describe : describe.skip;

jest.setTimeout(120_000);

suite('re-drive and query against moto_server', () => {
  const BUCKET = 'redrive-moto';
  let moto: MotoServer;
  let client: S3Client;
  let downloads: string;
  const parser = createParser();
  const lines = [...builtInLines(600, 5, 21)].join('').split('\n').filter((l) => l.trim() !== '');
  const ok = lines.filter((l) => parseLine(parser, l).ok);

  beforeAll(async () => {
    moto = await startMoto();
    client = s3Client({ endpoint: moto.endpoint, region: 'us-east-1' });
    downloads = mkdtempSync(join(tmpdir(), 'query-moto-'));
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const now = Date.now();
    for (let o = 0; o < 6; o++) {
      const body = lines
        .slice(o * 100, o * 100 + 100)
        .map((l, i) =>
          errorRecordLine(
            { data: Buffer.from(`${l}\n`), arrivalMs: now - 60_000 + i, shardId: 's', partitionKey: 'p', sequenceNumber: String(i) },
            { errorCode: 'Lambda.ProcessingFailedStatus', errorMessage: 'm', attemptsMade: 1, lambdaArn: 'arn:aws:lambda:x', endedMs: now },
          ),
        )
        .join('');
      const key = objectKey({ prefix: 'errors/', deliveryStreamName: physicalNames().deliveryStream, version: 1, oldestArrivalMs: now - 60_000, extension: '.gz' });
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: gzipSync(body) }));
    }
  });

  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
    if (downloads) rmSync(downloads, { recursive: true, force: true });
  });

  test('re-drive delivers every line that parses once, twice run; the query tool reads them through the S3 API', async () => {
    const options = { s3: client, bucket: BUCKET, from: 'errors/', to: 'nginx/', deliveryStreamName: physicalNames().deliveryStream, compressionFormat: 'GZIP' as const };
    const first = await redrive(options);
    expect(first).toMatchObject({ delivered: ok.length, stillFailing: lines.length - ok.length, refused: 0 });
    expect((await redrive(options)).delivered).toBe(0);

    const catalog = parseCatalogConfig(synthesized(AWS).doc);
    const { table } = await openBucketTable(catalog, { kind: 's3', s3: client, bucket: BUCKET, downloadDir: downloads });
    try {
      expect((await table.query('SELECT count(*) AS n FROM logs')).rows).toEqual([{ n: ok.length }]);
      const byHour = await table.query(catalog.queries.find((q) => q.name === 'requests-and-5xx-by-hour')!.sql);
      expect(byHour.rows.reduce((n, r) => n + (r.requests as number), 0)).toBe(ok.length);
    } finally {
      table.close();
    }
  });
});
