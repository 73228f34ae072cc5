import { KINESIS_LIMITS } from '../../../facts/aws-limits';
import { KinesisError } from '../../../pipeline/kinesis/errors';
import { KinesisStore, type KinesisStoreOptions } from '../../../pipeline/kinesis/store';

interface Page {
  MillisBehindLatest: number;
  NextShardIterator: string;
  Records: { SequenceNumber: string; PartitionKey: string; Data: string; ApproximateArrivalTimestamp: number }[];
}

const SHARD0 = 'shardId-000000000000';
const line = (i: number, bytes = 200): string => Buffer.from(`${i} `.padEnd(bytes - 1, 'x') + '\n').toString('base64');

/** A store on a clock the test moves, with one ACTIVE stream. */
async function storeWith(opts: KinesisStoreOptions = {}, shards = 1): Promise<{ store: KinesisStore; clock: { now: number } }> {
  const clock = { now: Date.UTC(2026, 0, 1) };
  const store = new KinesisStore({ ...opts, now: () => clock.now });
  store.createStream({ StreamName: 's', ShardCount: shards }, 'us-east-1');
  await new Promise((r) => setTimeout(r, 1));
  return { store, clock };
}

function put(store: KinesisStore, from: number, count: number, bytes = 200): { FailedRecordCount: number; Records: { ErrorCode?: string; ErrorMessage?: string }[] } {
  const Records = Array.from({ length: count }, (_, i) => ({ PartitionKey: `k${from + i}`, Data: line(from + i, bytes) }));
  return store.putRecords({ StreamName: 's', Records }) as never;
}

function iterator(store: KinesisStore, type = 'TRIM_HORIZON', shard = SHARD0): string {
  return (store.getShardIterator({ StreamName: 's', ShardId: shard, ShardIteratorType: type }) as { ShardIterator: string }).ShardIterator;
}

function read(store: KinesisStore, it: string, limit?: number): Page {
  return JSON.parse(store.getRecords(limit === undefined ? { ShardIterator: it } : { ShardIterator: it, Limit: limit }).toString('utf8')) as Page;
}

const numbers = (p: Page): number[] => p.Records.map((r) => Number(Buffer.from(r.Data, 'base64').toString().split(' ')[0]));

describe('sequence numbers and reading', () => {
  it('orders sequence numbers as records were written, across calls and seconds', async () => {
    const { store, clock } = await storeWith();
    put(store, 0, 3);
    clock.now += 1500;
    put(store, 3, 3);
    const page = read(store, iterator(store));
    expect(numbers(page)).toEqual([0, 1, 2, 3, 4, 5]);
    const seqs = page.Records.map((r) => BigInt(r.SequenceNumber));
    expect([...seqs].sort((a, b) => (a < b ? -1 : 1))).toEqual(seqs);
    expect(new Set(seqs).size).toBe(6);
    expect(page.Records[0]!.ApproximateArrivalTimestamp).toBe(clock.now / 1000 - 1.5);
  });

  it('says how far behind the newest record a reader is, and 0 once it has caught up', async () => {
    const { store, clock } = await storeWith();
    put(store, 0, 10);
    clock.now += 4000;
    const first = read(store, iterator(store), 4);
    expect(first.MillisBehindLatest).toBe(4000);
    const rest = read(store, first.NextShardIterator);
    expect(numbers(rest)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(rest.MillisBehindLatest).toBe(0);
    expect(read(store, rest.NextShardIterator).Records).toEqual([]);
  });

  it('expires iterators five minutes after they were made', async () => {
    const { store, clock } = await storeWith();
    const it = iterator(store);
    clock.now += KINESIS_LIMITS.shardIteratorTtlMillis;
    expect(read(store, it).Records).toEqual([]);
    clock.now += 1;
    expect(() => read(store, it)).toThrow(expect.objectContaining({ type: 'ExpiredIteratorException' }));
  });

  it('returns at most 10 MiB per GetRecords, however high the limit', async () => {
    const { store } = await storeWith({ memoryBudgetBytes: 64 << 20 });
    for (let i = 0; i < 15; i++) put(store, i, 1, 1 << 20);
    const page = read(store, iterator(store), 10_000);
    expect(page.Records.length).toBeLessThan(15);
    expect(page.Records.length).toBeGreaterThanOrEqual(9);
    expect(numbers(read(store, page.NextShardIterator))[0]).toBe(page.Records.length);
  });
});

describe('retention and the memory budget', () => {
  it('trims records past the retention period; TRIM_HORIZON moves with the trim', async () => {
    const { store, clock } = await storeWith();
    put(store, 0, 5);
    clock.now += 23 * 3_600_000;
    put(store, 5, 5);
    clock.now += 2 * 3_600_000;
    expect(numbers(read(store, iterator(store)))).toEqual([5, 6, 7, 8, 9]);
  });

  it('keeps its memory within the budget when nobody reads, dropping the oldest records', async () => {
    const budget = 4 << 20;
    const { store } = await storeWith({ memoryBudgetBytes: budget });
    for (let i = 0; i < 80; i++) expect(put(store, i * 100, 100, 1000).FailedRecordCount).toBe(0);
    expect(store.bytesHeld).toBeLessThanOrEqual(budget);
    const kept = numbers(read(store, iterator(store)));
    expect(kept[kept.length - 1]).toBe(7_999);
    expect(kept[0]).toBeGreaterThan(0);
  });

  it('never trims what a live reader has not read: writes are throttled until it catches up, and nothing is lost', async () => {
    const budget = 4 << 20;
    const { store } = await storeWith({ memoryBudgetBytes: budget });
    let it = iterator(store);
    const got: number[] = [];
    let next = 0;
    let throttled = 0;
    while (next < 8_000) {
      const count = Math.min(100, 8_000 - next);
      const out = put(store, next, count, 1000);
      // Entries fail from the first refused one on (the budget does not free up within a call): resend the rest.
      const ok = out.Records.findIndex((r) => r.ErrorCode !== undefined);
      const accepted = ok === -1 ? count : ok;
      for (const r of out.Records.slice(accepted)) {
        expect(r).toMatchObject({ ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: expect.stringMatching(/^Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000\. .*memory budget/) });
      }
      next += accepted;
      if (out.FailedRecordCount > 0) {
        throttled += 1;
        const page = read(store, it);
        got.push(...numbers(page));
        it = page.NextShardIterator;
      }
      expect(store.bytesHeld).toBeLessThanOrEqual(budget);
    }
    for (;;) {
      const page = read(store, it);
      if (page.Records.length === 0) break;
      got.push(...numbers(page));
      it = page.NextShardIterator;
    }
    expect(throttled).toBeGreaterThan(0);
    expect(got).toEqual(Array.from({ length: 8_000 }, (_, i) => i));
  });

  it('keeps the records of the call a reader may repeat, and lets go of a reader whose iterator expired', async () => {
    const budget = 4 << 20;
    const { store, clock } = await storeWith({ memoryBudgetBytes: budget });
    put(store, 0, 100, 1000);
    const it = iterator(store);
    const page = read(store, it, 50);
    let n = 100;
    while (put(store, n, 100, 1000).FailedRecordCount === 0) n += 100;
    // The reader has not used its next iterator yet: it may repeat the call it made, so those records stay.
    expect(numbers(read(store, it, 50))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(numbers(read(store, page.NextShardIterator, 1))).toEqual([50]);
    clock.now += KINESIS_LIMITS.shardIteratorTtlMillis + 1;
    expect(put(store, n, 100, 1000).FailedRecordCount).toBe(0);
  });
});

it('refuses a memory budget too small to hold a shard\'s buffers, saying what it needs', () => {
  expect(() => new KinesisStore({ memoryBudgetBytes: 1 << 20 })).toThrow(/memoryBudgetBytes must be at least 4194304 .*got 1048576/);
  expect(() => new KinesisStore({ memoryBudgetBytes: Number.NaN })).toThrow(/got NaN/);
});

describe('per-shard write limits', () => {
  it('are off by default', async () => {
    const { store } = await storeWith();
    for (let i = 0; i < 5; i++) expect(put(store, i * 500, 500).FailedRecordCount).toBe(0);
  });

  it('refuse records beyond 1,000 a second per shard, entry by entry, and refill with time', async () => {
    const { store, clock } = await storeWith({ shardWriteLimits: true });
    expect(put(store, 0, 500, 20).FailedRecordCount).toBe(0);
    const second = put(store, 500, 600, 20);
    expect(second.FailedRecordCount).toBe(100);
    expect(second.Records[500]).toEqual({
      ErrorCode: 'ProvisionedThroughputExceededException',
      ErrorMessage: 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.',
    });
    clock.now += 500;
    expect(put(store, 1100, 600, 20).FailedRecordCount).toBe(100);
  });

  it('refuse bytes beyond 1 MiB a second per shard, keys included', async () => {
    const { store, clock } = await storeWith({ shardWriteLimits: true });
    const out = put(store, 0, 20, 100 * 1024);
    expect(out.FailedRecordCount).toBe(10);
    clock.now += 1000;
    expect(put(store, 20, 10, 100 * 1024).FailedRecordCount).toBe(0);
  });

  it('count each shard on its own', async () => {
    const { store } = await storeWith({ shardWriteLimits: true }, 2);
    const out = put(store, 0, 1500, 20);
    const shards = out.Records.filter((r) => r.ErrorCode === undefined).length;
    expect(shards).toBeGreaterThan(1000);
  });

  it('answer PutRecord with a 400 ProvisionedThroughputExceededException', async () => {
    const { store } = await storeWith({ shardWriteLimits: true });
    put(store, 0, 1000, 20);
    let thrown: unknown;
    try {
      store.putRecord({ StreamName: 's', PartitionKey: 'k', Data: 'AAAA' });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(KinesisError);
    expect(thrown).toMatchObject({ statusCode: 400, body: { __type: 'ProvisionedThroughputExceededException' } });
  });
});
