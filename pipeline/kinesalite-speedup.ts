/**
 * Faster sequence-number arithmetic for kinesalite, the embedded Kinesis, and the hooks that give it an append-only
 * record store (`kinesis-record-store.ts`) and a GetRecords served from it (`kinesis-get-records.ts`).
 * `startKinesis` always uses all three, through {@link fastKinesalite}.
 *
 * kinesalite converts every record's 56-digit sequence number between decimal and hex with bignumber.js, on
 * PutRecords and again on GetRecords; profiling `npm start` showed that arithmetic as the largest single cost of the
 * whole pipeline (~35% of CPU). Native BigInt gives identical strings several times faster. This replaces kinesalite's
 * exported helpers (`parseSequence`, `stringifySequence`, `partitionKeyToHashKey`), which its actions call through
 * the module object; the equivalence is checked by `__tests__/firehose/kinesalite-speedup.test.ts`.
 */
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import kinesalite = require('kinesalite');
import { serveGetRecordsFast, type RecordStoreHost, type SequenceHelpers } from './kinesis-get-records';
import { installRecordStore } from './kinesis-record-store';

/** kinesalite's sequence helpers as its `db` module exports them. */
export interface KinesaliteDb {
  parseSequence(seq: string): SequenceParts;
  stringifySequence(obj: SequenceParts): string;
  partitionKeyToHashKey(partitionKey: string): { comparedTo(other: unknown): number };
  shardIxToHex(shardIx: number): string;
  create(options: object): Parameters<typeof installRecordStore>[0] & RecordStoreHost;
}

/** The fields kinesalite reads and writes in a sequence number. */
export interface SequenceParts {
  shardCreateTime: number;
  seqIx?: string | number;
  byte1?: string;
  seqTime?: number;
  seqRand?: string;
  shardIx?: number;
  version?: number | null;
}

const P124 = 2n ** 124n;
const P124_NEXT = 2n ** 125n * 16n;
const P185 = 2n ** 185n;
const P185_NEXT = (2n ** 185n * 3n) / 2n;
const DECIMAL = /^[0-9]+$/;

/** The same parse as kinesalite's `parseSequence`, with BigInt. */
export function parseSequence(seq: string): SequenceParts {
  if (typeof seq !== 'string' || !DECIMAL.test(seq)) throw new Error(`Invalid sequence number: ${String(seq)}`);
  let n = BigInt(seq);
  if (n < P124) n += P124;
  const hex = n.toString(16);
  const version = n < P124_NEXT ? 0 : n > P185 && n < P185_NEXT ? parseInt(hex.slice(hex.length - 1), 16) : null;
  if (version === 2) {
    const seqIxHex = hex.slice(11, 27);
    let shardIxHex = hex.slice(38, 46);
    if (parseInt(seqIxHex[0]!, 16) > 7) throw new Error('Sequence index too high');
    if (parseInt(shardIxHex[0]!, 16) > 7) shardIxHex = `-${shardIxHex}`;
    const shardCreateSecs = parseInt(hex.slice(1, 10), 16);
    if (shardCreateSecs >= 16025175000) throw new Error(`Date too large: ${shardCreateSecs}`);
    return {
      shardCreateTime: shardCreateSecs * 1000,
      seqIx: BigInt(`0x${seqIxHex}`).toString(),
      byte1: hex.slice(27, 29),
      seqTime: parseInt(hex.slice(29, 38), 16) * 1000,
      shardIx: parseInt(shardIxHex, 16),
      version,
    };
  }
  if (version === 1) {
    return {
      shardCreateTime: parseInt(hex.slice(1, 10), 16) * 1000,
      byte1: hex.slice(11, 13),
      seqTime: parseInt(hex.slice(13, 22), 16) * 1000,
      seqRand: hex.slice(22, 36),
      seqIx: parseInt(hex.slice(36, 38), 16),
      shardIx: parseInt(hex.slice(38, 46), 16),
      version,
    };
  }
  if (version === 0) {
    const shardCreateSecs = parseInt(hex.slice(1, 10), 16);
    if (shardCreateSecs >= 16025175000) throw new Error(`Date too large: ${shardCreateSecs}`);
    return {
      shardCreateTime: shardCreateSecs * 1000,
      byte1: hex.slice(10, 12),
      seqRand: hex.slice(12, 28),
      shardIx: parseInt(hex.slice(28, 32), 16),
      version,
    };
  }
  throw new Error(`Unknown version: ${version}`);
}

const shardIxToHex = (shardIx: number | undefined): string => `0000000${(shardIx || 0).toString(16)}`.slice(-8);
const hex9 = (ms: number): string => `00000000${Math.floor(ms / 1000).toString(16)}`.slice(-9);

/** The same encoding as kinesalite's `stringifySequence`, with BigInt. */
export function stringifySequence(obj: SequenceParts): string {
  let hex: string;
  if (obj.version == null || obj.version === 2) {
    hex = [
      '2',
      hex9(obj.shardCreateTime),
      (obj.shardIx || 0).toString(16).slice(-1),
      `0000000000000000${BigInt(obj.seqIx || 0).toString(16)}`.slice(-16),
      obj.byte1 || '00',
      hex9(obj.seqTime || obj.shardCreateTime),
      shardIxToHex(obj.shardIx),
      '2',
    ].join('');
  } else if (obj.version === 1) {
    hex = [
      '2',
      hex9(obj.shardCreateTime),
      (obj.shardIx || 0).toString(16).slice(-1),
      obj.byte1 || '00',
      hex9(obj.seqTime || obj.shardCreateTime),
      obj.seqRand || '00000000000000',
      `0${(Number(obj.seqIx) || 0).toString(16)}`.slice(-2),
      shardIxToHex(obj.shardIx),
      '1',
    ].join('');
  } else if (obj.version === 0) {
    hex = ['1', hex9(obj.shardCreateTime), obj.byte1 || '00', obj.seqRand || '0000000000000000', shardIxToHex(obj.shardIx).slice(-4)].join('');
  } else {
    throw new Error(`Unknown version: ${obj.version}`);
  }
  return BigInt(`0x${hex}`).toString();
}

/** A 128-bit hash key with the one BigNumber method kinesalite's actions call on it. */
class HashKey {
  constructor(readonly value: bigint) {}

  comparedTo(other: unknown): number {
    const o = toBigInt(other);
    return this.value < o ? -1 : this.value > o ? 1 : 0;
  }

  toFixed(): string {
    return this.value.toString();
  }

  toString(base?: number): string {
    return this.value.toString(base);
  }
}

function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (v instanceof HashKey) return v.value;
  if (typeof v === 'object' && v !== null && typeof (v as { toFixed?: unknown }).toFixed === 'function') {
    return BigInt((v as { toFixed(): string }).toFixed());
  }
  return BigInt(String(v));
}

/** The same mapping as kinesalite's `partitionKeyToHashKey`: the MD5 of the key as a 128-bit number. */
export function partitionKeyToHashKey(partitionKey: string): HashKey {
  return new HashKey(BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`));
}

let applied = false;
/** The store `db.create` made last: kinesalite creates one per server, synchronously, and never exposes it. */
let createdStore: RecordStoreHost | undefined;

/**
 * Installs the BigInt helpers into kinesalite's `db` module, and the append-only record store
 * (`kinesis-record-store.ts`) into every store it creates from then on (once per process); returns the module.
 */
export function speedUpKinesalite(): KinesaliteDb {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const db = require('kinesalite/db') as KinesaliteDb;
  if (!applied) {
    db.parseSequence = parseSequence;
    db.stringifySequence = stringifySequence;
    db.partitionKeyToHashKey = partitionKeyToHashKey;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lock = require(require.resolve('lock', { paths: [require.resolve('kinesalite/db')] })) as { Lock(): unknown };
    const create = db.create;
    db.create = (options) => {
      const store = create(options);
      installRecordStore(store, () => lock.Lock());
      createdStore = store;
      return store;
    };
    applied = true;
  }
  return db;
}

/**
 * A kinesalite server with every speed-up: BigInt sequence numbers, the append-only record store, and GetRecords
 * served from that store (`kinesis-get-records.ts`). Not listening yet.
 */
export function fastKinesalite(options: Parameters<typeof kinesalite>[0]): Server {
  const db = speedUpKinesalite();
  createdStore = undefined;
  const server = kinesalite(options);
  const store = createdStore;
  if (!store) throw new Error('kinesalite did not create its store through db.create');
  serveGetRecordsFast(server, db as unknown as SequenceHelpers, store);
  return server;
}
