import { PutRecordsCommand, waitUntilStreamExists, CreateStreamCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { request } from 'node:http';
import { kinesisClient } from '../../../pipeline/clients';
import { startKinesis } from '../../../pipeline/emulators';

const HEADERS = {
  authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesis/aws4_request, SignedHeaders=host, Signature=abc',
  'x-amz-date': '20260101T000000Z',
  'x-amz-target': 'Kinesis_20131202.ListStreams',
};

function post(endpoint: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; type?: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

it('refuses CBOR with an error a CBOR client can decode, saying how to switch to JSON', async () => {
  const kinesis = await startKinesis();
  try {
    // A CBOR map {} is 0xa0.
    const res = await post(kinesis.endpoint, { ...HEADERS, 'content-type': 'application/x-amz-cbor-1.1' }, Buffer.from([0xa0]));
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/x-amz-cbor-1.1');
    // A map of two text strings: __type and message.
    expect(res.body[0]).toBe(0xa2);
    const text = res.body.toString('latin1');
    expect(text).toContain('SerializationException');
    expect(text).toContain('AWS_CBOR_DISABLE=true');
  } finally {
    await kinesis.stop();
  }
});

it('refuses request bodies over 7 MiB with 413, as Kinesis does', async () => {
  const kinesis = await startKinesis();
  try {
    const res = await post(kinesis.endpoint, { ...HEADERS, 'content-type': 'application/x-amz-json-1.1' }, Buffer.alloc(7 * 1024 * 1024 + 1, 0x20));
    expect(res.status).toBe(413);
  } finally {
    await kinesis.stop();
  }
});

it('throttles an SDK client with the per-shard write limits on: failed entries in PutRecords, an exception from PutRecord', async () => {
  const kinesis = await startKinesis({ shardWriteLimits: true });
  const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', maxAttempts: 1 });
  try {
    await client.send(new CreateStreamCommand({ StreamName: 's', ShardCount: 1 }));
    await waitUntilStreamExists({ client, maxWaitTime: 5, minDelay: 0.05 } as never, { StreamName: 's' });
    // 1 MiB/s per shard: five records of 300 KB in one call go over, and so does 900 KB right after.
    const records = Array.from({ length: 5 }, (_, i) => ({ Data: Buffer.alloc(300 * 1024, i), PartitionKey: `k${i}` }));
    const out = await client.send(new PutRecordsCommand({ StreamName: 's', Records: records }));
    expect(out.FailedRecordCount).toBe(2);
    expect(out.Records?.[4]).toMatchObject({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.',
    });
    await expect(client.send(new PutRecordCommand({ StreamName: 's', Data: Buffer.alloc(900 * 1024), PartitionKey: 'k' }))).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
  } finally {
    client.destroy();
    await kinesis.stop();
  }
});
