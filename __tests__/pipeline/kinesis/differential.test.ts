/**
 * Our embedded Kinesis against stock kinesalite: the same raw requests to both servers get the same status and body,
 * once the values that depend on time (sequence numbers, iterators, timestamps) are masked. kinesalite is a dev
 * dependency for this comparison only.
 */
import fc from 'fast-check';
import type { Server } from 'node:http';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import kinesalite = require('kinesalite');
import { startKinesis, type Emulator } from '../../../pipeline/emulators';
import { createShardIterator } from '../../../pipeline/kinesis/iterator';

const REGION = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
const AUTH = `AWS4-HMAC-SHA256 Credential=AKID/20260101/${REGION}/kinesis/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;
const SIGNED = { authorization: AUTH, 'x-amz-date': '20260101T000000Z', 'content-type': 'application/x-amz-json-1.1' };

interface Answer {
  status: number;
  body: string;
}

function post(endpoint: string, headers: Record<string, string>, body: string, method = 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Values that depend on when a request ran, replaced by their kind. */
function masked(body: string): unknown {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return body;
  }
  return JSON.parse(JSON.stringify(data), (key, value: unknown) => {
    if (/SequenceNumber$/.test(key) && typeof value === 'string') return 'SEQ';
    if (/ShardIterator$/.test(key) && typeof value === 'string') return 'ITERATOR';
    if (['StreamCreationTimestamp', 'ApproximateArrivalTimestamp'].includes(key)) return 'TIME';
    if (typeof value === 'string') return value.replace(/while right now it is .* UTC \d{4}/, 'while right now it is NOW');
    return value;
  });
}

let ours: Emulator;
let stock: Server;
let stockEndpoint: string;

// The account's shard limit on both servers: well above every shard the suite creates (the property alone may create
// 60), so only the LimitExceededException case reaches it.
const SHARD_LIMIT = 500;

// Streams become ACTIVE on both servers' timers, which a loaded machine delays (createStream waits up to 20 s).
jest.setTimeout(30_000);

beforeAll(async () => {
  ours = await startKinesis({ shardLimit: SHARD_LIMIT });
  stock = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: SHARD_LIMIT });
  await new Promise<void>((resolve) => stock.listen(0, '127.0.0.1', resolve));
  stockEndpoint = `http://127.0.0.1:${(stock.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await ours.stop();
  await new Promise((resolve) => stock.close(resolve));
});

/** Sends the same request to both; returns both answers. */
async function both(operation: string | undefined, data: unknown, headers: Record<string, string> = SIGNED, method = 'POST'): Promise<[Answer, Answer]> {
  const h = { ...headers, ...(operation === undefined ? {} : { 'x-amz-target': `Kinesis_20131202.${operation}` }) };
  const body = typeof data === 'string' ? data : JSON.stringify(data);
  return [await post(ours.endpoint, h, body, method), await post(stockEndpoint, h, body, method)];
}

/** The same answer from both, masked; returns ours, parsed. */
async function same(operation: string | undefined, data: unknown, headers?: Record<string, string>, method?: string): Promise<Record<string, unknown>> {
  const [mine, theirs] = await both(operation, data, headers, method);
  expect({ status: mine.status, body: masked(mine.body) }).toEqual({ status: theirs.status, body: masked(theirs.body) });
  try {
    return JSON.parse(mine.body) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** Creates a stream on both and waits until both say ACTIVE. */
async function createStream(name: string, shards: number): Promise<void> {
  const created = await same('CreateStream', { StreamName: name, ShardCount: shards });
  if ('__type' in created) throw new Error(`both servers refused to create stream ${name}: ${JSON.stringify(created)}`);
  // A deadline in time, not in polls: on a loaded machine (CI's other jobs) 200 quick polls can pass in a blink of
  // the timers both servers wait on.
  const deadline = Date.now() + 20_000;
  for (;;) {
    const [a, b] = await both('DescribeStreamSummary', { StreamName: name });
    if (a.body.includes('"ACTIVE"') && b.body.includes('"ACTIVE"')) return;
    if (Date.now() > deadline) throw new Error(`stream ${name} did not become ACTIVE: ${a.body} / ${b.body}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const unique = (() => {
  let n = 0;
  return (prefix: string) => `${prefix}-${++n}`;
})();

describe('answers the requests the pipeline, the shipper and the AWS CLI send as kinesalite does', () => {
  it('creates, describes, lists and deletes streams', async () => {
    const name = unique('meta');
    await createStream(name, 3);
    await createStream(`${name}-b`, 1);
    await same('DescribeStream', { StreamName: name });
    await same('DescribeStreamSummary', { StreamName: name });
    await same('ListShards', { StreamName: name });
    await same('ListShards', { StreamName: name, ExclusiveStartShardId: 'shardId-000000000000' });
    await same('ListStreams', {});
    await same('ListStreams', { Limit: 1, ExclusiveStartStreamName: name });
    await same('IncreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: 48 });
    await same('DecreaseStreamRetentionPeriod', { StreamName: name, RetentionPeriodHours: 24 });
    await same('DeleteStream', { StreamName: `${name}-b` });
  });

  it('keeps a new stream CREATING, with no shards and refusing writes, until its timer fires', async () => {
    const slow = await startKinesis({ createStreamMs: 150 });
    const call = async (op: string, data: object): Promise<Answer> =>
      post(slow.endpoint, { ...SIGNED, 'x-amz-target': `Kinesis_20131202.${op}` }, JSON.stringify(data));
    try {
      expect((await call('CreateStream', { StreamName: 's', ShardCount: 2 })).status).toBe(200);
      expect(JSON.parse((await call('DescribeStream', { StreamName: 's' })).body)).toMatchObject({ StreamDescription: { StreamStatus: 'CREATING', Shards: [] } });
      expect(JSON.parse((await call('PutRecord', { StreamName: 's', PartitionKey: 'k', Data: 'AAAA' })).body)).toMatchObject({ __type: 'ResourceNotFoundException' });
      await new Promise((r) => setTimeout(r, 200));
      expect(JSON.parse((await call('DescribeStreamSummary', { StreamName: 's' })).body)).toMatchObject({ StreamDescriptionSummary: { StreamStatus: 'ACTIVE', OpenShardCount: 2 } });
    } finally {
      await slow.stop();
    }
  });

  it('puts records and reads every shard back page by page, for any keys and limits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 20 }), data: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 120 }),
        fc.array(fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }), { minLength: 1, maxLength: 5 }),
        async (shards, records, limits) => {
          const name = unique('rw');
          await createStream(name, shards);
          for (let i = 0; i < records.length; i += 500) {
            const entries = records.slice(i, i + 500).map((r) => ({ PartitionKey: r.key, Data: Buffer.from(r.data).toString('base64') }));
            if (entries.length) await same('PutRecords', { StreamName: name, Records: entries });
          }
          if (records[0]) await same('PutRecord', { StreamName: name, PartitionKey: records[0].key, Data: 'AAAA' });
          for (let shard = 0; shard < shards; shard++) {
            const start = { StreamName: name, ShardId: `shardId-${String(shard).padStart(12, '0')}`, ShardIteratorType: 'TRIM_HORIZON' };
            const [a, b] = await both('GetShardIterator', start);
            let iterators = [JSON.parse(a.body).ShardIterator as string, JSON.parse(b.body).ShardIterator as string];
            for (const limit of limits) {
              const answers = await Promise.all(
                [ours.endpoint, stockEndpoint].map((endpoint, i) =>
                  post(endpoint, { ...SIGNED, 'x-amz-target': 'Kinesis_20131202.GetRecords' }, JSON.stringify({ ShardIterator: iterators[i], Limit: limit })),
                ),
              );
              const [mine, theirs] = answers.map((x) => JSON.parse(x.body) as { Records: unknown[]; NextShardIterator: string; MillisBehindLatest: number });
              expect(masked(JSON.stringify(mine!.Records))).toEqual(masked(JSON.stringify(theirs!.Records)));
              // kinesalite always says 0; ours says how far behind the newest record the reader is, 0 when caught up.
              if (mine!.Records.length === 0) expect(mine!.MillisBehindLatest).toBe(0);
              iterators = [mine!.NextShardIterator, theirs!.NextShardIterator];
            }
          }
        },
      ),
      { numRuns: 15 },
    );
  });

  it('gives iterators of every type that read the same records', async () => {
    const name = unique('types');
    await createStream(name, 1);
    const put = await same('PutRecords', { StreamName: name, Records: [1, 2, 3].map((i) => ({ PartitionKey: `k${i}`, Data: Buffer.from(`r${i}`).toString('base64') })) });
    const seqOurs = (put.Records as { SequenceNumber: string }[]).map((r) => r.SequenceNumber);
    const [, theirsPut] = await both('DescribeStream', { StreamName: name });
    expect(theirsPut.status).toBe(200);
    const read = async (endpoint: string, params: object): Promise<string[]> => {
      const it = JSON.parse((await post(endpoint, { ...SIGNED, 'x-amz-target': 'Kinesis_20131202.GetShardIterator' }, JSON.stringify({ StreamName: name, ShardId: 'shardId-000000000000', ...params }))).body);
      const out = JSON.parse((await post(endpoint, { ...SIGNED, 'x-amz-target': 'Kinesis_20131202.GetRecords' }, JSON.stringify({ ShardIterator: it.ShardIterator }))).body);
      return (out.Records as { Data: string }[]).map((r) => Buffer.from(r.Data, 'base64').toString());
    };
    expect(await read(ours.endpoint, { ShardIteratorType: 'TRIM_HORIZON' })).toEqual(['r1', 'r2', 'r3']);
    expect(await read(ours.endpoint, { ShardIteratorType: 'LATEST' })).toEqual([]);
    expect(await read(ours.endpoint, { ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: seqOurs[1] })).toEqual(['r2', 'r3']);
    expect(await read(ours.endpoint, { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: seqOurs[1] })).toEqual(['r3']);
    expect(await read(ours.endpoint, { ShardIteratorType: 'AT_TIMESTAMP', Timestamp: Date.now() / 1000 - 60 })).toEqual(['r1', 'r2', 'r3']);
    expect(await read(stockEndpoint, { ShardIteratorType: 'TRIM_HORIZON' })).toEqual(['r1', 'r2', 'r3']);
    expect(await read(stockEndpoint, { ShardIteratorType: 'LATEST' })).toEqual([]);
  });
});

describe('answers bad requests as kinesalite does, one kind at a time', () => {
  const stream = 'errors';
  beforeAll(async () => {
    await createStream(stream, 2);
  });

  it('AccessDeniedException for a method other than POST, or no target without a JSON content type', async () => {
    await same('ListStreams', '{}', SIGNED, 'GET');
    await same(undefined, '{}', { authorization: AUTH });
  });

  it('UnknownOperationException for an unknown target, with or without a body', async () => {
    await same('NoSuchOperation', {});
    await same('NoSuchOperation', '');
    await same('ListStreams', '{}', { ...SIGNED, 'content-type': 'text/plain' });
    await same('ListStreams', '{}', { ...SIGNED, 'content-type': 'application/json' });
  });

  it('SerializationException for no body, a body that is not a JSON object, and members of the wrong type', async () => {
    await same('ListStreams', '');
    await same('ListStreams', 'not json');
    await same('ListStreams', '42');
    await same('ListStreams', 'nope', { ...SIGNED, 'content-type': 'application/json' });
    await same('ListStreams', { Limit: 'ten' });
    await same('ListStreams', { Limit: true });
    await same('CreateStream', { StreamName: 5, ShardCount: 1 });
    await same('CreateStream', { StreamName: ['a'], ShardCount: 1 });
    await same('PutRecords', { StreamName: stream, Records: {} });
    await same('PutRecords', { StreamName: stream, Records: 'x' });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: 'abc' });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: 'ab$=' });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: 'AB==' });
    for (const Data of ['A===', 'AA=A', '====', 'AAA=', 'AAB=']) await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: 12 });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-0', ShardIteratorType: 'LATEST', Timestamp: 'yesterday' });
  });

  it('MissingAuthenticationTokenException, IncompleteSignatureException and InvalidSignatureException for unsigned requests', async () => {
    const json = { 'content-type': 'application/x-amz-json-1.1' };
    await same('ListStreams', {}, json);
    await same('ListStreams', {}, { ...json, authorization: 'AWS4-HMAC-SHA256 Credential=a' });
    await same('ListStreams', {}, { ...json, authorization: AUTH });
    const [mine, theirs] = await Promise.all(
      [ours.endpoint, stockEndpoint].map((e) => postTo(`${e}/?X-Amz-Algorithm=AWS4-HMAC-SHA256`, { ...SIGNED, 'x-amz-target': 'Kinesis_20131202.ListStreams' })),
    );
    expect(mine).toEqual(theirs);
    expect(mine!.body).toContain('InvalidSignatureException');
  });

  it('ValidationException with every violated constraint, in the service\'s words', async () => {
    await same('CreateStream', {});
    await same('CreateStream', { StreamName: 'bad name!', ShardCount: 0 });
    await same('CreateStream', { StreamName: 'x'.repeat(129), ShardCount: 100_001 });
    await same('ListStreams', { Limit: 0 });
    await same('GetRecords', { ShardIterator: 'AAAA', Limit: 10_001 });
    await same('GetRecords', { ShardIterator: '' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-0', ShardIteratorType: 'SOMEWHERE' });
    await same('PutRecord', { StreamName: stream, PartitionKey: '', Data: 'AAAA', ExplicitHashKey: '01' });
    await same('PutRecords', { StreamName: stream, Records: [] });
    await same('PutRecords', { StreamName: stream, Records: Array.from({ length: 501 }, () => ({ PartitionKey: 'k', Data: 'AAAA' })) });
    await same('PutRecords', { StreamName: stream, Records: [{ Data: 'AAAA' }, { PartitionKey: 'k'.repeat(257), Data: 'AAAA' }] });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: Buffer.alloc(1024 * 1024 + 1).toString('base64') });
    await same('IncreaseStreamRetentionPeriod', { StreamName: stream, RetentionPeriodHours: 169 });
  });

  it('ResourceNotFoundException for streams and shards that do not exist', async () => {
    await same('DescribeStream', { StreamName: 'missing' });
    await same('DescribeStreamSummary', { StreamName: 'missing' });
    await same('DeleteStream', { StreamName: 'missing' });
    await same('PutRecords', { StreamName: 'missing', Records: [{ PartitionKey: 'k', Data: 'AAAA' }] });
    await same('PutRecord', { StreamName: 'missing', PartitionKey: 'k', Data: 'AAAA' });
    await same('ListShards', { StreamName: 'missing' });
    await same('GetShardIterator', { StreamName: 'missing', ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-000000000007', ShardIteratorType: 'TRIM_HORIZON' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shard-x', ShardIteratorType: 'TRIM_HORIZON' });
    // Both emulators encrypt iterators with the same key and layout: an iterator for a missing stream decodes in both.
    const now = Date.now();
    await same('GetRecords', { ShardIterator: createShardIterator('missing', 'shardId-000000000000', '49590338271490256608559692538361571095921575989136588898', 0, now) });
  });

  it('ResourceInUseException for a stream that exists', async () => {
    await same('CreateStream', { StreamName: stream, ShardCount: 1 });
  });

  it('LimitExceededException beyond the account\'s shard limit', async () => {
    await same('CreateStream', { StreamName: 'too-big', ShardCount: SHARD_LIMIT - 1 });
  });

  it('InvalidArgumentException for arguments that contradict each other or the stream', async () => {
    await same('ListShards', {});
    await same('ListShards', { StreamName: stream, NextToken: 'abc' });
    await same('GetRecords', { ShardIterator: 'AAAA' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON', StartingSequenceNumber: '1' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: '12345' });
    await same('GetShardIterator', { StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'AT_TIMESTAMP' });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: 'AAAA', ExplicitHashKey: (2n ** 128n).toString() });
    await same('PutRecords', { StreamName: stream, Records: [{ PartitionKey: 'k', Data: 'AAAA', ExplicitHashKey: (2n ** 128n).toString() }] });
    await same('PutRecord', { StreamName: stream, PartitionKey: 'k', Data: 'AAAA', SequenceNumberForOrdering: '1' });
    await same('IncreaseStreamRetentionPeriod', { StreamName: stream, RetentionPeriodHours: 12 });
    await same('DecreaseStreamRetentionPeriod', { StreamName: stream, RetentionPeriodHours: 48 });
  });

  it('ExpiredIteratorException for an iterator older than five minutes', async () => {
    const old = createShardIterator(stream, 'shardId-000000000000', '49590338271490256608559692538361571095921575989136588898', 0, Date.now() - 301_000);
    await same('GetRecords', { ShardIterator: old });
  });
});

function postTo(url: string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}
