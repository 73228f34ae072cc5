import { createDecipheriv } from 'node:crypto';
import fc from 'fast-check';
import { getRecords, type GetRecordsOutput, type RecordStoreHost, type SequenceHelpers } from '../../pipeline/kinesis-get-records';
import { speedUpKinesalite } from '../../pipeline/kinesalite-speedup';

type Action = (store: unknown, data: object, cb: (err: Error | null, out?: never) => void) => void;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const action = (name: string): Action => require(`kinesalite/actions/${name}`) as Action;

function call<T>(name: string, store: unknown, data: object): Promise<T> {
  return new Promise((resolve, reject) => action(name)(store, data, (err, out) => (err ? reject(err) : resolve(out as T))));
}

const db = speedUpKinesalite() as unknown as SequenceHelpers & { create(o: object): RecordStoreHost };

async function streamWith(shards: number, records: number): Promise<RecordStoreHost> {
  const store = db.create({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  await call('createStream', store, { StreamName: 's', ShardCount: shards });
  for (let tries = 0; ; tries++) {
    const { StreamDescription } = await call<{ StreamDescription: { StreamStatus: string } }>('describeStream', store, { StreamName: 's' });
    if (StreamDescription.StreamStatus === 'ACTIVE') break;
    if (tries > 100) throw new Error('stream did not become ACTIVE');
    await new Promise((r) => setTimeout(r, 5));
  }
  for (let i = 0; i < records; i += 500) {
    const batch = Array.from({ length: Math.min(500, records - i) }, (_, j) => ({
      Data: Buffer.from(`line ${i + j}\n`).toString('base64'),
      // Keys the record arena cannot hold as bytes (a quote, non-ASCII) take the path of objects kept as they are.
      PartitionKey: (i + j) % 7 === 3 ? `k"é${i + j}` : `k${(i + j) * 7919}`,
    }));
    await call('putRecords', store, { StreamName: 's', Records: batch });
  }
  return store;
}

/** kinesalite's own GetRecords result. */
interface KinesaliteOutput {
  MillisBehindLatest: number;
  NextShardIterator: string;
  Records: { SequenceNumber: string }[];
}

function ours(store: RecordStoreHost, data: { ShardIterator: string; Limit?: number }): Promise<GetRecordsOutput | undefined> {
  return new Promise((resolve) => getRecords(db, store, data, resolve));
}

/** An iterator's stream, shard and sequence number (its first field is the time it was made, which differs). */
function iteratorPosition(iterator: string): string {
  const buffer = Buffer.from(iterator, 'base64');
  const decipher = createDecipheriv('aes-256-cbc', db.ITERATOR_PWD_KEY, db.ITERATOR_PWD_IV);
  return Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()]).toString('utf8').split('/').slice(1).join('/');
}

async function trimHorizon(store: RecordStoreHost, shard: number): Promise<string> {
  const out = await call<{ ShardIterator: string }>('getShardIterator', store, {
    StreamName: 's',
    ShardId: `shardId-${String(shard).padStart(12, '0')}`,
    ShardIteratorType: 'TRIM_HORIZON',
  });
  return out.ShardIterator;
}

test('reads every shard exactly as kinesalite does, page by page, for any limits', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 1200 }),
      fc.array(fc.option(fc.integer({ min: 1, max: 700 }), { nil: undefined }), { minLength: 1, maxLength: 8 }),
      async (shards, records, limits) => {
        const store = await streamWith(shards, records);
        for (let shard = 0; shard < shards; shard++) {
          let iterator = await trimHorizon(store, shard);
          for (const limit of limits) {
            const data = limit === undefined ? { ShardIterator: iterator } : { ShardIterator: iterator, Limit: limit };
            const mine = await ours(store, data);
            const theirs = await call<KinesaliteOutput>('getRecords', store, data);
            expect(mine).toBeDefined();
            // What the client receives: the body, parsed.
            const served = JSON.parse(mine!.body().toString('utf8')) as KinesaliteOutput;
            expect(served.Records).toEqual(theirs.Records);
            expect(served.MillisBehindLatest).toBe(theirs.MillisBehindLatest);
            expect(served.NextShardIterator).toBe(mine!.NextShardIterator);
            expect(iteratorPosition(mine!.NextShardIterator)).toBe(iteratorPosition(theirs.NextShardIterator));
            iterator = mine!.NextShardIterator;
          }
        }
      },
    ),
    { numRuns: 25 },
  );
});

test('leaves what it does not serve to kinesalite: bad, expired and foreign iterators', async () => {
  const store = await streamWith(1, 10);
  const good = await trimHorizon(store, 0);
  expect(await ours(store, { ShardIterator: 'not-an-iterator' })).toBeUndefined();
  expect(await ours(store, { ShardIterator: `${good.slice(0, -4)}AAAA` })).toBeUndefined();
  const other = await streamWith(1, 0);
  // The iterator names stream "s", which this store has, but shard 0 of a 1-shard stream: served...
  expect(await ours(other, { ShardIterator: good })).toBeDefined();
  // ...while a store without the stream leaves it to kinesalite's ResourceNotFoundException.
  const empty = db.create({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  expect(await ours(empty, { ShardIterator: good })).toBeUndefined();
  const realNow = Date.now;
  try {
    Date.now = () => realNow() + 301_000;
    expect(await ours(store, { ShardIterator: good })).toBeUndefined();
  } finally {
    Date.now = realNow;
  }
});
