// Sequence numbers, shard ids and hash keys against kinesalite's own helpers (bignumber.js), the scheme ours keeps.
import fc from 'fast-check';
import {
  hashHex,
  incrementSequence,
  parseSequence,
  partitionKeyToHashHex,
  resolveShardId,
  shardIdName,
  stringifySequence,
  type SequenceParts,
} from '../../../pipeline/kinesis/sequence';

interface KinesaliteDb {
  parseSequence(seq: string): SequenceParts;
  stringifySequence(obj: SequenceParts): string;
  incrementSequence(seq: SequenceParts | string, seqTime?: number | null): string;
  partitionKeyToHashKey(key: string): { toFixed(): string };
  shardIdName(ix: number): string;
  resolveShardId(id: string): { shardId: string; shardIx: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kinesalite = require('kinesalite/db') as KinesaliteDb;

const parts = fc.record({
  shardCreateTime: fc.integer({ min: 1_400_000_000, max: 2_000_000_000 }).map((s) => s * 1000),
  shardIx: fc.integer({ min: 0, max: 49 }),
  seqIx: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String)),
  seqTime: fc.integer({ min: 1_400_000_000, max: 2_000_000_000 }).map((s) => s * 1000),
});

test('writes, reads and increments sequence numbers exactly as kinesalite does', () => {
  fc.assert(
    fc.property(parts, (p) => {
      const seq = kinesalite.stringifySequence({ ...p });
      expect(stringifySequence({ ...p })).toBe(seq);
      expect(parseSequence(seq)).toEqual(kinesalite.parseSequence(seq));
      expect(incrementSequence(seq)).toBe(kinesalite.incrementSequence(seq));
    }),
  );
});

test('orders the sequence numbers of one shard by counter, then by second', () => {
  fc.assert(
    fc.property(parts, fc.nat(1000), fc.nat(1000), (p, dIx, dTime) => {
      const a = BigInt(stringifySequence({ ...p, seqIx: Number(p.seqIx) % 2 ** 31 }));
      const b = BigInt(stringifySequence({ ...p, seqIx: (Number(p.seqIx) % 2 ** 31) + dIx + 1, seqTime: p.seqTime - dTime * 1000 }));
      expect(a < b).toBe(true);
    }),
  );
});

test('rejects what kinesalite rejects', () => {
  for (const bad of ['', 'abc', '-1']) {
    expect(() => kinesalite.parseSequence(bad)).toThrow();
    expect(() => parseSequence(bad)).toThrow();
  }
});

test('maps partition keys to the same 128-bit hash keys, and names shards the same way', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 256 }), fc.nat(2 ** 31 - 1), (key, ix) => {
      expect(partitionKeyToHashHex(key)).toBe(hashHex(BigInt(kinesalite.partitionKeyToHashKey(key).toFixed())));
      expect(shardIdName(ix)).toBe(kinesalite.shardIdName(ix));
      expect(resolveShardId(String(ix))).toEqual(kinesalite.resolveShardId(String(ix)));
    }),
  );
});
