import type { PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backoffMillis } from '../../../facts/retry';
import { kinesisClient } from '../../../pipeline/clients';
import { readCheckpoint } from '../../../pipeline/agent/checkpoint';
import { startFaultProxy } from '../../support/fault-proxy';
import {
  isRetryable,
  MAX_BYTES_PER_CALL,
  MAX_RECORD_BYTES,
  PARTITION_KEY_LENGTH,
  Shipper,
} from '../../../pipeline/agent/shipper';
import { createStream, kinesisFixture, linesOf, readStream, sorted, type KinesisFixture } from '../kinesis-helpers';

let fx: KinesisFixture;
beforeEach(async () => {
  fx = await kinesisFixture();
  await createStream(fx.client, 'logs', 2);
});
afterEach(() => fx.close());

function logText(count: number, tag = 'l'): string {
  let text = '';
  for (let i = 0; i < count; i++) text += `10.0.0.${i % 250} - - [25/Nov/2026:05:00:00 +0000] "GET /${tag}/${i} HTTP/1.1" 200 ${i} "-" "jest" "-"\n`;
  return text;
}

/** Records the size of every PutRecords call the client makes. */
function recordCalls(client: KinesisFixture['client']): { records: number; bytes: number }[] {
  const calls: { records: number; bytes: number }[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as PutRecordsCommandInput;
      if (input.Records) {
        calls.push({
          records: input.Records.length,
          bytes: input.Records.reduce((n, r) => n + (r.Data?.length ?? 0) + Buffer.byteLength(r.PartitionKey ?? ''), 0),
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  return calls;
}

describe('Shipper, whole file', () => {
  it('ships every line exactly once with its "\\n" and random partition keys, the last unterminated line too', async () => {
    const file = join(fx.dir, 'access.log');
    const text = logText(1234) + 'last line without newline';
    writeFileSync(file, text);
    const summary = await new Shipper({ client: fx.client, streamName: 'logs', file }).run();

    const { data, keys } = await readStream(fx.client, 'logs');
    expect(sorted(data.map(String))).toEqual(sorted([...linesOf(logText(1234)), 'last line without newline\n']));
    expect(new Set(keys).size).toBe(1235);
    expect(keys.every((k) => k.length === PARTITION_KEY_LENGTH)).toBe(true);
    expect(summary).toMatchObject({ linesRead: 1235, recordsShipped: 1235, batchesShipped: 3, retries: 0 });
    expect(summary.bytesShipped).toBe(Buffer.byteLength(text) + 1);
  });

  it('keeps every call within 500 records and 5 MiB including partition keys', async () => {
    const file = join(fx.dir, 'big.log');
    const calls = recordCalls(fx.client);
    // 1,000 short lines, then 8 lines of 700 KiB: record count bounds the first calls, bytes bound the last.
    writeFileSync(file, logText(1000) + ('x'.repeat(700 * 1024 - 1) + '\n').repeat(8));
    const summary = await new Shipper({ client: fx.client, streamName: 'logs', file }).run();

    expect(summary.recordsShipped).toBe(1008);
    expect(calls.map((c) => c.records).slice(0, 2)).toEqual([500, 500]);
    expect(Math.max(...calls.map((c) => c.records))).toBeLessThanOrEqual(500);
    expect(Math.max(...calls.map((c) => c.bytes))).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
    expect(calls.reduce((n, c) => n + c.records, 0)).toBe(1008);
    // 7 records of 700 KiB fit 5 MiB; 8 would not.
    expect(calls.some((c) => c.records === 7)).toBe(true);
  });

  it('truncates a line longer than a record to 1 MiB with key, ends it with "\\n", counts it and stays valid UTF-8', async () => {
    const file = join(fx.dir, 'long.log');
    const long = 'é'.repeat(800 * 1024) + '\n'; // 1.6 MB of two-byte characters
    writeFileSync(file, 'before\n' + long + 'after\n');
    const shipper = new Shipper({ client: fx.client, streamName: 'logs', file });
    const truncations: unknown[] = [];
    shipper.on('truncated', (t) => truncations.push(t));
    const summary = await shipper.run();

    const { data } = await readStream(fx.client, 'logs');
    const cut = data.find((d) => d.length > 100)!;
    expect(cut.length + PARTITION_KEY_LENGTH).toBeLessThanOrEqual(MAX_RECORD_BYTES);
    expect(cut.length + PARTITION_KEY_LENGTH).toBeGreaterThan(MAX_RECORD_BYTES - 4);
    expect(cut.at(-1)).toBe(10);
    expect(cut.toString('utf8')).toBe('é'.repeat((cut.length - 1) / 2) + '\n');
    expect(sorted(data.filter((d) => d.length < 100).map(String))).toEqual(['after\n', 'before\n']);
    expect(summary).toMatchObject({ linesRead: 3, recordsShipped: 3, linesTruncated: 1 });
    expect(summary.bytesTruncated).toBe(Buffer.byteLength(long) - cut.length);
    expect(truncations).toEqual([
      expect.objectContaining({ path: file, endOffset: 7 + Buffer.byteLength(long), keptBytes: cut.length }),
    ]);
  });

  it('fails clearly, without retrying, when the stream does not exist', async () => {
    const file = join(fx.dir, 'a.log');
    writeFileSync(file, 'x\n');
    await expect(new Shipper({ client: fx.client, streamName: 'missing', file }).run()).rejects.toThrow(
      /stream "missing" does not exist/,
    );
  });
});

describe('Shipper, faults through a proxy (real SDK, real wire protocol)', () => {
  it('re-sends only the failed entries of a partially failed PutRecords call', async () => {
    const proxy = await startFaultProxy(fx.kinesis.endpoint);
    const client = kinesisClient({ endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 1 });
    const calls = recordCalls(client);
    try {
      const file = join(fx.dir, 'access.log');
      writeFileSync(file, logText(1000));
      // Every third entry of the first three calls is throttled.
      proxy.failEntries(({ index }, call) => call <= 3 && index % 3 === 0);
      const summary = await new Shipper({
        client,
        streamName: 'logs',
        file,
        maxInFlightBatches: 1,
        retryBaseMillis: 1,
      }).run();

      const { data } = await readStream(fx.client, 'logs');
      expect(sorted(data.map(String))).toEqual(sorted(linesOf(logText(1000))));
      expect(proxy.counters.failedEntries).toBe(167 + 56 + 19);
      expect(summary).toMatchObject({ recordsShipped: 1000, failedEntries: 167 + 56 + 19, retries: 3 });
      // The re-sends carry only the failed entries.
      expect(calls.map((c) => c.records)).toEqual([500, 167, 56, 19, 500]);
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('with batches in flight together, a retried first batch holds the checkpoint back until it succeeds', async () => {
    const proxy = await startFaultProxy(fx.kinesis.endpoint);
    const client = kinesisClient({ endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 1 });
    try {
      const file = join(fx.dir, 'access.log');
      const text = logText(3000);
      writeFileSync(file, text);
      proxy.failNext(2, { status: 500, code: 'InternalFailure' });
      const shipper = new Shipper({ client, streamName: 'logs', file, maxInFlightBatches: 3, retryBaseMillis: 40 });
      const offsets: number[] = [];
      shipper.on('checkpoint', (c) => offsets.push(c.offset));
      const summary = await shipper.run();

      expect(summary).toMatchObject({ recordsShipped: 3000, failedCalls: 2 });
      expect(offsets.at(-1)).toBe(Buffer.byteLength(text));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      const { data } = await readStream(fx.client, 'logs');
      expect(sorted(data.map(String))).toEqual(sorted(linesOf(text)));
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('retries throttled, 5xx and reset calls with backoff and loses nothing', async () => {
    const proxy = await startFaultProxy(fx.kinesis.endpoint);
    const client = kinesisClient({ endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 1 });
    try {
      const file = join(fx.dir, 'access.log');
      writeFileSync(file, logText(1500));
      proxy.failNext(2, { status: 400, code: 'ProvisionedThroughputExceededException' });
      const shipper = new Shipper({ client, streamName: 'logs', file, maxInFlightBatches: 1, retryBaseMillis: 1 });
      const reasons: string[] = [];
      shipper.on('retry', (r) => {
        reasons.push(r.reason);
        if (reasons.length === 2) proxy.failNext(1, { status: 503, code: 'ServiceUnavailable' });
        if (reasons.length === 3) proxy.resetNext(1);
      });
      const summary = await shipper.run();

      const { data } = await readStream(fx.client, 'logs');
      expect(sorted(data.map(String))).toEqual(sorted(linesOf(logText(1500))));
      expect(reasons.slice(0, 3)).toEqual([
        'ProvisionedThroughputExceededException',
        'ProvisionedThroughputExceededException',
        'ServiceUnavailable',
      ]);
      expect(reasons).toHaveLength(4);
      expect(summary).toMatchObject({ recordsShipped: 1500, failedCalls: 4, retries: 4 });
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });
});

describe('Shipper, checkpoint', () => {
  it('stopped mid-file and restarted: no line lost, none duplicated', async () => {
    const file = join(fx.dir, 'access.log');
    const checkpointFile = join(fx.dir, 'state', 'checkpoint.json');
    writeFileSync(file, logText(2500));
    const first = new Shipper({ client: fx.client, streamName: 'logs', file, checkpointFile, maxBufferSizeRecords: 100 });
    first.on('progress', (s) => {
      if (s.recordsShipped >= 1000) first.stop();
    });
    const part = await first.run();
    expect(part.recordsShipped).toBeGreaterThanOrEqual(1000);
    expect(part.recordsShipped).toBeLessThan(2500);
    expect(readCheckpoint(checkpointFile)?.offset).toBe(part.checkpoint?.offset);

    appendFileSync(file, logText(10, 'appended'));
    const rest = await new Shipper({ client: fx.client, streamName: 'logs', file, checkpointFile }).run();

    expect(part.recordsShipped + rest.recordsShipped).toBe(2510);
    const { data } = await readStream(fx.client, 'logs');
    expect(sorted(data.map(String))).toEqual(sorted(linesOf(logText(2500) + logText(10, 'appended'))));
  });

  it('stops with the error when acknowledging fails (checkpoint write or a listener), not running on without a position', async () => {
    const file = join(fx.dir, 'access.log');
    writeFileSync(file, logText(2000));
    const checkpointFile = join(fx.dir, 'checkpoint.json');
    const shipper = new Shipper({ client: fx.client, streamName: 'logs', file, checkpointFile, maxBufferSizeRecords: 100 });
    shipper.on('checkpoint', () => {
      throw new Error('disk full');
    });
    await expect(shipper.run()).rejects.toThrow('disk full');
    expect(shipper.stats.recordsShipped).toBeLessThan(2000);
    expect(readCheckpoint(checkpointFile)?.offset).toBeGreaterThan(0);
  });

  it('refuses a checkpoint path it cannot read', async () => {
    const file = join(fx.dir, 'access.log');
    writeFileSync(file, logText(1));
    const shipper = new Shipper({ client: fx.client, streamName: 'logs', file, checkpointFile: join(file, 'checkpoint.json') });
    await expect(shipper.run()).rejects.toThrow(/ENOTDIR/);
  });

  it('starts over when the checkpoint belongs to another file', async () => {
    const file = join(fx.dir, 'access.log');
    const checkpointFile = join(fx.dir, 'checkpoint.json');
    writeFileSync(file, logText(10));
    await new Shipper({ client: fx.client, streamName: 'logs', file, checkpointFile }).run();
    writeFileSync(join(fx.dir, 'other.log'), logText(3, 'other'));
    const other = new Shipper({ client: fx.client, streamName: 'logs', file: join(fx.dir, 'other.log'), checkpointFile });
    const warnings: string[] = [];
    other.on('tail', (e) => e.kind === 'warning' && warnings.push(e.message));
    expect((await other.run()).recordsShipped).toBe(3);
    expect(warnings).toEqual([expect.stringMatching(/matches neither/)]);
  });
});

describe('Shipper, aggregating (our agent)', () => {
  /** `count` good lines with a line that does not fit the format every `badEvery` lines. */
  function mixed(count: number, badEvery: number): string {
    let text = '';
    for (let i = 0; i < count; i++) text += i % badEvery === 0 ? `binary \u0000 junk ${i}\n` : logText(1, `m${i}`);
    return text;
  }

  it('packs whole lines into ≤ 25,000-byte records, sends bad lines alone, every line exactly once', async () => {
    const file = join(fx.dir, 'access.log');
    const text = mixed(5000, 100);
    writeFileSync(file, text);
    const summary = await new Shipper({ client: fx.client, streamName: 'logs', file, aggregate: {} }).run();

    const { data, keys } = await readStream(fx.client, 'logs');
    const shippedLines = data.flatMap((d) => d.toString().split(/(?<=\n)/));
    expect(sorted(shippedLines)).toEqual(sorted(linesOf(text)));
    expect(data.every((d) => d.length <= 25_000 && d.toString().endsWith('\n'))).toBe(true);
    const bad = data.filter((d) => d.toString().startsWith('binary'));
    expect(bad).toHaveLength(50);
    expect(bad.every((d) => d.toString().split('\n').length === 2)).toBe(true);
    expect(data.length).toBeLessThanOrEqual(5000 / 10);
    expect(new Set(keys).size).toBe(data.length);
    expect(summary).toMatchObject({ linesRead: 5000, linesShipped: 5000, linesUnfit: 50, recordsShipped: data.length });
  });

  it('checks lines with the given log_format', async () => {
    const file = join(fx.dir, 'custom.log');
    writeFileSync(file, '1.2.3.4 200\n1.2.3.5 404\nnot a status line\n');
    const summary = await new Shipper({ client: fx.client, streamName: 'logs', file, aggregate: { logFormat: '$remote_addr $status' } }).run();
    const { data } = await readStream(fx.client, 'logs');
    expect(sorted(data.map(String))).toEqual(['1.2.3.4 200\n1.2.3.5 404\n', 'not a status line\n']);
    expect(summary.linesUnfit).toBe(1);
  });

  it('sends a partial record once its oldest line is maxBufferAgeMillis old, while following', async () => {
    const file = join(fx.dir, 'live.log');
    writeFileSync(file, logText(3));
    const shipper = new Shipper({ client: fx.client, streamName: 'logs', file, follow: true, maxBufferAgeMillis: 100, aggregate: {} });
    const done = shipper.run();
    await new Promise<void>((resolve) => shipper.on('progress', (s) => s.linesShipped === 3 && resolve()));
    appendFileSync(file, logText(2, 'later'));
    await new Promise<void>((resolve) => shipper.on('progress', (s) => s.linesShipped === 5 && resolve()));
    shipper.stop();
    const summary = await done;
    const { data } = await readStream(fx.client, 'logs');
    expect(sorted(data.map(String))).toEqual(sorted([logText(3), logText(2, 'later')]));
    expect(summary.recordsShipped).toBe(2);
  });

  it('a throttling storm on aggregated records: failed calls and failed entries re-sent, nothing lost or doubled', async () => {
    const proxy = await startFaultProxy(fx.kinesis.endpoint);
    const client = kinesisClient({ endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 1 });
    try {
      const file = join(fx.dir, 'access.log');
      const text = mixed(6_000, 50);
      writeFileSync(file, text);
      // A third of the entries of the first ten calls throttled, and the first three calls throttled whole.
      proxy.failEntries(({ index }, call) => call <= 10 && index % 3 === 0);
      proxy.failNext(3, { status: 400, code: 'ProvisionedThroughputExceededException' });
      const summary = await new Shipper({
        client,
        streamName: 'logs',
        file,
        maxBufferSizeRecords: 20,
        retryBaseMillis: 1,
        aggregate: { maxRecordBytes: 2_000 },
      }).run();
      const { data } = await readStream(fx.client, 'logs');
      expect(sorted(data.flatMap((d) => d.toString().split(/(?<=\n)/)))).toEqual(sorted(linesOf(text)));
      expect(summary.failedCalls).toBe(3);
      expect(summary.failedEntries).toBeGreaterThan(0);
      expect(summary).toMatchObject({ linesShipped: 6_000, recordsShipped: data.length });
    } finally {
      client.destroy();
      await proxy.stop();
    }
  });

  it('stopped mid-file and restarted: no line lost, none duplicated, with bad lines between aggregates', async () => {
    const file = join(fx.dir, 'access.log');
    const checkpointFile = join(fx.dir, 'state', 'checkpoint.json');
    const text = mixed(6_000, 37);
    writeFileSync(file, text);
    const first = new Shipper({
      client: fx.client,
      streamName: 'logs',
      file,
      checkpointFile,
      maxBufferSizeRecords: 5,
      aggregate: { maxRecordBytes: 2_000 },
    });
    first.on('progress', (s) => {
      if (s.linesShipped >= 1500) first.stop();
    });
    const part = await first.run();
    expect(part.linesShipped).toBeGreaterThanOrEqual(1500);
    expect(part.linesShipped).toBeLessThan(6_000);
    expect(readCheckpoint(checkpointFile)?.offset).toBe(part.checkpoint?.offset);

    const rest = await new Shipper({ client: fx.client, streamName: 'logs', file, checkpointFile, aggregate: {} }).run();
    const { data } = await readStream(fx.client, 'logs');
    const shippedLines = data.flatMap((d) => d.toString().split(/(?<=\n)/));
    expect(part.linesShipped + rest.linesShipped).toBe(6_000);
    expect(sorted(shippedLines)).toEqual(sorted(linesOf(text)));
  });
});

describe('retry policy', () => {
  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffMillis(1, 100, 10_000, () => 1)).toBe(100);
    expect(backoffMillis(4, 100, 10_000, () => 1)).toBe(800);
    expect(backoffMillis(20, 100, 10_000, () => 1)).toBe(10_000);
    expect(backoffMillis(4, 100, 10_000, () => 0.5)).toBe(400);
    expect(backoffMillis(4, 100, 10_000, () => 0)).toBe(0);
  });

  it('retries throttling, server and network errors, not client errors', () => {
    const aws = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(isRetryable(aws('ProvisionedThroughputExceededException', 400))).toBe(true);
    expect(isRetryable(aws('InternalFailure', 500))).toBe(true);
    expect(isRetryable(aws('Whatever', 502))).toBe(true);
    expect(isRetryable(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetryable(aws('ResourceNotFoundException', 400))).toBe(false);
    expect(isRetryable(aws('ValidationException', 400))).toBe(false);
    expect(isRetryable(aws('AccessDeniedException', 400))).toBe(false);
  });
});
