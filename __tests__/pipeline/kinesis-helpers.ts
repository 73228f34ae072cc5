// Test helpers: an embedded Kinesis stream per test and reading a whole stream back, every shard from the start.
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  waitUntilStreamExists,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kinesisClient } from '../../pipeline/clients';
import { startKinesis, type Emulator } from '../../pipeline/emulators';

export interface KinesisFixture {
  readonly kinesis: Emulator;
  readonly client: KinesisClient;
  readonly dir: string;
  close(): Promise<void>;
}

/** The embedded Kinesis, a client for it (one attempt per call: the shipper retries) and a temp dir. */
export async function kinesisFixture(): Promise<KinesisFixture> {
  const kinesis = await startKinesis();
  const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1', maxAttempts: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'shipper-test-'));
  return {
    kinesis,
    client,
    dir,
    async close() {
      client.destroy();
      await kinesis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function createStream(client: KinesisClient, name: string, shards = 1): Promise<void> {
  await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  await waitUntilStreamExists({ client, maxWaitTime: 10, minDelay: 0.05 } as never, { StreamName: name });
}

/** Every record in the stream, shard by shard, as buffers, with partition keys. */
export async function readStream(
  client: KinesisClient,
  name: string,
): Promise<{ data: Buffer[]; keys: string[] }> {
  const data: Buffer[] = [];
  const keys: string[] = [];
  const shards = await client.send(new ListShardsCommand({ StreamName: name }));
  for (const shard of shards.Shards ?? []) {
    let iterator = (
      await client.send(
        new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (iterator) {
      const out = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of out.Records ?? []) {
        data.push(Buffer.from(r.Data ?? []));
        keys.push(r.PartitionKey ?? '');
      }
      if ((out.Records ?? []).length === 0) break;
      iterator = out.NextShardIterator;
    }
  }
  return { data, keys };
}

/** Lines of a text as records carry them: each with its "\n". */
export function linesOf(text: string): string[] {
  return text.split(/(?<=\n)/).filter((l) => l.length > 0);
}

/** Sorted copies, to compare multisets: "every line exactly once". */
export function sorted(values: readonly string[]): string[] {
  return [...values].sort();
}
