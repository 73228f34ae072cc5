/**
 * Shard iterators: opaque to clients, as on Kinesis; here the AES-encrypted text
 * `<created ms>/<stream>/<shard id>/<sequence number>/<reader>`, laid out as kinesalite lays out its own (so the
 * lengths and the answers to garbled iterators match). `reader` numbers the chain of iterators a reader follows:
 * GetShardIterator starts a chain, GetRecords continues it. It is how the emulator knows which records a reader has
 * not read yet (see `store.ts`).
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { KINESIS_LIMITS } from '../../facts/aws-limits';
import { invalidShardIterator, KinesisError } from './errors';

// A fixed key: iterators only need to be opaque and tamper-evident, not secret.
const KEY = Buffer.from('1133a5a833666b49abf28c8ba302930f0b2fb240dccd43cf4dfbc0ca91f17751', 'hex');
const IV = Buffer.from('7bf139dbabbea2d9995d6fcae1dff7da', 'hex');
const VERSION = Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]);
const READER_DIGITS = 36;

/** What an iterator says. */
export interface IteratorPosition {
  readonly createdMs: number;
  readonly streamName: string;
  readonly shardId: string;
  readonly shardIx: number;
  readonly sequenceNumber: string;
  readonly reader: number;
}

/** A new iterator at `sequenceNumber`, for reader chain `reader`. */
export function createShardIterator(streamName: string, shardId: string, sequenceNumber: string, reader: number, now: number): string {
  const text = [
    String(now).padStart(14, '0'),
    streamName,
    shardId,
    sequenceNumber,
    String(reader).padStart(READER_DIGITS, '0'),
  ].join('/');
  const cipher = createCipheriv('aes-256-cbc', KEY, IV);
  return Buffer.concat([VERSION, cipher.update(text, 'utf8'), cipher.final()]).toString('base64');
}

/** `Thu Jan 22 01:22:02 UTC 2015`, as Kinesis writes times in ExpiredIteratorException. */
function amzUtc(ms: number): string {
  const p = /^(.+), (.+) (.+) (.+) (.+) GMT$/.exec(new Date(ms).toUTCString())!;
  return [p[1], p[3], p[2], p[5], 'UTC', p[4]].join(' ');
}

/** Decodes an iterator: InvalidArgumentException if it is not one of ours, ExpiredIteratorException after 5 minutes. */
export function decodeShardIterator(iterator: string, now: number): IteratorPosition {
  const buffer = Buffer.from(iterator, 'base64');
  if (buffer.length < 152 || buffer.length > 280 || buffer.toString('base64') !== iterator) throw invalidShardIterator();
  if (!buffer.subarray(0, 8).equals(VERSION)) throw invalidShardIterator();
  let pieces: string[];
  try {
    const decipher = createDecipheriv('aes-256-cbc', KEY, IV);
    pieces = Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()]).toString('utf8').split('/');
  } catch {
    throw invalidShardIterator();
  }
  if (pieces.length !== 5) throw invalidShardIterator();
  const [time, streamName, shardId, sequenceNumber, reader] = pieces as [string, string, string, string, string];
  const createdMs = Number(time);
  const shardIx = parseInt(shardId.split('-')[1] ?? '', 10);
  if (!/^shardId-\d{12}$/.test(shardId) || !(shardIx >= 0 && shardIx < 2147483648)) throw invalidShardIterator();
  if (!(createdMs > 0 && createdMs <= now)) throw invalidShardIterator();
  if (!/[a-zA-Z0-9_.-]+/.test(streamName) || streamName.length > 128) throw invalidShardIterator();
  const ttl = KINESIS_LIMITS.shardIteratorTtlMillis;
  if (now - createdMs > ttl) {
    throw new KinesisError(
      'ExpiredIteratorException',
      `Iterator expired. The iterator was created at time ${amzUtc(createdMs)} while right now it is ${amzUtc(now)} ` +
        `which is further in the future than the tolerated delay of ${ttl} milliseconds.`,
    );
  }
  return { createdMs, streamName, shardId, shardIx, sequenceNumber, reader: Number(reader) || 0 };
}
