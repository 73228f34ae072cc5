/**
 * End to end through `npm start`'s machinery: generated nginx lines (5% hostile) → shipper → embedded Kinesis → local
 * Firehose → the bundled parser Lambda → s3rver, read back and compared line by line with the input.
 *
 * Needs `npm run synth` first (the synthesized localstack stack and dist/nginx-parser/index.js): `npm run test:e2e`
 * does that.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKinesis, startS3, type S3Emulator } from '../../pipeline/emulators';
import { startFaultProxy } from '../support/fault-proxy';
import { keyPattern, listingPrefix } from '../../facts/s3-layout';
import { readStackConfig, type PipelineConfig } from '../../pipeline/stack-config';
import { difference, expectedOutputs, expectExactlyOnce, root, runAndCheck as run } from './pipeline-helpers';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../pipeline/clients';

jest.setTimeout(180_000);

let dir: string;
let config: PipelineConfig;
const runAndCheck = (...args: Parameters<typeof run> extends [string, ...infer R] ? R : never) => run(dir, ...args);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-pipeline-'));
  config = readStackConfig({ projectDir: root });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('50k lines, 5% hostile: every line lands exactly once under the prefix or as an error record', async () => {
  const lambdaLog: string[] = [];
  const r = await runAndCheck('plain', 50_000, config, { onLambdaLog: (line) => lambdaLog.push(line) });
  expectExactlyOnce(r);
  // The parser's console lines come back from the Firehose's thread: it reports every batch with failed records.
  expect(lambdaLog.length).toBeGreaterThan(0);
  expect(lambdaLog.every((l) => /^nginx-parser: \d+\/\d+ records ProcessingFailed/.test(l))).toBe(true);
  const main = keyPattern(config.delivery.prefix, config.delivery.name);
  const errors = keyPattern(config.delivery.errorOutputPrefix, config.delivery.name);
  for (const key of r.summary.keys) expect(main.test(key) || errors.test(key)).toBe(true);
  expect(r.summary.keys.some((k) => errors.test(k) && k.startsWith(listingPrefix(config.delivery.errorOutputPrefix)))).toBe(true);
});

test('the gzip variant: .gz objects, same lines', async () => {
  const gz: PipelineConfig = { ...config, delivery: { ...config.delivery, compressionFormat: 'GZIP' } };
  const r = await runAndCheck('gzip', 20_000, gz);
  expectExactlyOnce(r);
  expect(r.summary.keys.length).toBeGreaterThan(0);
  expect(r.summary.keys.every((k) => k.endsWith('.gz'))).toBe(true);
});

test('the Firehose on the shipper\'s thread (firehoseThread: false) delivers the same', async () => {
  const r = await runAndCheck('one-thread', 10_000, config, { firehoseThread: false });
  expectExactlyOnce(r);
});

test('an S3 endpoint that goes away and comes back mid-run: writes are retried, nothing is lost', async () => {
  const small: PipelineConfig = { ...config, delivery: { ...config.delivery, bufferingSizeMBs: 1 } };
  const data = join(dir, 's3-data');
  let s3: S3Emulator = await startS3({ directory: data });
  const port = s3.port;
  const warnings: string[] = [];
  let outage: Promise<void> | undefined;
  let s3Retries = 0;
  try {
    const r = await runAndCheck('s3-restart', 20_000, small, {
      s3Endpoint: s3.endpoint,
      progressIntervalMs: 20,
      onProgress: (p) => {
        s3Retries = p.firehose.s3Retries;
        // A quarter into shipping, most objects are still to be written. S3 stays away until the Firehose has met the
        // outage (a retried write), so the test never depends on how fast the machine is; 30 s at most.
        if (outage || p.shipper.linesShipped < 5_000) return;
        outage = (async () => {
          await s3.stop();
          const deadline = Date.now() + 30_000;
          while (s3Retries === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
          s3 = await startS3({ port, directory: data });
        })();
      },
      onWarning: (m) => warnings.push(m),
    });
    await outage;
    expect(outage).toBeDefined();
    expect(r.summary.s3Retries).toBeGreaterThan(0);
    // Warnings from the Firehose's thread reach the caller.
    expect(warnings.some((w) => /PutObject|S3|retry/i.test(w))).toBe(true);
    expectExactlyOnce(r);
  } finally {
    await outage?.catch(() => undefined);
    await s3.stop();
  }
});

test('a Kinesis endpoint that fails calls, fails entries and restarts mid-run: retried, nothing lost', async () => {
  const kinesis = await startKinesis();
  const proxy = await startFaultProxy(kinesis.endpoint);
  // Every 5th PutRecords call has a tenth of its entries rejected, as a throttled shard does.
  proxy.failEntries((entry, call) => call % 5 === 0 && entry.index % 10 === 0);
  let outage: Promise<void> | undefined;
  try {
    const r = await runAndCheck('kinesis-faults', 20_000, config, {
      // One line per record: hundreds of PutRecords calls for the faults to land in (aggregated, 20,000 lines are a
      // few calls; aggregated shipping through faults is covered by the shipper and agent suites).
      oneLinePerRecord: true,
      kinesisEndpoint: proxy.endpoint,
      progressIntervalMs: 20,
      onProgress: (p) => {
        if (outage || p.shipper.linesShipped < 5_000) return;
        outage = (async () => {
          proxy.failNext(3);
          await new Promise((res) => setTimeout(res, 200));
          await proxy.down();
          await new Promise((res) => setTimeout(res, 1_500));
          await proxy.up();
        })();
      },
      onWarning: () => undefined,
    });
    await outage;
    expect(outage).toBeDefined();
    expect(proxy.counters.failedEntries).toBeGreaterThan(0);
    expect(r.summary.kinesisRetries).toBeGreaterThan(0);
    expect(r.got.report.problems).toEqual([]);

    // A PutRecords whose response is lost when the endpoint drops the connection was stored anyway; the shipper
    // cannot know and sends it again (at-least-once, as the Kinesis Agent and every Kinesis producer). So: every
    // input line is in the stream at least once, and the Firehose delivers exactly what the stream holds, once.
    const stream = await streamLines(kinesis.endpoint);
    const inStream = new Map<string, number>();
    for (const l of stream) inStream.set(l, (inStream.get(l) ?? 0) + 1);
    const inInput = new Map<string, number>();
    for (const l of r.inputLines) inInput.set(l, (inInput.get(l) ?? 0) + 1);
    const lost = [...inInput].filter(([l, n]) => (inStream.get(l) ?? 0) < n).map(([l]) => l);
    expect(lost).toEqual([]);
    const want = await expectedOutputs(stream, config);
    expect(difference(want.ok, r.got.ok)).toEqual({ missing: [], extra: [] });
    expect(difference(want.failed, r.got.failed)).toEqual({ missing: [], extra: [] });
  } finally {
    await outage?.catch(() => undefined);
    await proxy.stop();
    await kinesis.stop();
  }
});

/** Every record in the stream's shards (read straight from the emulator), as lines without their "\n". */
async function streamLines(endpoint: string): Promise<string[]> {
  const client = kinesisClient({ endpoint, region: config.region });
  try {
    const shards = (await client.send(new ListShardsCommand({ StreamName: config.stream.name }))).Shards ?? [];
    const lines: string[] = [];
    for (const shard of shards) {
      let iterator = (
        await client.send(new GetShardIteratorCommand({ StreamName: config.stream.name, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))
      ).ShardIterator;
      for (;;) {
        const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
        if (!out.Records?.length) break;
        for (const rec of out.Records) lines.push(Buffer.from(rec.Data!).toString('utf8').replace(/\n$/, ''));
        iterator = out.NextShardIterator;
      }
    }
    return lines;
  } finally {
    client.destroy();
  }
}
