import fc from 'fast-check';
import { parseSequence, partitionKeyToHashKey, stringifySequence, type KinesaliteDb } from '../../pipeline/kinesalite-speedup';

// kinesalite's own helpers, loaded before anything replaces them (this file never calls speedUpKinesalite()).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const original = { ...(require('kinesalite/db') as KinesaliteDb) };

const parts = fc.record({
  shardCreateTime: fc.integer({ min: 1_400_000_000, max: 2_000_000_000 }).map((s) => s * 1000),
  shardIx: fc.integer({ min: 0, max: 49 }),
  seqIx: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 }), fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String)),
  seqTime: fc.integer({ min: 1_400_000_000, max: 2_000_000_000 }).map((s) => s * 1000),
});

test('stringifySequence gives the same sequence numbers as kinesalite', () => {
  fc.assert(fc.property(parts, (p) => stringifySequence({ ...p }) === original.stringifySequence({ ...p })));
});

test('parseSequence reads them back exactly as kinesalite does', () => {
  fc.assert(
    fc.property(parts, (p) => {
      const seq = original.stringifySequence({ ...p });
      expect(parseSequence(seq)).toEqual(original.parseSequence(seq));
    }),
  );
});

// kinesalite's request validation only lets decimal digits through (`0|([1-9]\d{0,128})`), so exponent forms such
// as "1e5", which bignumber.js would parse, never reach parseSequence.
test('parseSequence rejects what kinesalite rejects', () => {
  for (const bad of ['', 'abc', '-1']) {
    expect(() => original.parseSequence(bad)).toThrow();
    expect(() => parseSequence(bad)).toThrow();
  }
});

test('partition keys map to the same 128-bit hash keys and compare like BigNumber', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 1, maxLength: 256 }), fc.bigInt({ min: 0n, max: 2n ** 128n - 1n }), (key, bound) => {
      const ours = partitionKeyToHashKey(key);
      const theirs = original.partitionKeyToHashKey(key);
      expect(ours.toFixed()).toBe((theirs as unknown as { toFixed(): string }).toFixed());
      expect(ours.comparedTo(bound.toString())).toBe(theirs.comparedTo(bound.toString()));
    }),
  );
});
