/**
 * Shipping into one shard with Kinesis's per-shard write limits on (the embedded Kinesis answers
 * ProvisionedThroughputExceededException past 1,000 records/s or 1 MiB/s): both ways of shipping back off and lose
 * nothing. How many more lines per second aggregated records carry is `npm run bench:shipper -- --shard-limits`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Shipper } from '../../pipeline/agent/shipper';
import { kinesisClient } from '../../pipeline/clients';
import { startKinesis, type Emulator } from '../../pipeline/emulators';
import { createStream, readStream, sorted } from '../pipeline/kinesis-helpers';

jest.setTimeout(120_000);

let kinesis: Emulator;
let dir: string;
beforeEach(async () => {
  kinesis = await startKinesis({ shardWriteLimits: true });
  dir = mkdtempSync(join(tmpdir(), 'throttling-'));
});
afterEach(async () => {
  await kinesis.stop();
  rmSync(dir, { recursive: true, force: true });
});

function log(lines: number): { file: string; lines: string[] } {
  const all: string[] = [];
  for (let i = 0; i < lines; i++) {
    all.push(
      i % 40 === 0
        ? `\u0016\u0003\u0001 junk ${i}\n`
        : `10.0.${i % 250}.1 - - [05/Dec/2026:17:00:00 +0000] "GET /t/${i} HTTP/1.1" 200 ${i} "-" "${'u'.repeat(120)}" "-"\n`,
    );
  }
  const file = join(dir, `access-${lines}.log`);
  writeFileSync(file, all.join(''));
  return { file, lines: all };
}

test.each([
  ['one line per record', false, 4_000],
  ['aggregated', true, 30_000],
])('1 shard with the limits on, %s: throttled, retried with backoff, nothing lost or doubled', async (_, aggregate, count) => {
  const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', maxAttempts: 1 });
  try {
    await createStream(client, 'logs', 1);
    const { file, lines } = log(count);
    const summary = await new Shipper({
      client,
      streamName: 'logs',
      file,
      retryMaxMillis: 1_000,
      aggregate: aggregate ? {} : undefined,
    }).run();
    const { data } = await readStream(client, 'logs');
    expect(sorted(data.flatMap((d) => d.toString().split(/(?<=\n)/)))).toEqual(sorted(lines));
    expect(summary.linesShipped).toBe(count);
    // The shard said no at least once: the limits were reached, and the shipper backed off and re-sent.
    expect(summary.failedEntries + summary.failedCalls).toBeGreaterThan(0);
    expect(summary.retries).toBeGreaterThan(0);
  } finally {
    client.destroy();
  }
});
