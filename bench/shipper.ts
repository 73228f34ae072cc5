/**
 * `npm run bench:shipper`: the embedded Kinesis's bare PutRecords rate next to the shipper's lines/s into it, one line
 * per record (the Kinesis Agent's way) and aggregated (our agent's), side by side in each run.
 *
 *   npm run bench:shipper -- [FILE] [--runs N] [--shards N] [--in-flight N] [--shard-limits]
 *
 * FILE defaults to 200,000 generated lines with 5% hostile ones (../shared/bench/gen-nginx-log.mjs). Each run uses
 * a fresh in-process embedded Kinesis (one shard unless told), first for the bare rate (500 × 250-byte records per call,
 * one call at a time), then for the shipper shipping the whole file. Prints medians and one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { kinesisClient } from '../pipeline/clients';
import { startKinesis } from '../pipeline/emulators';
import { measurePutRecordsRate } from './lib/measure';
import { Shipper } from '../pipeline/agent/shipper';
import { projectRoot } from '../pipeline/stack-config';
import { CreateStreamCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      runs: { type: 'string', default: '3' },
      shards: { type: 'string', default: '1' },
      'in-flight': { type: 'string' },
      // Kinesis's per-shard write limits (1 MiB/s, 1,000 records/s), answered with ProvisionedThroughputExceeded.
      'shard-limits': { type: 'boolean', default: false },
    },
  });
  const root = projectRoot(__dirname);
  const file = positionals[0] ? resolve(positionals[0]) : generated(root);
  const runs = Number(values.runs);
  const shards = Number(values.shards);
  const bare: number[] = [];
  const shipped: number[] = [];
  let lines = 0;
  let peakRss = 0;
  const rss = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const aggregated: number[] = [];
  const ratios: number[] = [];
  const shipOnce = async (aggregate: boolean, endpoint: string): Promise<number> => {
    const client = kinesisClient({ endpoint, region: 'us-east-1', maxAttempts: 1 });
    try {
      const name = aggregate ? 'bench-aggregated' : 'bench-one-per-record';
      await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
      await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 0.05 } as never, { StreamName: name });
      const inFlight = values['in-flight'] === undefined ? undefined : Number(values['in-flight']);
      const summary = await new Shipper({
        client,
        streamName: name,
        file,
        maxInFlightBatches: inFlight,
        aggregate: aggregate ? {} : undefined,
      }).run();
      lines = summary.linesShipped;
      const rate = Math.round((summary.linesShipped * 1000) / summary.elapsedMillis);
      process.stderr.write(
        `  ${aggregate ? 'aggregated' : 'one line per record'}: ${rate} lines/s (${summary.linesShipped} lines in ` +
          `${summary.recordsShipped} records, ${summary.putRecordsCalls} calls, ${summary.retries} retries, ${summary.elapsedMillis} ms)\n`,
      );
      return rate;
    } finally {
      client.destroy();
    }
  };
  for (let run = 0; run < runs; run++) {
    const rate = await measurePutRecordsRate({ records: 50_000, shards });
    bare.push(rate.recordsPerSecond);
    process.stderr.write(`run ${run + 1}: bare ${rate.recordsPerSecond} records/s (median call ${rate.medianCallMillis} ms)\n`);
    const kinesis = await startKinesis({ shardWriteLimits: values['shard-limits'] });
    try {
      // Side by side in one emulator, alternating which goes first.
      const order = run % 2 === 0 ? [false, true] : [true, false];
      const r: Record<string, number> = {};
      for (const aggregate of order) r[String(aggregate)] = await shipOnce(aggregate, kinesis.endpoint);
      shipped.push(r.false!);
      aggregated.push(r.true!);
      ratios.push(r.true! / r.false!);
    } finally {
      await kinesis.stop();
    }
  }
  clearInterval(rss);
  const result = {
    file,
    bytes: statSync(file).size,
    lines,
    shards,
    shardLimits: values['shard-limits'],
    bareRecordsPerSecond: median(bare),
    shipperLinesPerSecond: median(shipped),
    ratio: Number((median(shipped) / median(bare)).toFixed(2)),
    aggregatedLinesPerSecond: median(aggregated),
    aggregatedOverOneLinePerRecord: Number(median(ratios).toFixed(2)),
    peakRssMb: Math.round(peakRss / 1024 / 1024),
    runs: { bare, shipped, aggregated },
  };
  process.stderr.write(
    `median: bare embedded Kinesis ${result.bareRecordsPerSecond} records/s, shipper ${result.shipperLinesPerSecond} lines/s ` +
      `(${result.ratio}× bare); aggregated ${result.aggregatedLinesPerSecond} lines/s ` +
      `(${result.aggregatedOverOneLinePerRecord}× one line per record, median of per-run ratios), peak RSS ${result.peakRssMb} MB\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function generated(root: string): string {
  const dir = join(root, '.tmp', 'bench');
  const file = join(dir, 'access-200k.log');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const generator = resolve(root, '..', 'shared', 'bench', 'gen-nginx-log.mjs');
    writeFileSync(file, execFileSync(process.execPath, [generator, '200000', '1', '--hostile=5'], { maxBuffer: 1 << 30 }));
  }
  return file;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:shipper failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
