/**
 * GetRecords for the embedded Kinesis, served straight from the append-only record store.
 *
 * kinesalite's own GetRecords passes every record through a chain of `lazy` event emitters, parses its 56-digit
 * sequence number, and adds and deletes properties (which turns each record into a slow dictionary-mode object for
 * JSON.stringify). Profiled under `npm start`, serving a record cost the emulator more than storing it. This path
 * answers the common request (a valid JSON GetRecords on an open shard whose records are within retention) with
 * kinesalite's exact results at a fraction of the cost, and hands every other request — errors, CBOR, expired
 * records, closed shards — to kinesalite untouched. `__tests__/firehose/kinesis-get-records.test.ts` compares it with
 * kinesalite's action on the same store.
 */
import { createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { StreamRecordStore, type Stored } from './kinesis-record-store';

const AMZ_JSON = 'application/x-amz-json-1.1';
const TARGET = 'Kinesis_20131202.GetRecords';
const MAX_LIMIT = 10_000;

/** The kinesalite `db` helpers this path shares with kinesalite's own GetRecords. */
export interface SequenceHelpers {
  parseSequence(seq: string): { seqTime?: number };
  incrementSequence(seqObj: object, seqTime?: number | null): string;
  createShardIterator(streamName: string, shardId: string, seq: string): string;
  shardIxToHex(shardIx: number): string;
  ITERATOR_PWD_KEY: Buffer;
  ITERATOR_PWD_IV: Buffer;
}

/** The stream metadata fields GetRecords reads. */
interface StreamMeta {
  RetentionPeriodHours: number;
  Shards: { SequenceNumberRange: { EndingSequenceNumber?: string } }[];
}

/** The part of kinesalite's store GetRecords uses. */
export interface RecordStoreHost {
  getStream(name: string, cb: (err: Error | null | undefined, stream: StreamMeta) => void): void;
  getStreamDb(name: string): unknown;
}

/** A GetRecords response: its fields, and its body as the emulator sends it. */
export interface GetRecordsOutput {
  MillisBehindLatest: number;
  NextShardIterator: string;
  /** The JSON body, records written straight from the store. */
  body(): Buffer;
}

/** A decoded shard iterator, or undefined where kinesalite would answer with an error. */
function decodeIterator(db: SequenceHelpers, iterator: string, now: number): { streamName: string; shardId: string; shardIx: number; seqNo: string } | undefined {
  const buffer = Buffer.from(iterator, 'base64');
  if (buffer.length < 152 || buffer.length > 280 || buffer.toString('base64') !== iterator) return undefined;
  if (buffer.subarray(0, 8).toString('hex') !== '0000000000000001') return undefined;
  let pieces: string[];
  try {
    const decipher = createDecipheriv('aes-256-cbc', db.ITERATOR_PWD_KEY, db.ITERATOR_PWD_IV);
    pieces = Buffer.concat([decipher.update(buffer.subarray(8)), decipher.final()]).toString('utf8').split('/');
  } catch {
    return undefined;
  }
  if (pieces.length !== 5) return undefined;
  const [time, streamName, shardId, seqNo] = pieces as [string, string, string, string];
  const iteratorTime = Number(time);
  const shardIx = parseInt(shardId.split('-')[1] ?? '', 10);
  if (!/^shardId-\d{12}$/.test(shardId) || !(shardIx >= 0 && shardIx < 2147483648)) return undefined;
  // Expired (over 300 s old) or from the future: kinesalite's error messages.
  if (!(iteratorTime > 0 && iteratorTime <= now) || now - iteratorTime > 300_000) return undefined;
  if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(streamName)) return undefined;
  return { streamName, shardId, shardIx, seqNo };
}

/**
 * Serves a GetRecords request the way kinesalite's action does, calling back with its response, or with undefined
 * for every case this path leaves to kinesalite (an error to report, records past retention to delete, a closed
 * shard). `data` has passed kinesalite's request validation (ShardIterator 1–512 characters, Limit 1–10,000).
 */
export function getRecords(
  db: SequenceHelpers,
  store: RecordStoreHost,
  data: { ShardIterator: string; Limit?: number },
  cb: (out: GetRecordsOutput | undefined) => void,
): void {
  const now = Date.now();
  const it = decodeIterator(db, data.ShardIterator, now);
  if (!it) return cb(undefined);
  let seqObj: { seqTime?: number };
  try {
    seqObj = db.parseSequence(it.seqNo);
  } catch {
    return cb(undefined);
  }
  store.getStream(it.streamName, (err, stream) => {
    const records = err ? undefined : store.getStreamDb(it.streamName);
    if (!(records instanceof StreamRecordStore) || it.shardIx >= stream.Shards.length) return cb(undefined);
    const found = records.slice(
      { gte: `${db.shardIxToHex(it.shardIx)}/${it.seqNo}`, lt: db.shardIxToHex(it.shardIx + 1) },
      data.Limit || MAX_LIMIT,
    );
    if (found.length === 0 && stream.Shards[it.shardIx]!.SequenceNumberRange.EndingSequenceNumber) return cb(undefined);
    // A sequence number carries its arrival second, which is what kinesalite compares with the retention cutoff.
    const cutoff = now - stream.RetentionPeriodHours * 3_600_000;
    for (const v of found) {
      const arrival = typeof v === 'number' ? records.arena.arrivalOf(v) : (records.value(v) as { ApproximateArrivalTimestamp?: unknown }).ApproximateArrivalTimestamp;
      if (typeof arrival !== 'number' || Math.floor(arrival) * 1000 < cutoff) return cb(undefined);
    }
    const last = found[found.length - 1];
    const nextSeq = last !== undefined
      ? db.incrementSequence(db.parseSequence(records.sequence(last)), null)
      : db.incrementSequence(seqObj, Math.max(now, seqObj.seqTime ?? 0));
    const NextShardIterator = db.createShardIterator(it.streamName, it.shardId, nextSeq);
    cb({ MillisBehindLatest: 0, NextShardIterator, body: () => responseBody(records, NextShardIterator, found) });
  });
}

/**
 * `{"MillisBehindLatest":0,"NextShardIterator":…,"Records":[…]}` in one buffer: packed records are copied from the
 * arena, any other value is serialised as kinesalite would (its fields, then SequenceNumber).
 */
function responseBody(records: StreamRecordStore, iterator: string, found: readonly Stored[]): Buffer {
  const head = `{"MillisBehindLatest":0,"NextShardIterator":${JSON.stringify(iterator)},"Records":[`;
  const others = new Map<number, string>();
  let size = Buffer.byteLength(head) + 2 + found.length;
  for (let i = 0; i < found.length; i++) {
    const v = found[i]!;
    if (typeof v === 'number') {
      size += records.arena.jsonLength(v);
    } else {
      const json = JSON.stringify({ ...(records.value(v) as object), SequenceNumber: records.sequence(v) });
      others.set(i, json);
      size += Buffer.byteLength(json);
    }
  }
  const out = Buffer.allocUnsafe(size);
  let pos = out.write(head, 0, 'utf8');
  for (let i = 0; i < found.length; i++) {
    if (i > 0) out[pos++] = 0x2c; // ,
    const v = found[i]!;
    pos = typeof v === 'number' ? records.arena.writeJson(v, out, pos) : pos + out.write(others.get(i)!, pos, 'utf8');
  }
  pos += out.write(']}', pos, 'latin1');
  return out.subarray(0, pos);
}

type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A request kinesalite would accept up to its action: POST, AWS JSON 1.1, GetRecords, signed in a header. */
function isPlainGetRecords(req: IncomingMessage): boolean {
  const h = req.headers;
  if (req.method !== 'POST' || h.origin !== undefined || req.url?.includes('?')) return false;
  if (h['x-amz-target'] !== TARGET || (h['content-type'] ?? '').split(';')[0]!.trim() !== AMZ_JSON) return false;
  const auth = h.authorization;
  if (!auth || (!h['x-amz-date'] && !h.date)) return false;
  const params = new Set(auth.split(/,| /).slice(1).filter(Boolean).map((x) => x.trim().split('=')[0]));
  return params.has('Credential') && params.has('Signature') && params.has('SignedHeaders');
}

/** The request body if it is exactly `{ShardIterator, Limit?}` with valid values; undefined for kinesalite to judge. */
function parseBody(body: Buffer): { ShardIterator: string; Limit?: number } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const { ShardIterator, Limit, ...rest } = data as { ShardIterator?: unknown; Limit?: unknown };
  if (Object.keys(rest).length > 0) return undefined;
  if (typeof ShardIterator !== 'string' || ShardIterator.length < 1 || ShardIterator.length > 512) return undefined;
  if (Limit === undefined) return { ShardIterator };
  if (typeof Limit !== 'number' || !Number.isInteger(Limit) || Limit < 1 || Limit > MAX_LIMIT) return undefined;
  return { ShardIterator, Limit };
}

/** Hands a request whose body was already read to kinesalite's handler, as if it came off the socket. */
function replay(handler: RequestHandler, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const copy = Object.assign(new PassThrough(), { headers: req.headers, method: req.method, url: req.url, httpVersion: req.httpVersion });
  handler(copy as unknown as IncomingMessage, res);
  if (body.length > 0) copy.end(body);
  else copy.end();
}

/**
 * Puts the fast GetRecords path in front of a kinesalite server's request handler. `store` is the store kinesalite
 * created for this server (with the record store installed); everything but plain GetRecords goes to kinesalite.
 */
export function serveGetRecordsFast(server: Server, db: SequenceHelpers, store: RecordStoreHost): void {
  const handlers = server.listeners('request') as RequestHandler[];
  if (handlers.length !== 1) throw new Error(`expected kinesalite's one request handler, found ${handlers.length}`);
  const kinesalite = handlers[0]!;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!isPlainGetRecords(req)) {
      kinesalite(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const data = parseBody(body);
      if (!data) return replay(kinesalite, req, res, body);
      getRecords(db, store, data, (out) => {
        if (!out) return replay(kinesalite, req, res, body);
        const json = out.body();
        res.statusCode = 200;
        res.setHeader('x-amzn-RequestId', randomUUID());
        res.setHeader('x-amz-id-2', randomBytes(72).toString('base64'));
        res.setHeader('Content-Type', AMZ_JSON);
        res.setHeader('Content-Length', json.length);
        res.end(json);
      });
    });
  });
}
