import fc from 'fast-check';
import { StreamRecordStore, type BatchOp, type ReadOptions } from '../../pipeline/kinesis-record-store';

// kinesalite's own store for a stream: a JSON sublevel of levelup over memdown, exactly as its db module builds it.
/* eslint-disable @typescript-eslint/no-require-imports */
const kinesaliteDir = require.resolve('kinesalite/db');
const req = (name: string): unknown => require(require.resolve(name, { paths: [kinesaliteDir] }));
const levelup = req('levelup') as (down: unknown) => unknown;
const memdown = req('memdown') as () => unknown;
const sub = req('subleveldown') as (db: unknown, prefix: string, opts: object) => LevelLike;
/* eslint-enable @typescript-eslint/no-require-imports */

interface LevelLike {
  batch(ops: readonly BatchOp[], cb: (err?: Error) => void): void;
  createReadStream(opts: ReadOptions): NodeJS.EventEmitter;
}

function memdownStore(): LevelLike {
  return sub(levelup(memdown()), 'stream-s', { valueEncoding: 'json' });
}

function readAll(stream: NodeJS.EventEmitter): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    stream.on('data', (d: unknown) => out.push(d));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

function batch(store: LevelLike | StreamRecordStore, ops: readonly BatchOp[]): Promise<void> {
  return new Promise((resolve, reject) =>
    (store as LevelLike).batch(ops, (err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

// Keys as kinesalite writes them: 8 hex digits of shard index, '/', a sequence number (same length within a run).
const shard = fc.constantFrom('00000000', '00000001', '00000002', '0000000a');
const seq = fc.bigInt({ min: 10n ** 55n, max: 10n ** 56n - 1n }).map(String);
// Mostly kinesalite's keys (stored in the arena), sometimes keys it never makes (kept as they are).
const key = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(shard, seq).map(([s, n]) => `${s}/${n}`) },
  { weight: 1, arbitrary: fc.tuple(shard, fc.stringMatching(/^[a-z0-9/]{0,6}$/)).map(([s, x]) => `${s}/${x}`) },
);
const value = fc.record({
  PartitionKey: fc.string({ minLength: 1, maxLength: 8 }),
  Data: fc.base64String({ maxLength: 24 }),
  ApproximateArrivalTimestamp: fc.double({ min: 1e9, max: 2e9, noNaN: true }),
});
const op: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key, value }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('del' as const), key }) },
);
const bound = fc.oneof(shard, key, fc.tuple(shard, seq).map(([s, n]) => `${s}/${n.slice(0, 20)}`));
const range: fc.Arbitrary<ReadOptions> = fc.record(
  { gt: bound, gte: bound, lt: bound, lte: bound, keys: fc.boolean(), values: fc.boolean() },
  { requiredKeys: [] },
).filter((o) => !(o.gt !== undefined && o.gte !== undefined) && !(o.lt !== undefined && o.lte !== undefined))
  .filter((o) => o.keys !== false || o.values !== false);

type Step = { batch: BatchOp[] } | { read: ReadOptions };
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ batch: fc.array(op, { maxLength: 20 }) }),
  fc.record({ read: range }),
);

async function run(store: LevelLike | StreamRecordStore, steps: readonly Step[]): Promise<unknown[][]> {
  // Reads start between writes and finish at the end, so writes land while they are open.
  const reads: Promise<unknown[]>[] = [];
  for (const s of steps) {
    if ('batch' in s) await batch(store, s.batch);
    else reads.push(readAll(store.createReadStream(s.read)));
  }
  return Promise.all(reads);
}

test('reads back exactly what memdown reads back, for any writes, any range and reads open during writes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { maxLength: 12 }), async (steps) => {
      expect(await run(new StreamRecordStore(undefined), steps)).toEqual(await run(memdownStore(), steps));
    }),
    { numRuns: 300 },
  );
});

test('appends out of order land in key order', async () => {
  const store = new StreamRecordStore(undefined);
  const v = { PartitionKey: 'p', Data: 'AA==', ApproximateArrivalTimestamp: 1 };
  await batch(store, ['00000000/3', '00000000/1', '00000001/1', '00000000/2'].map((k) => ({ type: 'put', key: k, value: v })));
  expect(await readAll(store.createKeyStream())).toEqual(['00000000/1', '00000000/2', '00000000/3', '00000001/1']);
  expect(store.size).toBe(4);
});

test('a reader gets its own copy of every value', async () => {
  const store = new StreamRecordStore(undefined);
  await batch(store, [{ type: 'put', key: '00000000/1', value: { PartitionKey: 'p', Data: 'AA==', ApproximateArrivalTimestamp: 1 } }]);
  const [first] = (await readAll(store.createReadStream({ keys: false }))) as { Data: string }[];
  first!.Data = 'changed';
  expect(await readAll(store.createReadStream({ keys: false }))).toEqual([{ PartitionKey: 'p', Data: 'AA==', ApproximateArrivalTimestamp: 1 }]);
});

test('a write issued after a read is created is seen by the read exactly when memdown would see it', async () => {
  const v = { PartitionKey: 'p', Data: 'AA==', ApproximateArrivalTimestamp: 1 };
  const results = [];
  for (const store of [new StreamRecordStore(undefined), memdownStore()]) {
    await batch(store, [{ type: 'put', key: '00000000/1', value: v }]);
    const reading = readAll(store.createReadStream({ keys: true, values: false }));
    await batch(store, [{ type: 'put', key: '00000000/2', value: v }]);
    results.push(await reading);
  }
  expect(results[0]).toEqual(results[1]);
});

test('destroying a read stops it, as lazy.take does after its limit', async () => {
  const store = new StreamRecordStore(undefined);
  const v = { PartitionKey: 'p', Data: 'AA==', ApproximateArrivalTimestamp: 1 };
  await batch(store, [1, 2, 3, 4].map((n) => ({ type: 'put' as const, key: `00000000/${n}`, value: v })));
  const stream = store.createKeyStream() as NodeJS.EventEmitter & { destroy(): void };
  const seen: unknown[] = [];
  stream.on('data', (k: unknown) => {
    seen.push(k);
    if (seen.length === 2) stream.destroy();
  });
  await new Promise((done) => stream.on('close', done));
  expect(seen).toEqual(['00000000/1', '00000000/2']);
});

test('fails on an unknown batch operation, naming it', async () => {
  const store = new StreamRecordStore(undefined);
  expect(() => store.batch([{ type: 'merge' as never, key: '00000000/1' }], {}, () => undefined)).toThrow('unknown batch operation merge');
});

test('records deleted or overwritten free their bytes, after reads opened before the write have run', async () => {
  const store = new StreamRecordStore(undefined);
  // 700 KiB of data each: every record starts a new 1 MiB chunk of the arena.
  const big = (n: number): object => ({ PartitionKey: `p${n}`, Data: 'A'.repeat(700 * 1024), ApproximateArrivalTimestamp: n });
  await batch(store, [1, 2, 3].map((n) => ({ type: 'put' as const, key: `00000000/${n}`, value: big(n) })));
  expect(store.arena.bytesHeld).toBe(3 * 1024 * 1024);
  const reading = readAll(store.createReadStream({ keys: false }));
  // Retention trimming deletes the oldest records; an overwrite replaces one.
  await batch(store, [
    { type: 'del', key: '00000000/1' },
    { type: 'put', key: '00000000/2', value: { PartitionKey: 'q', Data: 'AA==', ApproximateArrivalTimestamp: 9 } },
  ]);
  expect((await reading).map((v) => (v as { PartitionKey: string }).PartitionKey)).toEqual(['p1', 'p2', 'p3']);
  await new Promise((done) => setImmediate(done));
  // Chunks 1 and 2 are freed; chunk 3 is still being filled (and holds p3 and q).
  expect(store.arena.bytesHeld).toBe(1024 * 1024);
  expect(await readAll(store.createReadStream({ keys: false }))).toEqual([
    { PartitionKey: 'q', Data: 'AA==', ApproximateArrivalTimestamp: 9 },
    big(3),
  ]);
});
