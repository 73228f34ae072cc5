/**
 * Measures a Kinesis endpoint's bare PutRecords rate: the ceiling the shipper (and `npm start`) is compared with.
 *
 * The load is the benchmarks' standard one: calls of 500 records of ~250 bytes (a typical nginx line), one shard, one call at a
 * time, nothing else running. Without an endpoint it starts its own embedded Kinesis and stops it afterwards.
 */
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { kinesisClient } from '../../pipeline/clients';
import { startKinesis } from '../../pipeline/emulators';

/** Options for {@link measurePutRecordsRate}. */
export interface MeasureOptions {
  /** A Kinesis endpoint; the stream is created there. @default - a fresh in-process embedded Kinesis */
  readonly endpoint?: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** Records to send in total (whole calls). @default 50000 */
  readonly records?: number;
  /** @default 500 */
  readonly recordsPerCall?: number;
  /** @default 250 */
  readonly recordBytes?: number;
  /** @default 1 */
  readonly shards?: number;
  /** Calls in flight at once. @default 1 */
  readonly concurrency?: number;
}

/** The measured rate. */
export interface PutRecordsRate {
  readonly records: number;
  readonly calls: number;
  readonly elapsedMillis: number;
  readonly recordsPerSecond: number;
  /** Median and 95th percentile latency of one PutRecords call. */
  readonly medianCallMillis: number;
  readonly p95CallMillis: number;
}

/** Sends `records` records in PutRecords calls and reports records/s. */
export async function measurePutRecordsRate(opts: MeasureOptions = {}): Promise<PutRecordsRate> {
  const own = opts.endpoint === undefined ? await startKinesis() : undefined;
  const endpoint = opts.endpoint ?? own!.endpoint;
  const client = kinesisClient({ endpoint, region: opts.region ?? 'us-east-1', maxAttempts: 1 });
  const perCall = opts.recordsPerCall ?? 500;
  const calls = Math.max(1, Math.ceil((opts.records ?? 50_000) / perCall));
  const size = opts.recordBytes ?? 250;
  const stream = `bare-rate-${randomBytes(4).toString('hex')}`;
  try {
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: opts.shards ?? 1 }));
    await waitUntilStreamExists({ client, maxWaitTime: 60, minDelay: 0.1 } as never, { StreamName: stream });
    // Distinct printable lines, like log lines; generated before the clock starts.
    const line = (i: number): Buffer => Buffer.from(`${i} ${'x'.repeat(size)}`.slice(0, size - 1) + '\n');
    const batches = Array.from({ length: calls }, (_, c) =>
      Array.from({ length: perCall }, (_, i) => ({
        Data: line(c * perCall + i),
        PartitionKey: randomBytes(8).toString('hex'),
      })),
    );
    const latencies: number[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const Records = batches[next++]!;
        const t0 = performance.now();
        const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records }));
        latencies.push(performance.now() - t0);
        if (out.FailedRecordCount) throw new Error(`${out.FailedRecordCount} records failed while measuring`);
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: opts.concurrency ?? 1 }, worker));
    const elapsedMillis = performance.now() - started;
    latencies.sort((a, b) => a - b);
    return {
      records: calls * perCall,
      calls,
      elapsedMillis: Math.round(elapsedMillis),
      recordsPerSecond: Math.round((calls * perCall * 1000) / elapsedMillis),
      medianCallMillis: Math.round(latencies[Math.floor(latencies.length / 2)] ?? 0),
      p95CallMillis: Math.round(latencies[Math.floor(latencies.length * 0.95)] ?? 0),
    };
  } finally {
    client.destroy();
    await own?.stop();
  }
}
