/**
 * `npm run bench:shipper`: the embedded Kinesis's bare PutRecords rate next to the shipper's lines/s into it.
 *
 *   npm run bench:shipper -- [FILE] [--runs N] [--shards N] [--in-flight N]
 *
 * FILE defaults to 200,000 generated lines with 5% hostile ones (../shared/bench/gen-nginx-log.mjs). Each run uses
 * a fresh in-process kinesalite (one shard unless told), first for the bare rate (500 × 250-byte records per call,
 * one call at a time), then for the shipper shipping the whole file. Prints medians and one JSON line.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { kinesisClient } from '../pipeline/clients';
import { startKinesis } from '../pipeline/emulators';
import { measurePutRecordsRate } from '../pipeline/measure';
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
  for (let run = 0; run < runs; run++) {
    const rate = await measurePutRecordsRate({ records: 50_000, shards });
    bare.push(rate.recordsPerSecond);

    const kinesis = await startKinesis();
    const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', maxAttempts: 1 });
    try {
      await client.send(new CreateStreamCommand({ StreamName: 'bench', ShardCount: shards }));
      await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 0.05 } as never, { StreamName: 'bench' });
      const inFlight = values['in-flight'] === undefined ? undefined : Number(values['in-flight']);
      const summary = await new Shipper({ client, streamName: 'bench', file, maxInFlightBatches: inFlight }).run();
      lines = summary.recordsShipped;
      shipped.push(Math.round((summary.recordsShipped * 1000) / summary.elapsedMillis));
      process.stderr.write(
        `run ${run + 1}: bare ${rate.recordsPerSecond} records/s (median call ${rate.medianCallMillis} ms), ` +
          `shipper ${shipped.at(-1)} lines/s (${summary.recordsShipped} lines, ${summary.putRecordsCalls} calls, ${summary.elapsedMillis} ms)\n`,
      );
    } finally {
      client.destroy();
      await kinesis.stop();
    }
  }
  clearInterval(rss);
  const result = {
    file,
    bytes: statSync(file).size,
    lines,
    shards,
    bareRecordsPerSecond: median(bare),
    shipperLinesPerSecond: median(shipped),
    ratio: Number((median(shipped) / median(bare)).toFixed(2)),
    peakRssMb: Math.round(peakRss / 1024 / 1024),
    runs: { bare, shipped },
  };
  process.stderr.write(
    `median: bare kinesalite ${result.bareRecordsPerSecond} records/s, shipper ${result.shipperLinesPerSecond} lines/s ` +
      `(${result.ratio}× bare), peak RSS ${result.peakRssMb} MB\n`,
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
