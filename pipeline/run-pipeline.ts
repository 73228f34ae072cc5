/**
 * The machinery of `npm start`: embedded (or external) Kinesis and S3, the stream and bucket as the synthesized stack
 * defines them, the shipper, and the local Firehose with the bundled parser Lambda. `bin/start.ts` is its CLI;
 * the end-to-end tests and the pipeline benchmark call it directly.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { kinesisClient, s3Client } from './clients';
import { startKinesis, startS3, type Emulator, type KinesisEmulatorOptions } from './emulators';
import { LocalFirehose, loadHandler, type FirehoseStats } from './firehose/firehose';
import { FirehoseThread, firehoseWorkerScript } from './firehose/thread';
import { Shipper, type ShipperStats } from './agent/shipper';
import { projectRoot, type PipelineConfig } from './stack-config';
import { dirname } from 'node:path';

/** Options of {@link runPipeline}. */
export interface RunPipelineOptions {
  readonly config: PipelineConfig;
  /** The log file to ship. */
  readonly input: string;
  /** The parser bundle (`dist/nginx-parser/index.js`). */
  readonly bundlePath: string;
  /** Tail the file through rotation until `signal` aborts. @default false: ship the file, deliver, end */
  readonly follow?: boolean;
  /** Kinesis endpoint to use instead of the embedded Kinesis (LocalStack, moto). */
  readonly kinesisEndpoint?: string;
  /**
   * Options of the embedded Kinesis (ignored with `kinesisEndpoint`), e.g. `{ shardWriteLimits: true }`.
   * @default - its defaults: no per-shard write limits, a 64 MiB memory budget
   */
  readonly kinesisOptions?: KinesisEmulatorOptions;
  /** S3 endpoint to use instead of the embedded s3rver. */
  readonly s3Endpoint?: string;
  /**
   * Where the embedded s3rver keeps the objects, kept when it stops, so they can be read afterwards (`npm run query
   * -- --dir`). @default - a temporary directory, removed when the emulators stop
   */
  readonly s3Directory?: string;
  /** Shipper checkpoint file, so a restart neither loses nor duplicates lines. @default - none */
  readonly checkpointFile?: string;
  /** Stops a `follow` run (or a long one): the shipper flushes, the Firehose drains, everything stops. */
  readonly signal?: AbortSignal;
  /** Keep the embedded emulators running after delivery; the caller stops them with `stopEmulators`. */
  readonly keepEmulators?: boolean;
  /** Periodic counters for progress displays. */
  readonly onProgress?: (p: Progress) => void;
  readonly progressIntervalMs?: number;
  readonly onWarning?: (message: string) => void;
  /** The parser Lambda's console output (CloudWatch Logs on AWS). @default - this process's console */
  readonly onLambdaLog?: (line: string) => void;
  /**
   * Start the Firehose only once shipping is done (ship → deliver), instead of alongside the shipper: for endpoints
   * that are not safe under concurrent reads and writes (moto_server).
   * @default false
   */
  readonly deliverAfterShipping?: boolean;
  /**
   * Run the local Firehose, and the embedded S3, on a worker thread (`dist/app/bin/firehose-worker.js`, from
   * `npm run build`) beside the shipper and the embedded Kinesis instead of on their thread (see
   * `firehose/thread.ts`; the README has the figures). `false` runs everything on this thread.
   * @default true
   */
  readonly firehoseThread?: boolean;
  /**
   * PutRecords calls the shipper keeps in flight. moto_server needs 1: with concurrent PutRecords it acknowledges
   * records it never stores (observed: 11 of 5,000).
   * @default - the shipper's default (2)
   */
  readonly shipperMaxInFlight?: number;
  /** Shipper's buffer age: a live tail sends lines within this time. @default - 1000 ms with follow, 60 s otherwise */
  readonly shipperBufferAgeMillis?: number;
  /**
   * Ship one line per record, as the Kinesis Agent does, instead of many lines per record checked against the
   * stack's LOG_FORMAT (our agent's default).
   * @default false
   */
  readonly oneLinePerRecord?: boolean;
}

/** A snapshot for progress displays. */
export interface Progress {
  readonly elapsedMs: number;
  readonly shipper: Readonly<ShipperStats>;
  readonly firehose: Readonly<FirehoseStats>;
}

/** What a run reports: the summary people read and the JSON line scripts parse. */
export interface RunSummary {
  readonly endpoints: { readonly kinesis: string; readonly s3: string };
  readonly region: string;
  readonly stream: string;
  readonly bucket: string;
  readonly deliveryStream: string;
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  readonly compressionFormat: string;
  readonly linesIn: number;
  /** Kinesis records: one per line, or many lines each when aggregating. */
  readonly recordsShipped: number;
  readonly linesShipped: number;
  readonly recordsOk: number;
  readonly recordsFailed: number;
  readonly recordsDropped: number;
  readonly objects: number;
  readonly errorObjects: number;
  readonly bytesWritten: number;
  readonly s3Retries: number;
  readonly kinesisRetries: number;
  readonly elapsedMs: number;
  /** From the start of shipping to the first object in S3. */
  readonly firstObjectMs?: number;
  readonly keys: readonly string[];
}

/** A finished run, plus the emulators when asked to keep them. */
export interface RunResult {
  readonly summary: RunSummary;
  /** Stops embedded emulators kept with `keepEmulators`; a no-op otherwise. */
  stopEmulators(): Promise<void>;
}

/** Runs ship → stream → Firehose → Lambda → S3 once, to the end of the input (or until `signal` with `follow`). */
export async function runPipeline(opts: RunPipelineOptions): Promise<RunResult> {
  const { config } = opts;
  if (config.bucket.includes('${')) {
    throw new Error(`bucket name "${config.bucket}" is only known after terraform apply; use the localstack stack`);
  }
  const emulators: Emulator[] = [];
  const stopEmulators = async (): Promise<void> => {
    await Promise.all(emulators.splice(0).map((e) => e.stop()));
  };
  let kinesis: KinesisClient | undefined;
  let s3: S3Client | undefined;
  let firehose: LocalFirehose | FirehoseThread | undefined;
  /** The Firehose's thread when it hosts no emulator: it ends with the run. */
  let threadToClose: FirehoseThread | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const kinesisEndpoint = opts.kinesisEndpoint ?? (await started(emulators, startKinesis(opts.kinesisOptions))).endpoint;
    let s3Endpoint: string;
    if (opts.firehoseThread !== false) {
      // The thread also runs the embedded S3 (unless given an endpoint): only the Firehose writes to it.
      const { thread, s3: where } = await FirehoseThread.open({
        script: firehoseWorkerScript(projectRoot(dirname(opts.bundlePath))),
        config,
        kinesisEndpoint,
        s3Endpoint: opts.s3Endpoint,
        s3Directory: opts.s3Directory,
        bundlePath: opts.bundlePath,
        onWarning: opts.onWarning,
        onLambdaLog: opts.onLambdaLog,
      });
      firehose = thread;
      s3Endpoint = where.endpoint;
      if (where.embedded) emulators.push({ endpoint: where.endpoint, port: where.port, stop: () => thread.close() });
      else threadToClose = thread;
    } else {
      s3Endpoint = opts.s3Endpoint ?? (await started(emulators, startS3({ directory: opts.s3Directory }))).endpoint;
    }
    kinesis = kinesisClient({ endpoint: kinesisEndpoint, region: config.region, maxAttempts: 1 });
    s3 = s3Client({ endpoint: s3Endpoint, region: config.region, maxAttempts: 1 });
    await ensureStream(kinesis, config, opts.onWarning);
    await ensureBucket(s3, config.bucket, config.region);

    if (!firehose) {
      const handler = config.delivery.processor ? loadHandler(opts.bundlePath, config.lambda?.environment ?? {}) : undefined;
      firehose = new LocalFirehose({ config, kinesis, s3, handler, onWarning: opts.onWarning, onLambdaLog: opts.onLambdaLog });
    }
    if (!opts.deliverAfterShipping) await firehose.start();

    const shipper = new Shipper({
      client: kinesis,
      streamName: config.stream.name,
      file: opts.input,
      follow: opts.follow,
      checkpointFile: opts.checkpointFile,
      maxInFlightBatches: opts.shipperMaxInFlight,
      maxBufferAgeMillis: opts.shipperBufferAgeMillis ?? (opts.follow ? 1_000 : 60_000),
      signal: opts.signal,
      aggregate: opts.oneLinePerRecord ? undefined : { logFormat: config.lambda?.logFormat },
    });
    const startedAt = Date.now();
    const fh = firehose;
    if (opts.onProgress) {
      const report = (): void =>
        opts.onProgress!({ elapsedMs: Date.now() - startedAt, shipper: shipper.stats, firehose: fh.stats });
      ticker = setInterval(report, opts.progressIntervalMs ?? 250);
    }
    const shipped = await shipper.run();
    if (opts.deliverAfterShipping) await firehose.start();
    await firehose.drain();
    const elapsedMs = Date.now() - startedAt;
    const s = firehose.stats;
    const summary: RunSummary = {
      endpoints: { kinesis: kinesisEndpoint, s3: s3Endpoint },
      region: config.region,
      stream: config.stream.name,
      bucket: config.bucket,
      deliveryStream: config.delivery.name,
      prefix: config.delivery.prefix,
      errorOutputPrefix: config.delivery.errorOutputPrefix,
      compressionFormat: config.delivery.compressionFormat,
      linesIn: shipped.linesRead,
      recordsShipped: shipped.recordsShipped,
      linesShipped: shipped.linesShipped,
      recordsOk: s.recordsOk,
      recordsFailed: s.recordsFailed,
      recordsDropped: s.recordsDropped,
      objects: firehose.objects.filter((o) => o.kind === 'main').length,
      errorObjects: firehose.objects.filter((o) => o.kind === 'error').length,
      bytesWritten: s.bytesWritten,
      s3Retries: s.s3Retries,
      kinesisRetries: shipped.retries,
      elapsedMs,
      firstObjectMs: s.firstObjectAt === undefined ? undefined : s.firstObjectAt - startedAt,
      keys: firehose.objects.map((o) => o.key),
    };
    if (ticker) opts.onProgress!({ elapsedMs, shipper: shipper.stats, firehose: s });
    return { summary, stopEmulators: opts.keepEmulators ? stopEmulators : async () => undefined };
  } catch (err) {
    await firehose?.stop().catch(() => undefined);
    throw err;
  } finally {
    if (ticker) clearInterval(ticker);
    kinesis?.destroy();
    s3?.destroy();
    await threadToClose?.close();
    if (!opts.keepEmulators) await stopEmulators();
  }
}

async function started<T extends Emulator>(list: Emulator[], emulator: Promise<T>): Promise<T> {
  const e = await emulator;
  list.push(e);
  return e;
}

/** Creates the stream as the stack defines it (or accepts an existing one) and waits until it is ACTIVE. */
export async function ensureStream(kinesis: KinesisClient, config: PipelineConfig, warn?: (m: string) => void): Promise<void> {
  const { name, shardCount, onDemand } = config.stream;
  try {
    if (onDemand) {
      try {
        await kinesis.send(new CreateStreamCommand({ StreamName: name, StreamModeDetails: { StreamMode: 'ON_DEMAND' } }));
      } catch (err) {
        if (errorName(err) === 'ResourceInUseException') throw err;
        // The embedded Kinesis (like kinesalite) has no on-demand mode: 4 shards is what AWS provisions for a new on-demand stream.
        warn?.(`the Kinesis endpoint has no on-demand mode (${errorName(err)}); creating ${name} with 4 shards`);
        await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4 }));
      }
    } else {
      await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
    }
  } catch (err) {
    if (errorName(err) !== 'ResourceInUseException') throw err;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const out = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (out.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${name} did not become ACTIVE within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates the bucket, or accepts it when it already exists (a stack applied with terraform, a second run). */
export async function ensureBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // Outside us-east-1 S3 (and moto) require the region as the location constraint.
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (err) {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(errorName(err))) throw err;
  }
}

function errorName(err: unknown): string {
  return (err as { name?: string }).name ?? String(err);
}
