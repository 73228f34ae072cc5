/**
 * Sequence numbers, shard ids and hash keys of the embedded Kinesis, in kinesalite's scheme with native BigInt.
 *
 * A version-2 sequence number is one 185-bit number whose hex digits are: `2`, the shard's creation time in seconds
 * (9), the shard index's last hex digit, a 16-digit counter (`seqIx`), `00`, the record's arrival second (9), the
 * shard index (8), `2`. Within a shard only the counter and the arrival second vary, counter first, so numbers order
 * as the records were written; an iterator's "next" number (the last record's counter, its second + 1) sorts after
 * that record and before the next one.
 */
import { createHash } from 'node:crypto';

/** The fields of a sequence number. */
export interface SequenceParts {
  /** Milliseconds; encoded in seconds. */
  shardCreateTime: number;
  seqIx?: bigint | number | string;
  byte1?: string;
  /** Milliseconds; encoded in seconds. */
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

/** Parses a sequence number of any of kinesalite's three versions; throws on anything else. */
export function parseSequence(seq: string): SequenceParts & { seqIx?: string | number } {
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

/** The shard index as 8 hex digits. */
export const shardIxToHex = (shardIx: number | undefined): string => `0000000${(shardIx || 0).toString(16)}`.slice(-8);
const hex9 = (ms: number): string => `00000000${Math.floor(ms / 1000).toString(16)}`.slice(-9);

/** Encodes a sequence number (version 2 unless told). */
export function stringifySequence(obj: SequenceParts): string {
  let hex: string;
  if (obj.version == null || obj.version === 2) {
    hex =
      '2' +
      hex9(obj.shardCreateTime) +
      (obj.shardIx || 0).toString(16).slice(-1) +
      `0000000000000000${BigInt(obj.seqIx || 0).toString(16)}`.slice(-16) +
      (obj.byte1 || '00') +
      hex9(obj.seqTime || obj.shardCreateTime) +
      shardIxToHex(obj.shardIx) +
      '2';
  } else if (obj.version === 1) {
    hex =
      '2' +
      hex9(obj.shardCreateTime) +
      (obj.shardIx || 0).toString(16).slice(-1) +
      (obj.byte1 || '00') +
      hex9(obj.seqTime || obj.shardCreateTime) +
      (obj.seqRand || '00000000000000') +
      `0${(Number(obj.seqIx) || 0).toString(16)}`.slice(-2) +
      shardIxToHex(obj.shardIx) +
      '1';
  } else if (obj.version === 0) {
    hex = '1' + hex9(obj.shardCreateTime) + (obj.byte1 || '00') + (obj.seqRand || '0000000000000000') + shardIxToHex(obj.shardIx).slice(-4);
  } else {
    throw new Error(`Unknown version: ${obj.version}`);
  }
  return BigInt(`0x${hex}`).toString();
}

/** The sequence number just after `seq` (same counter, a later second): where a reader continues. */
export function incrementSequence(seq: SequenceParts | string, seqTime?: number | null): string {
  const s = typeof seq === 'string' ? parseSequence(seq) : seq;
  return stringifySequence({
    shardCreateTime: s.shardCreateTime,
    seqIx: s.seqIx,
    seqTime: seqTime || (s.seqTime ?? 0) + 1000,
    shardIx: s.shardIx,
  });
}

/** `shardId-000000000003`. */
export function shardIdName(shardIx: number): string {
  return `shardId-${shardIx < 0 ? '-' : ''}${`00000000000${Math.abs(shardIx)}`.slice(shardIx < 0 ? -11 : -12)}`;
}

/** The index of a shard id as Kinesis accepts it (`shardId-000000000001`, `shardId-1`, `1`); throws if invalid. */
export function resolveShardId(shardId: string): { shardId: string; shardIx: number } {
  const tail = shardId.split('-')[1] || shardId;
  const shardIx = /^\d+$/.test(tail) ? parseInt(tail, 10) : NaN;
  if (!(shardIx >= 0 && shardIx <= 2147483647)) throw new Error('INVALID_SHARD_ID');
  return { shardId: shardIdName(shardIx), shardIx };
}

/** A partition key's 128-bit hash key as 32 hex digits (MD5 of its UTF-8 bytes), comparable as a string. */
export function partitionKeyToHashHex(partitionKey: string): string {
  return createHash('md5').update(partitionKey, 'utf8').digest('hex');
}

/** A 128-bit number as 32 hex digits, comparable as a string with {@link partitionKeyToHashHex}. */
export function hashHex(n: bigint): string {
  return n.toString(16).padStart(32, '0');
}
