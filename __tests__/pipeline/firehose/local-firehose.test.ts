import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { gunzipSync } from 'node:zlib';
import { kinesisClient } from '../../../pipeline/clients';
import { startKinesis, type Emulator } from '../../../pipeline/emulators';
import { LocalFirehose, type TransformationHandler } from '../../../pipeline/firehose/firehose';
import type { FirehoseTransformationEvent } from '../../../facts/firehose-transformation';
import { EMULATOR_ACCOUNT_ID } from '../../../facts/emulator';
import { physicalNames } from '../../../facts/names';
import { keyParts, keyPattern, S3_LAYOUT } from '../../../facts/s3-layout';
import type { DeliveryConfig, PipelineConfig, ProcessorConfig } from '../../../pipeline/stack-config';
import { createStream } from '../kinesis-helpers';
import { ERROR_LAYOUT_FIXTURE } from '../../facts/error-layout-fixture';

/** An in-memory S3 whose first `failures` PutObject calls fail, as an endpoint that is down for a while would. */
function fakeS3(failures = 0): { client: S3Client; objects: Map<string, Buffer>; calls: () => number } {
  const objects = new Map<string, Buffer>();
  let calls = 0;
  const client = {
    send: async (cmd: { input: { Key: string; Body: Buffer } }) => {
      calls += 1;
      if (calls <= failures) throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'ECONNREFUSED' });
      objects.set(cmd.input.Key, Buffer.from(cmd.input.Body));
      return {};
    },
  } as unknown as S3Client;
  return { client, objects, calls: () => calls };
}

/** A stand-in parser: lines starting with "bad" fail, empty records are dropped, the rest become JSON. */
const handler: TransformationHandler = async (event: FirehoseTransformationEvent) => ({
  records: event.records.map((r) => {
    const text = Buffer.from(r.data, 'base64').toString().replace(/\n$/, '');
    if (text === '') return { recordId: r.recordId, result: 'Dropped', data: '' };
    if (text.startsWith('bad')) return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
    return { recordId: r.recordId, result: 'Ok', data: Buffer.from(`${JSON.stringify({ line: text })}\n`).toString('base64') };
  }),
});

// The embedded Kinesis is fast alone but shares two cores with every other suite under `npm test`.
jest.setTimeout(30_000);

let kinesis: Emulator;
let client: KinesisClient;
let streamNo = 0;

beforeAll(async () => {
  kinesis = await startKinesis();
  client = kinesisClient({ endpoint: kinesis.endpoint, region: 'ap-northeast-2' });
});
afterAll(async () => {
  client.destroy();
  await kinesis.stop();
});

interface Settings {
  readonly delivery?: Partial<Omit<DeliveryConfig, 'processor'>>;
  readonly processor?: Partial<ProcessorConfig>;
}

/**
 * The pipeline config of the localstack stack with its defaults (what the stack reader returns for it; the reader's
 * own test feeds it the synthesized stack), for a fresh stream, with `settings` changed.
 */
function pipelineConfig(stream: string, shards: number, settings: Settings): PipelineConfig {
  const names = physicalNames();
  const region = 'ap-northeast-2';
  return {
    source: 'local-firehose.test.ts',
    region,
    stream: { name: stream, arn: `arn:aws:kinesis:${region}:${EMULATOR_ACCOUNT_ID}:stream/${stream}`, shardCount: shards, onDemand: false, retentionHours: 24 },
    bucket: names.bucket,
    delivery: {
      name: names.deliveryStream,
      arn: `arn:aws:firehose:${region}:${EMULATOR_ACCOUNT_ID}:deliverystream/${names.deliveryStream}`,
      prefix: 'nginx/',
      errorOutputPrefix: S3_LAYOUT.errorPrefix,
      bufferingSizeMBs: 5,
      bufferingIntervalSeconds: 60,
      compressionFormat: 'UNCOMPRESSED',
      ...settings.delivery,
      processor: {
        lambdaArn: `arn:aws:lambda:${region}:${EMULATOR_ACCOUNT_ID}:function:${names.parserFunction}`,
        bufferSizeMBs: 1,
        bufferIntervalSeconds: 60,
        retries: 3,
        ...settings.processor,
      },
    },
  };
}

/** A fresh stream (named per test) filled with `lines`, and the stack config pointing at it. */
async function setup(lines: string[], settings: Settings = {}, shards = 1) {
  const name = `stream-${++streamNo}`;
  const config = pipelineConfig(name, shards, settings);
  // The embedded Kinesis keeps a new stream CREATING (PutRecords fails) until its timer fires, even at 0 ms: wait for ACTIVE.
  await createStream(client, name, shards);
  for (let i = 0; i < lines.length; i += 500) {
    const out = await client.send(
      new PutRecordsCommand({
        StreamName: name,
        Records: lines.slice(i, i + 500).map((l, j) => ({ Data: Buffer.from(`${l}\n`), PartitionKey: `k${i + j}` })),
      }),
    );
    expect(out.FailedRecordCount ?? 0).toBe(0);
  }
  return config;
}

const mainLines = (objects: Map<string, Buffer>, gz = false): string[] =>
  [...objects].filter(([k]) => k.startsWith('nginx/')).flatMap(([, v]) => (gz ? gunzipSync(v) : v).toString().split('\n').filter(Boolean));
const errorDocs = (objects: Map<string, Buffer>): Record<string, unknown>[] =>
  [...objects].filter(([k]) => k.startsWith('errors/')).flatMap(([, v]) => v.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));

test('routes Ok to the prefix, ProcessingFailed to the error prefix with rawData, drops Dropped', async () => {
  const lines = ['one', 'bad two', '', 'three', 'bad "four"'];
  const config = await setup(lines);
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler });
  await fh.start();
  await fh.drain();
  expect(mainLines(s3.objects)).toEqual(['{"line":"one"}', '{"line":"three"}']);
  const errors = errorDocs(s3.objects);
  expect(errors.map((e) => Buffer.from(e.rawData as string, 'base64').toString())).toEqual(['bad two\n', 'bad "four"\n']);
  expect(errors[0]).toMatchObject({ errorCode: 'Lambda.ProcessingFailedStatus', attemptsMade: 1, lambdaArn: config.delivery.processor!.lambdaArn });
  expect(fh.stats).toMatchObject({ recordsRead: 5, recordsOk: 2, recordsFailed: 2, recordsDropped: 1, objectsWritten: 2 });
  for (const key of s3.objects.keys()) {
    expect(keyPattern(key.startsWith('nginx/') ? 'nginx/' : S3_LAYOUT.errorPrefix, config.delivery.name).test(key)).toBe(true);
  }
});

test('writes failed records under the error layout AWS uses: errors/processing-failed/yyyy/MM/dd/HH/', async () => {
  const config = await setup(['fine', 'bad line']);
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler });
  await fh.start();
  await fh.drain();
  const errorKeys = [...s3.objects.keys()].filter((k) => k.startsWith('errors/'));
  expect(errorKeys).toHaveLength(1);
  // The fixture's key with this delivery stream's name is the shape AWS writes; the local key must match it exactly
  // but for its time and uuid.
  const F = ERROR_LAYOUT_FIXTURE;
  const pattern = keyPattern(config.delivery.errorOutputPrefix, config.delivery.name);
  expect(keyParts(keyPattern(config.delivery.errorOutputPrefix, F.deliveryStreamName), F.key)?.errorOutputType).toBe(F.errorOutputType);
  expect(keyParts(pattern, errorKeys[0]!)).toEqual({ hour: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\d{2}$/), errorOutputType: F.errorOutputType });
  const mask = (k: string): string => k.replace(/\d{4}\/\d{2}\/\d{2}\/\d{2}\/(.+)-\d+-[\d-]{19}-[0-9a-f-]{36}$/, 'TIME/$1-UUID');
  expect(mask(errorKeys[0]!)).toBe(mask(F.key).replace(F.deliveryStreamName, config.delivery.name));
});

test('invokes the Lambda in batches no larger than the processor buffer size', async () => {
  const lines = Array.from({ length: 1200 }, (_, i) => `line ${i} ${"x".repeat(500)}`);
  const config = await setup(lines, { processor: { bufferSizeMBs: 0.2 } });
  const sizes: number[] = [];
  const counting: TransformationHandler = (event: FirehoseTransformationEvent) => {
    sizes.push(event.records.reduce((n, r) => n + Buffer.from(r.data, 'base64').length, 0));
    return handler(event, {});
  };
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler: counting });
  await fh.start();
  await fh.drain();
  expect(sizes.length).toBeGreaterThan(2);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(0.2 * 1024 * 1024);
  expect(mainLines(s3.objects)).toHaveLength(1200);
});

test('writes one object per S3 buffer size hint, named by the oldest record it holds', async () => {
  const lines = Array.from({ length: 2500 }, (_, i) => `line ${i} ${"y".repeat(1000)}`);
  const config = await setup(lines, { delivery: { bufferingSizeMBs: 1 } });
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler });
  await fh.start();
  await fh.drain();
  const sizes = [...s3.objects.values()].map((b) => b.length);
  expect(sizes.length).toBeGreaterThanOrEqual(3);
  expect(Math.max(...sizes)).toBeLessThanOrEqual(1024 * 1024);
  expect(new Set(mainLines(s3.objects))).toEqual(new Set(lines.map((l) => JSON.stringify({ line: l }))));
});

test('gzips objects and names them .gz when the stack says GZIP', async () => {
  const config = await setup(['a', 'b', 'bad c'], { delivery: { compressionFormat: 'GZIP' } });
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler });
  await fh.start();
  await fh.drain();
  expect([...s3.objects.keys()].every((k) => k.endsWith('.gz'))).toBe(true);
  expect(mainLines(s3.objects, true)).toEqual(['{"line":"a"}', '{"line":"b"}']);
  const err = gunzipSync([...s3.objects].find(([k]) => k.startsWith('errors/'))![1]).toString();
  expect(JSON.parse(err).rawData).toBe(Buffer.from('bad c\n').toString('base64'));
});

test('retries failed S3 writes until they succeed: nothing lost', async () => {
  const lines = Array.from({ length: 200 }, (_, i) => `r${i}`);
  const config = await setup(lines);
  const s3 = fakeS3(4);
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler, retry: { baseMillis: 5, maxMillis: 20 } });
  await fh.start();
  await fh.drain();
  expect(fh.stats.s3Retries).toBe(4);
  expect(mainLines(s3.objects)).toHaveLength(200);
});

test('a Lambda that throws is retried NumberOfRetries times, then its records go to the error prefix', async () => {
  const config = await setup(['p', 'q'], { processor: { retries: 2 } });
  let calls = 0;
  const throwing: TransformationHandler = () => {
    calls += 1;
    throw new Error('boom');
  };
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler: throwing });
  await fh.start();
  await fh.drain();
  expect(calls).toBe(3);
  const errors = errorDocs(s3.objects);
  expect(errors).toHaveLength(2);
  expect(errors[0]).toMatchObject({ errorCode: 'Lambda.FunctionError', errorMessage: 'boom', attemptsMade: 3 });
});

test('a response missing a recordId sends that record to the error prefix', async () => {
  const config = await setup(['keep', 'lose']);
  const forgetful: TransformationHandler = async (event: FirehoseTransformationEvent) => {
    const out = (await handler(event, {})) as { records: { recordId: string }[] };
    return { records: out.records.slice(0, 1) };
  };
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler: forgetful });
  await fh.start();
  await fh.drain();
  expect(mainLines(s3.objects)).toEqual(['{"line":"keep"}']);
  expect(errorDocs(s3.objects)[0]).toMatchObject({ errorCode: 'Lambda.MissingRecordId' });
});

test('reads every shard and resumes after its remembered positions', async () => {
  const lines = Array.from({ length: 400 }, (_, i) => `s${i}`);
  const config = await setup(lines, {}, 3);
  const first = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: first.client, handler });
  await fh.start();
  await fh.drain();
  expect(new Set(mainLines(first.objects)).size).toBe(400);
  expect(Object.keys(fh.positions())).toHaveLength(3);

  await client.send(new PutRecordsCommand({ StreamName: config.stream.name, Records: [{ Data: Buffer.from('late\n'), PartitionKey: 'z' }] }));
  const second = fakeS3();
  const again = new LocalFirehose({ config, kinesis: client, s3: second.client, handler, positions: fh.positions() });
  await again.start();
  await again.drain();
  expect(mainLines(second.objects)).toEqual(['{"line":"late"}']);
});

test('flushes a partial buffer when its interval has passed, without stopping', async () => {
  const config = await setup(['early'], { processor: { bufferIntervalSeconds: 0 }, delivery: { bufferingIntervalSeconds: 0 } });
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler, pollIntervalMs: 20 });
  await fh.start();
  const deadline = Date.now() + 10_000;
  while (s3.objects.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(mainLines(s3.objects)).toEqual(['{"line":"early"}']);
  await fh.stop();
});

test('drain reads again at once instead of waiting out the poll interval, and delivers what came in meanwhile', async () => {
  const config = await setup(['one']);
  const s3 = fakeS3();
  const fh = new LocalFirehose({ config, kinesis: client, s3: s3.client, handler, pollIntervalMs: 60_000 });
  await fh.start();
  // The reader has read 'one', found the shard empty and is waiting out its minute; a line arrives meanwhile.
  await new Promise((r) => setTimeout(r, 300));
  const out = await client.send(
    new PutRecordsCommand({ StreamName: config.stream.name, Records: [{ Data: Buffer.from('two\n'), PartitionKey: 'k' }] }),
  );
  expect(out.FailedRecordCount ?? 0).toBe(0);
  const started = Date.now();
  await fh.drain();
  expect(Date.now() - started).toBeLessThan(10_000);
  expect(mainLines(s3.objects)).toEqual(['{"line":"one"}', '{"line":"two"}']);
});
