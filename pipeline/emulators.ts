/**
 * Embedded AWS emulators, run in-process: our own Kinesis Data Streams (`pipeline/kinesis/`) and s3rver (S3).
 *
 * Both speak the real wire protocols (Kinesis AWS JSON 1.1 and S3 REST), so the AWS SDK and the AWS CLI work
 * against them unchanged. They always listen on 127.0.0.1 at a port the OS picks unless one is given.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import S3rver = require('s3rver');
import { createKinesisServer, KinesisStore, type KinesisStoreOptions } from './kinesis/server';

/** The loopback address every emulator listens on: never all interfaces. */
export const EMULATOR_HOST = '127.0.0.1';

/** A running emulator: its endpoint URL for SDK clients and a way to stop it. */
export interface Emulator {
  /** `http://127.0.0.1:<port>`, for `endpoint` in SDK clients and `--endpoint-url` in the AWS CLI. */
  readonly endpoint: string;
  /** The port the emulator listens on. */
  readonly port: number;
  /** Closes the listener and every open connection; idempotent. */
  stop(): Promise<void>;
}

/**
 * Options for {@link startKinesis}: the store's (stream timings, shard limit, per-shard write limits, memory budget;
 * see `pipeline/kinesis/store.ts`) and a port.
 */
export interface KinesisEmulatorOptions extends KinesisStoreOptions {
  /** @default - 0: a free port chosen by the OS */
  readonly port?: number;
}

/** Options for {@link startS3}. */
export interface S3EmulatorOptions {
  /** @default - 0: a free port chosen by the OS */
  readonly port?: number;
  /** Where objects are stored. @default - a new temporary directory */
  readonly directory?: string;
  /**
   * Keep the data directory when the emulator stops.
   *
   * @default - false for a temporary directory (removed on stop); a given `directory` is always kept
   */
  readonly keepData?: boolean;
  /** Buckets to create at start. @default - none */
  readonly buckets?: readonly string[];
}

/** An S3 emulator also tells where it keeps the objects. */
export interface S3Emulator extends Emulator {
  /** The directory s3rver stores buckets and objects in. */
  readonly directory: string;
}

/**
 * Starts the embedded Kinesis (`pipeline/kinesis/`) in memory on 127.0.0.1.
 *
 * A new stream is CREATING until a timer fires (even at 0 ms) and PutRecords on it fails with
 * ResourceNotFoundException until then: wait for ACTIVE (`waitUntilStreamExists`) as on AWS. Records are trimmed by
 * retention and, beyond `memoryBudgetBytes`, once every live reader has passed them; `shardWriteLimits` enforces
 * Kinesis's per-shard write limits.
 *
 * Stopping it drops every stream. To simulate an endpoint that goes away and comes back with its data, put a
 * {@link startFaultProxy} in front of it.
 */
export async function startKinesis(opts: KinesisEmulatorOptions = {}): Promise<Emulator> {
  const store = new KinesisStore(opts);
  const server = createKinesisServer(store);
  const port = await listen(server, opts.port ?? 0);
  return {
    endpoint: `http://${EMULATOR_HOST}:${port}`,
    port,
    stop: once(async () => {
      await closeServer(server);
      store.close();
    }),
  };
}

/**
 * Starts s3rver on 127.0.0.1 with its objects in a directory (a fresh temporary one unless given), through its
 * documented `callback()` on our own HTTP server, which lets any access key in (see {@link asS3rverKey}).
 */
export async function startS3(opts: S3EmulatorOptions = {}): Promise<S3Emulator> {
  const directory = opts.directory ?? mkdtempSync(join(tmpdir(), 'nginx-kinesis-s3-'));
  mkdirSync(directory, { recursive: true });
  const removeOnStop = opts.directory === undefined && !opts.keepData;
  let server: Server;
  let port: number;
  try {
    const s3 = new S3rver({
      silent: true,
      allowMismatchedSignatures: true,
      directory,
      // Path-style only: virtual-host buckets would need *.localhost DNS.
      vhostBuckets: false,
      configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
    });
    await s3.configureBuckets();
    const handle = s3.callback();
    server = createServer((req, res) => {
      asS3rverKey(req);
      void handle(req, res);
    });
    port = await listen(server, opts.port ?? 0);
  } catch (err) {
    if (removeOnStop) rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://${EMULATOR_HOST}:${port}`,
    port,
    directory,
    stop: once(async () => {
      await closeServer(server);
      if (removeOnStop) rmSync(directory, { recursive: true, force: true });
    }),
  };
}

/** The one access key s3rver knows (its documented default credentials are `S3RVER` / `S3RVER`). */
const S3RVER_ACCESS_KEY = 'S3RVER';

/**
 * s3rver refuses any access key but its own with InvalidAccessKeyId. Like LocalStack and moto, accept any key, so the
 * same client (dummy `test` credentials or whatever is in the environment, the AWS CLI's included) works against every
 * emulator: the key a request names becomes s3rver's before the request reaches it, in a SigV4 or SigV2
 * Authorization header, or a presigned URL's `X-Amz-Credential` (SigV4) or `AWSAccessKeyId` (SigV2, what `aws s3
 * presign` makes for a custom endpoint). s3rver does not check SigV4 signatures; `allowMismatchedSignatures` makes it
 * accept SigV2 ones made with another secret too.
 */
export function asS3rverKey(req: IncomingMessage): void {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    req.headers.authorization = auth
      .replace(/^(AWS4-HMAC-SHA256 .*?\bCredential=)[^/,\s]*/, `$1${S3RVER_ACCESS_KEY}`)
      .replace(/^AWS [^:\s]*:/, `AWS ${S3RVER_ACCESS_KEY}:`);
  } else if (req.url !== undefined) {
    req.url = req.url.replace(/([?&](?:X-Amz-Credential|AWSAccessKeyId)=)[^&%/]*/, `$1${S3RVER_ACCESS_KEY}`);
  }
}

/** The suffix s3rver gives the file holding an object's bytes: `<directory>/<bucket>/<key>._S3rver_object`. */
export const S3RVER_OBJECT_SUFFIX = '._S3rver_object';

/**
 * The objects under `prefix` in an s3rver directory, as files to read in place (no copy through the S3 API): s3rver
 * keeps each object's bytes at `<directory>/<bucket>/<key>._S3rver_object` (POSIX paths; keys are not re-encoded).
 */
export function listStoredObjects(directory: string, bucket: string, prefix = ''): { key: string; path: string }[] {
  const root = join(directory, bucket);
  if (!existsSync(root)) throw new Error(`bucket ${bucket} is not in the S3 emulator's directory ${directory}`);
  // Start from the deepest folder the prefix names, so a bucket with much else in it is not walked whole.
  const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
  const out: { key: string; path: string }[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(S3RVER_OBJECT_SUFFIX)) {
        const key = relative(root, path).split(sep).join('/').slice(0, -S3RVER_OBJECT_SUFFIX.length);
        if (key.startsWith(prefix)) out.push({ key, path });
      }
    }
  };
  walk(join(root, folder));
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Listens on 127.0.0.1 and resolves with the bound port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, EMULATOR_HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes a server without waiting for keep-alive clients to hang up. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}
