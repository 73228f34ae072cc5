/**
 * The local Firehose on a thread of its own: a worker thread of `npm start`'s process that reads the stream with its
 * own SDK clients, invokes the parser bundle and writes to S3, while the main thread ships lines and runs the
 * embedded emulators.
 *
 * On AWS, Firehose is a service of its own and costs the web host nothing. Here it is the larger half of the work
 * (every record is read back, decoded, transformed, checked and written again), and on one thread it halved the rate
 * the embedded Kinesis takes lines at; on a second core it runs beside the shipper instead of in its way.
 *
 * The embedded S3 (s3rver) runs on that thread too unless an S3 endpoint is given: it only serves the Firehose's
 * writes, and receiving, hashing and storing every object was about a third of what the main thread did beyond what
 * a bare PutRecords run does (profiled).
 *
 * `FirehoseThread` (main thread) and `serveFirehoseThread` (the worker, started from `bin/firehose-worker.ts`) speak
 * a small protocol: ready (the S3 endpoint), then start, drain or stop, and close, each answered once; and a progress
 * update every 100 ms with the counters, warnings and the Lambda's console lines.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type MessagePort } from 'node:worker_threads';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { kinesisClient, s3Client } from '../clients';
import { startS3, type S3Emulator } from '../emulators';
import { LocalFirehose, loadHandler, newFirehoseStats, type DeliveredObject, type FirehoseStats } from './firehose';
import type { PipelineConfig } from '../stack-config';

/**
 * The worker's young generation, in MB: V8 makes it three semi-spaces, so 8 MB ones instead of its default 16. The
 * worker allocates fast and keeps little, so smaller semi-spaces lower the peak RSS at the same rate and CPU. The main
 * thread keeps the default: there smaller semi-spaces promote enough short-lived data to multiply its full
 * collections and cost the end-to-end rate. Smaller still saved nothing more (docs/performance.md).
 */
const FIREHOSE_YOUNG_GENERATION_MB = 24;

/** What the worker is started with (copied into it: plain data only). */
export interface FirehoseThreadData {
  readonly config: PipelineConfig;
  readonly kinesisEndpoint: string;
  /** @default - an embedded s3rver on this thread, stopped by `close()` */
  readonly s3Endpoint?: string;
  /** Where the embedded s3rver keeps the objects; kept after `close()`. @default - a temporary directory, removed */
  readonly s3Directory?: string;
  /** The parser bundle the stack deploys. */
  readonly bundlePath: string;
  /** Send the Lambda's console lines to the main thread (`onLambdaLog`) instead of this process's console. */
  readonly forwardLambdaLog: boolean;
}

type Request =
  | { readonly type: 'start' }
  | { readonly type: 'drain'; readonly timeoutMs?: number }
  | { readonly type: 'stop' }
  | { readonly type: 'close' };

interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

type Reply =
  | { readonly type: 'update'; readonly stats: FirehoseStats; readonly warnings: string[]; readonly lambdaLog: string[] }
  | { readonly type: 'ready'; readonly s3: S3Endpoint; readonly error?: SerializedError }
  | { readonly type: 'started'; readonly error?: SerializedError }
  | { readonly type: 'stopped'; readonly objects: DeliveredObject[]; readonly error?: SerializedError }
  | { readonly type: 'closed'; readonly error?: SerializedError };

type Answer = Exclude<Reply['type'], 'update'>;

/** Where the Firehose writes: the given endpoint, or the embedded s3rver on its thread. */
export interface S3Endpoint {
  readonly endpoint: string;
  readonly port: number;
  /** s3rver on the Firehose's thread: it stops with `close()`. */
  readonly embedded: boolean;
}

/** The bundled worker entry point, present after `npm run build` (or synth). */
export function firehoseWorkerScript(projectDir: string): string {
  return join(projectDir, 'dist', 'app', 'bin', 'firehose-worker.js');
}

/** Options of {@link FirehoseThread}. */
export interface FirehoseThreadOptions extends Omit<FirehoseThreadData, 'forwardLambdaLog'> {
  /** The worker script, {@link firehoseWorkerScript}. */
  readonly script: string;
  readonly onWarning?: (message: string) => void;
  /** The Lambda's console lines. @default - the Lambda writes to this process's console */
  readonly onLambdaLog?: (line: string) => void;
}

/**
 * The main thread's handle on the worker: the same calls and counters as a {@link LocalFirehose}, plus the S3
 * endpoint it writes to and `close()`, which ends the thread (and the embedded S3 with it).
 */
export class FirehoseThread {
  /** The worker's counters, as of its last update (every 100 ms, and with every answer). */
  stats: Readonly<FirehoseStats> = newFirehoseStats();
  /** The objects written, known once the Firehose has stopped. */
  objects: readonly DeliveredObject[] = [];

  private readonly worker: Worker;
  private readonly waiting = new Map<Answer, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private readonly exited: Promise<void>;
  private failure: Error | undefined;
  private stopped: Promise<void> | undefined;
  private closed: Promise<void> | undefined;

  /** Starts the thread (and the embedded S3 unless `s3Endpoint` is given); resolves once it is ready. */
  static async open(opts: FirehoseThreadOptions): Promise<{ thread: FirehoseThread; s3: S3Endpoint }> {
    const thread = new FirehoseThread(opts);
    try {
      const ready = await thread.request(undefined, 'ready');
      return { thread, s3: (ready as Extract<Reply, { type: 'ready' }>).s3 };
    } catch (err) {
      await thread.close().catch(() => undefined);
      throw err;
    }
  }

  private constructor(private readonly opts: FirehoseThreadOptions) {
    if (!existsSync(opts.script)) throw new Error(`${opts.script} is missing: run \`npm run build\` first`);
    const data: FirehoseThreadData = {
      config: opts.config,
      kinesisEndpoint: opts.kinesisEndpoint,
      s3Endpoint: opts.s3Endpoint,
      s3Directory: opts.s3Directory,
      bundlePath: opts.bundlePath,
      forwardLambdaLog: opts.onLambdaLog !== undefined,
    };
    this.worker = new Worker(opts.script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: FIREHOSE_YOUNG_GENERATION_MB } });
    this.worker.on('message', (reply: Reply) => this.receive(reply));
    this.worker.on('error', (err) => this.fail(new Error(`local Firehose thread failed: ${err.message}`, { cause: err })));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.fail(new Error(`local Firehose thread exited (code ${code}) before it was closed`));
        resolve();
      }),
    );
  }

  /** Lists the shards and starts reading them. */
  async start(): Promise<void> {
    await this.request({ type: 'start' }, 'started');
  }

  /** Reads until every shard is caught up, then stops, flushing everything (LocalFirehose.drain). */
  drain(timeoutMs?: number): Promise<void> {
    this.stopped ??= this.request({ type: 'drain', timeoutMs }, 'stopped').then(() => undefined);
    return this.stopped;
  }

  /** Stops reading, flushes and waits for every write (LocalFirehose.stop); idempotent. */
  stop(): Promise<void> {
    this.stopped ??= this.request({ type: 'stop' }, 'stopped').then(() => undefined);
    return this.stopped;
  }

  /** Stops the embedded S3 and ends the thread; idempotent. Call `stop()` or `drain()` first to deliver. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      try {
        if (!this.failure) await this.request({ type: 'close' }, 'closed');
      } finally {
        if (this.failure) await this.worker.terminate();
        await this.exited;
      }
    })();
    return this.closed;
  }

  /** Sends `req` (or nothing, for the unasked 'ready') and waits for its answer. */
  private request(req: Request | undefined, answer: Answer): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.set(answer, { resolve, reject });
      if (req) this.worker.postMessage(req);
    });
  }

  private receive(reply: Reply): void {
    if (reply.type === 'update') {
      this.stats = reply.stats;
      for (const w of reply.warnings) this.opts.onWarning?.(w);
      for (const line of reply.lambdaLog) this.opts.onLambdaLog?.(line);
      return;
    }
    if (reply.type === 'stopped') this.objects = reply.objects;
    const waiter = this.waiting.get(reply.type);
    this.waiting.delete(reply.type);
    if (reply.error) waiter?.reject(deserializeError(reply.error));
    else waiter?.resolve(reply);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    // The exit after the answer to close is the thread's normal end.
    if (this.closed && this.waiting.size === 0) return;
    this.failure = err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/**
 * The worker's side: starts the embedded S3 unless given an endpoint, then runs a LocalFirehose as asked, and ends
 * (closing its port) when asked to close.
 */
export function serveFirehoseThread(port: MessagePort, data: FirehoseThreadData): void {
  const { config } = data;
  const warnings: string[] = [];
  const lambdaLog: string[] = [];
  let firehose: LocalFirehose | undefined;
  let s3rver: S3Emulator | undefined;
  const update = (): void => {
    if (!firehose) return;
    const reply: Reply = { type: 'update', stats: firehose.stats, warnings: warnings.splice(0), lambdaLog: lambdaLog.splice(0) };
    port.postMessage(reply);
  };
  const ticker = setInterval(update, 100);
  const answer = async (type: Answer, work: () => Promise<Omit<Reply, 'type' | 'error'> | void>): Promise<void> => {
    let reply: Reply;
    try {
      reply = { type, ...(await work()) } as Reply;
    } catch (err) {
      const objects = type === 'stopped' ? { objects: firehose?.objects ?? [] } : {};
      reply = { type, ...objects, error: serializeError(err) } as Reply;
    }
    update();
    port.postMessage(reply);
  };
  const ready = answer('ready', async () => {
    if (data.s3Endpoint !== undefined) return { s3: { endpoint: data.s3Endpoint, port: Number(new URL(data.s3Endpoint).port), embedded: false } };
    s3rver = await startS3({ directory: data.s3Directory });
    return { s3: { endpoint: s3rver.endpoint, port: s3rver.port, embedded: true } };
  });
  let clients: { kinesis: KinesisClient; s3: S3Client } | undefined;
  port.on('message', (req: Request) => {
    switch (req.type) {
      case 'start':
        void answer('started', async () => {
          await ready;
          const kinesis = kinesisClient({ endpoint: data.kinesisEndpoint, region: config.region, maxAttempts: 1 });
          const s3 = s3Client({ endpoint: data.s3Endpoint ?? s3rver!.endpoint, region: config.region, maxAttempts: 1 });
          clients = { kinesis, s3 };
          const handler = config.delivery.processor ? loadHandler(data.bundlePath, config.lambda?.environment ?? {}) : undefined;
          firehose = new LocalFirehose({
            config,
            kinesis,
            s3,
            handler,
            onWarning: (m) => warnings.push(m),
            onLambdaLog: data.forwardLambdaLog ? (line) => lambdaLog.push(line) : undefined,
          });
          await firehose.start();
        });
        return;
      case 'drain':
      case 'stop':
        void answer('stopped', async () => {
          if (firehose) await (req.type === 'drain' ? firehose.drain(req.timeoutMs) : firehose.stop());
          return { objects: firehose?.objects ?? [] };
        }).finally(() => clearInterval(ticker));
        return;
      case 'close':
        void answer('closed', async () => {
          clearInterval(ticker);
          // Normally stopped already (the same promise); otherwise its readers would keep the thread alive.
          await firehose?.stop().catch(() => undefined);
          clients?.kinesis.destroy();
          clients?.s3.destroy();
          await s3rver?.stop();
        }).finally(() => port.close());
        return;
    }
  });
}

function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message, stack: e.stack };
}

function deserializeError(s: SerializedError): Error {
  const err = new Error(s.message);
  err.name = s.name;
  if (s.stack) err.stack = s.stack;
  return err;
}
