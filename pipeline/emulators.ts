/**
 * Embedded AWS emulators, run in-process: our own Kinesis Data Streams (`pipeline/kinesis/`) and s3rver (S3).
 *
 * Both speak the real wire protocols (Kinesis AWS JSON 1.1 and S3 REST), so the AWS SDK and the AWS CLI work
 * against them unchanged. They always listen on 127.0.0.1 at a port the OS picks unless one is given.
 */
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** Starts s3rver on 127.0.0.1 with its objects in a directory (a fresh temporary one unless given). */
export async function startS3(opts: S3EmulatorOptions = {}): Promise<S3Emulator> {
  const directory = opts.directory ?? mkdtempSync(join(tmpdir(), 'nginx-kinesis-s3-'));
  mkdirSync(directory, { recursive: true });
  const removeOnStop = opts.directory === undefined && !opts.keepData;
  acceptAnyS3AccessKey();
  const s3 = new S3rver({
    address: EMULATOR_HOST,
    port: opts.port ?? 0,
    silent: true,
    directory,
    // Path-style only: virtual-host buckets would need *.localhost DNS.
    vhostBuckets: false,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  let address: AddressInfo;
  try {
    address = await s3.run();
  } catch (err) {
    if (removeOnStop) rmSync(directory, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: `http://${EMULATOR_HOST}:${address.port}`,
    port: address.port,
    directory,
    stop: once(async () => {
      const server = s3.httpServer;
      if (server) await closeServer(server);
      if (removeOnStop) rmSync(directory, { recursive: true, force: true });
    }),
  };
}

/**
 * s3rver does not verify SigV4 signatures but rejects any access key other than its own `S3RVER` with
 * InvalidAccessKeyId. Like LocalStack and moto, accept any key, so the same client (dummy `test` credentials or
 * whatever is in the environment) works against every emulator.
 */
function acceptAnyS3AccessKey(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const accounts = require('s3rver/lib/models/account') as {
    registry: Map<string, unknown>;
    DUMMY_ACCOUNT: unknown;
  };
  const registry = accounts.registry;
  if ((registry as { anyKey?: boolean }).anyKey) return;
  const get = registry.get.bind(registry);
  registry.get = (key: string) => get(key) ?? accounts.DUMMY_ACCOUNT;
  (registry as { anyKey?: boolean }).anyKey = true;
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
