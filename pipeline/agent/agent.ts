/**
 * Our agent as a long-running service: one aggregating shipper per configured log file, following it through
 * rotation with a checkpoint per file, CloudWatch metrics, and a log of one line per problem (never one per record).
 *
 * It keeps running through problems a person can fix without restarting it (a file it may not read, a stream that
 * does not exist yet, throttling, an endpoint that is down) and stops cleanly on its signal: reading stops, what was
 * read is sent, the checkpoints are written.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ResolvedLogAgentConfig } from './config';
import { MetricsPublisher, type AgentCounters } from './metrics';
import { Shipper, type ShipperStats } from './shipper';

/** Options of {@link runLogAgent}. */
export interface RunLogAgentOptions {
  /** Stops the agent: it sends what it has read, writes its checkpoints and resolves. */
  readonly signal: AbortSignal;
  /** One line per problem or event. @default - stderr */
  readonly log?: (message: string) => void;
  /** How long batches may keep retrying after the stop signal. @default 20000 (within systemd's stop timeout) */
  readonly stopGraceMillis?: number;
  /** First wait before restarting a shipper that failed (it doubles up to a minute). @default 1000 */
  readonly restartBaseMillis?: number;
}

/** Counters over every shipper the agent ran. */
export interface LogAgentTotals extends AgentCounters {
  readonly linesShipped: number;
}

/** One checkpoint file per tailed log, under the state directory. */
export function checkpointPath(directory: string, file: string): string {
  const hash = createHash('sha256').update(file).digest('hex').slice(0, 12);
  return join(directory, `${basename(file)}-${hash}.json`);
}

/** Runs the agent until `signal` aborts; resolves with the totals. */
export async function runLogAgent(config: ResolvedLogAgentConfig, opts: RunLogAgentOptions): Promise<LogAgentTotals> {
  const log = opts.log ?? ((m: string) => void process.stderr.write(`${m}\n`));
  // Credentials come from the default chain (on EC2: the instance profile through IMDSv2). An emulator endpoint gets
  // HTTP/1.1: the SDK's HTTP/2 handler for Kinesis fails against kinesalite and moto.
  const http1 = (endpoint: string | undefined) =>
    endpoint === undefined ? undefined : new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 });
  const kinesis = new KinesisClient({
    region: config.region,
    endpoint: config.kinesisEndpoint,
    maxAttempts: 1,
    requestHandler: http1(config.kinesisEndpoint),
  });
  const totals = { linesRead: 0, recordsSent: 0, errors: 0, linesShipped: 0 };
  const live = new Set<ShipperStats>();
  const counters = (): LogAgentTotals => {
    const sum = { ...totals };
    for (const s of live) {
      sum.linesRead += s.linesRead;
      sum.recordsSent += s.recordsShipped;
      sum.linesShipped += s.linesShipped;
      sum.errors += s.failedCalls + s.failedEntries;
    }
    return sum;
  };
  const cloudwatch = config.metrics.enabled
    ? new CloudWatchClient({ region: config.region, endpoint: config.metrics.endpoint, requestHandler: http1(config.metrics.endpoint) })
    : undefined;
  const metrics = cloudwatch
    ? new MetricsPublisher({ client: cloudwatch, namespace: config.metrics.namespace, intervalSeconds: config.metrics.intervalSeconds, counters, log })
    : undefined;
  metrics?.start();
  log(
    `nginx-log-agent: shipping ${config.files.join(', ')} → stream ${config.stream} (${config.region}${config.kinesisEndpoint ? `, ${config.kinesisEndpoint}` : ''}), ` +
      (config.oneLinePerRecord ? 'one line per record' : `records of up to ${config.maxRecordBytes} bytes`) +
      `, flushed after ${config.maxBufferAgeMillis} ms; checkpoints in ${config.checkpointDirectory}` +
      (metrics ? `; metrics to CloudWatch namespace ${config.metrics.namespace}` : '; metrics off'),
  );
  try {
    await Promise.all(config.files.map((file) => followFile(file)));
  } finally {
    await metrics?.stop();
    kinesis.destroy();
    cloudwatch?.destroy();
  }
  const result = counters();
  log(`nginx-log-agent: stopped after ${result.linesRead} lines read, ${result.linesShipped} shipped in ${result.recordsSent} records`);
  return result;

  /** Ships one file until the stop signal, restarting its shipper (from the checkpoint) after a failure. */
  async function followFile(file: string): Promise<void> {
    let failures = 0;
    let lastProblem = '';
    while (!opts.signal.aborted) {
      const shipper = new Shipper({
        client: kinesis,
        streamName: config.stream,
        file,
        follow: true,
        checkpointFile: checkpointPath(config.checkpointDirectory, file),
        initialPosition: config.initialPosition,
        maxBufferAgeMillis: config.maxBufferAgeMillis,
        aggregate: config.oneLinePerRecord ? undefined : { maxRecordBytes: config.maxRecordBytes, logFormat: config.logFormat },
        retryMissingStream: true,
        stopGraceMillis: opts.stopGraceMillis ?? 20_000,
        signal: opts.signal,
      });
      live.add(shipper.stats);
      let retrying = '';
      shipper.on('retry', (r) => {
        // One line when a problem starts, then one every 20 attempts while it lasts.
        if (r.reason !== retrying || r.attempt % 20 === 0) {
          log(`${file}: PutRecords failing (${r.reason}); retrying ${r.entries} records with backoff (attempt ${r.attempt})`);
        }
        retrying = r.reason;
      });
      shipper.on('checkpoint', () => {
        if (retrying !== '') log(`${file}: PutRecords succeeds again after ${retrying}`);
        retrying = '';
        failures = 0;
        lastProblem = '';
      });
      shipper.on('tail', (e) => {
        if (e.kind === 'rotation') log(`${file}: rotation (${e.rotation}): ${e.from} → ${e.to}`);
        if (e.kind === 'resume') log(`${file}: resuming ${e.path} at byte ${e.offset}`);
        if (e.kind === 'warning') {
          totals.errors++;
          log(`${file}: warning: ${e.message}`);
        }
      });
      shipper.on('truncated', (t) => {
        totals.errors++;
        log(`${t.path}: the line ending at byte ${t.endOffset} is longer than a Kinesis record: shipped its first ${t.keptBytes} bytes, cut ${t.droppedBytes}`);
      });
      try {
        await shipper.run();
        return;
      } catch (err) {
        const problem = describeProblem(file, err);
        totals.errors++;
        if (opts.signal.aborted) {
          log(`${file}: ${problem}`);
          return;
        }
        if (problem !== lastProblem) log(`${file}: ${problem}; trying again (from the checkpoint) until it works or the agent is stopped`);
        lastProblem = problem;
        failures++;
        const wait = Math.min(60_000, (opts.restartBaseMillis ?? 1_000) * 2 ** Math.min(failures - 1, 6));
        await sleep(wait, undefined, { signal: opts.signal }).catch(() => undefined);
      } finally {
        live.delete(shipper.stats);
        const s = shipper.stats;
        totals.linesRead += s.linesRead;
        totals.recordsSent += s.recordsShipped;
        totals.linesShipped += s.linesShipped;
        totals.errors += s.failedCalls + s.failedEntries;
      }
    }
  }
}

/** A failure in words a person can act on: which file, which permission, which user. */
export function describeProblem(file: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    const user = process.getuid?.() === undefined ? 'this user' : `uid ${process.getuid!()}`;
    return (
      `cannot read ${e.path ?? file}: permission denied (${e.code}); the agent runs as ${user} and needs read permission on ` +
      `the file and search (x) permission on its folder, e.g. setfacl -m u:<agent user>:r ${e.path ?? file}`
    );
  }
  if (e.code === 'EISDIR') return `${file} is a folder, not a log file: fix "files" in the configuration`;
  return e instanceof Error ? e.message : String(err);
}
