import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EMULATOR_CREDENTIALS } from '../../facts/emulator';
import { kinesisClient, s3Client } from '../../pipeline/clients';
import { asS3rverKey, startKinesis, startS3 } from '../../pipeline/emulators';

describe('startKinesis + kinesisClient', () => {
  it('creates a stream, puts records and reads them back byte-exact', async () => {
    const kinesis = await startKinesis();
    const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1' });
    try {
      expect(kinesis.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await client.send(new CreateStreamCommand({ StreamName: 's', ShardCount: 1 }));
      await waitUntilStreamExists({ client, maxWaitTime: 5, minDelay: 0.05 } as never, { StreamName: 's' });
      const data = [Buffer.from('line one\n'), randomBytes(1000), Buffer.from('ünïcode\n')];
      const put = await client.send(
        new PutRecordsCommand({ StreamName: 's', Records: data.map((Data, i) => ({ Data, PartitionKey: `k${i}` })) }),
      );
      expect(put.FailedRecordCount).toBe(0);
      const shards = await client.send(new ListShardsCommand({ StreamName: 's' }));
      const it = await client.send(
        new GetShardIteratorCommand({ StreamName: 's', ShardId: shards.Shards?.[0]?.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const got = await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator }));
      expect(got.Records?.map((r) => Buffer.from(r.Data ?? []))).toEqual(data);
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  });

  it('answers bad GetRecords as Kinesis does: bad iterators, bad limits, empty bodies', async () => {
    const kinesis = await startKinesis();
    const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1' });
    try {
      await expect(client.send(new GetRecordsCommand({ ShardIterator: 'AAAA' }))).rejects.toMatchObject({
        name: 'InvalidArgumentException',
        message: 'Invalid ShardIterator.',
      });
      await expect(client.send(new GetRecordsCommand({ ShardIterator: 'AAAA', Limit: 10_001 }))).rejects.toMatchObject({
        name: 'ValidationException',
      });
      const res = await rawPost(kinesis.endpoint, 'Kinesis_20131202.GetRecords', '');
      expect(res).toEqual({ status: 400, body: '{"__type":"SerializationException"}' });
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  });

  it('listens on loopback only and stops idempotently', async () => {
    const kinesis = await startKinesis();
    await kinesis.stop();
    await kinesis.stop();
    await expect(httpStatus(kinesis.endpoint)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('startS3 + s3Client', () => {
  it('stores and returns objects byte-exact, streamed bodies included', async () => {
    const s3 = await startS3({ buckets: ['logs'] });
    const client = s3Client({ endpoint: s3.endpoint, region: 'us-east-1' });
    try {
      const body = randomBytes(256 * 1024);
      await client.send(new PutObjectCommand({ Bucket: 'logs', Key: 'a/b.bin', Body: body }));
      // A stream of unknown length is the case that s3rver stores corrupted without WHEN_REQUIRED checksums.
      await client.send(
        new PutObjectCommand({ Bucket: 'logs', Key: 'a/stream.bin', Body: Readable.from([body]), ContentLength: body.length }),
      );
      for (const Key of ['a/b.bin', 'a/stream.bin']) {
        const got = await client.send(new GetObjectCommand({ Bucket: 'logs', Key }));
        expect(Buffer.from(await got.Body!.transformToByteArray()).equals(body)).toBe(true);
      }
      await client.send(new CreateBucketCommand({ Bucket: 'other' }));
    } finally {
      client.destroy();
      await s3.stop();
    }
  });

  it('lets any access key in, as LocalStack and moto do: s3rver itself knows only its own', async () => {
    const s3 = await startS3({ buckets: ['logs'] });
    const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' };
    const client = new S3Client({ endpoint: s3.endpoint, region: 'eu-west-1', forcePathStyle: true, credentials });
    try {
      await client.send(new PutObjectCommand({ Bucket: 'logs', Key: 'k', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'logs', Key: 'k' }));
      expect(await got.Body!.transformToString()).toBe('hello');
    } finally {
      client.destroy();
      await s3.stop();
    }
  });

  it.each([
    ['a SigV4 Authorization header', { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261205/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab' }, '/b/k',
      { authorization: 'AWS4-HMAC-SHA256 Credential=S3RVER/20261205/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=ab' }, '/b/k'],
    ['a SigV4 presigned URL', {}, '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261205%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261205T000000Z',
      {}, '/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=S3RVER%2F20261205%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261205T000000Z'],
    ['a SigV2 Authorization header', { authorization: 'AWS AKIAEXAMPLE:c2lnbmF0dXJl' }, '/b/k', { authorization: 'AWS S3RVER:c2lnbmF0dXJl' }, '/b/k'],
    ['a SigV2 presigned URL', {}, '/b/k?AWSAccessKeyId=AKIAEXAMPLE&Signature=x%3D&Expires=1', {}, '/b/k?AWSAccessKeyId=S3RVER&Signature=x%3D&Expires=1'],
    ['an unsigned request (left alone)', {}, '/b/k?Credential=x&AccessKeyId=y', {}, '/b/k?Credential=x&AccessKeyId=y'],
  ])('names s3rver\'s key in %s', (_, headers, url, wantHeaders, wantUrl) => {
    const req = { headers: { ...headers }, url } as unknown as IncomingMessage;
    asS3rverKey(req);
    expect(req.headers).toEqual(wantHeaders);
    expect(req.url).toBe(wantUrl);
  });

  it('removes its temporary directory on stop and keeps a given one', async () => {
    const temp = await startS3();
    await temp.stop();
    expect(existsSync(temp.directory)).toBe(false);

    const dir = mkdtempSync(join(tmpdir(), 's3-keep-'));
    const kept = await startS3({ directory: dir, buckets: ['b'] });
    await kept.stop();
    expect(existsSync(join(dir, 'b'))).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('client configuration', () => {
  it('gives emulator clients dummy credentials only when the environment has none', async () => {
    const bare = kinesisClient({ endpoint: 'http://127.0.0.1:1', region: 'eu-west-1', env: {} });
    expect(await bare.config.credentials()).toMatchObject(EMULATOR_CREDENTIALS);
    const withEnv = kinesisClient({
      endpoint: 'http://127.0.0.1:1',
      region: 'eu-west-1',
      env: { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' },
    });
    expect(withEnv.config.credentials).not.toBe(bare.config.credentials);
    const s3 = s3Client({ endpoint: 'http://127.0.0.1:1', region: 'eu-west-1', env: {} });
    expect(s3.config.forcePathStyle).toBe(true);
    expect(await s3.config.requestChecksumCalculation()).toBe('WHEN_REQUIRED');
    const aws = s3Client({ region: 'eu-west-1' });
    expect(aws.config.forcePathStyle).toBe(false);
  });
});

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end();
  });
}

/** A signed-looking AWS JSON 1.1 POST, as the SDK sends it, with a body of our choosing. */
function rawPost(endpoint: string, target: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      endpoint,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': target,
          'x-amz-date': '20261125T000000Z',
          authorization: 'AWS4-HMAC-SHA256 Credential=test/20261125/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=00',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
