/**
 * `npm run ship -- FILE`: the Kinesis Agent stand-in alone, shipping an nginx access log to a Kinesis data stream
 * (LocalStack, moto, the embedded Kinesis of `npm start -- --serve`, or AWS). LocalStack runs Firehose itself.
 *
 *   npm run ship -- /var/log/nginx/access.log --endpoint http://localhost:4566
 *   npm run ship -- /var/log/nginx/access.log --follow            AWS, credentials from the usual chain
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { physicalNames } from '../facts/names';
import { kinesisClient } from '../pipeline/clients';
import { Shipper, type ShipperStats } from '../pipeline/agent/shipper';
import { projectRoot, readStackConfig } from '../pipeline/stack-config';

const USAGE = `usage: npm run ship -- FILE [--follow [--from-end]] [--endpoint URL] [--region R] [--stream NAME]
                          [--checkpoint PATH | --no-checkpoint] [--max-buffer-age-ms N] [--one-line-per-record]
                          [--quiet]

  FILE                   the nginx access log; whole lines packed into records of up to 25,000 bytes (lines that
                         do not fit the stack's LOG_FORMAT alone), random partition keys
  --follow               keep tailing FILE through rotation (rename-and-create and copytruncate) until Ctrl-C
  --endpoint URL         Kinesis endpoint (LocalStack http://localhost:4566, moto, npm start --serve); default: AWS
  --region R             default: AWS_REGION, AWS_DEFAULT_REGION, the synthesized stack's region, us-east-1
  --stream NAME          default: the stream of the synthesized stack (localstack with --endpoint, else aws),
                         or nginx-access-logs when nothing is synthesized
  --checkpoint PATH      where the position is kept (default: .tmp/checkpoints/ship-<file>-<hash>.json, one per
                         file + stream + endpoint); a restart resumes after the last acknowledged line
  --no-checkpoint        ship the whole file every time
  --from-end             with --follow and no checkpoint yet: only lines written from now on (the agent's
                         initialPosition END_OF_FILE; the default here is START_OF_FILE)
  --max-buffer-age-ms N  send a partial batch once its oldest line is N ms old (default 60000, the agent's;
                         1000 with --endpoint)
  --one-line-per-record  one record per line, "\\n" included, as the Kinesis Agent sends them
  --quiet                no progress lines`;

/** The stack's default stream name, for shipping before anything is synthesized. */
const FALLBACK_STREAM = physicalNames().stream;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      follow: { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      stream: { type: 'string' },
      checkpoint: { type: 'string' },
      'no-checkpoint': { type: 'boolean', default: false },
      'from-end': { type: 'boolean', default: false },
      'max-buffer-age-ms': { type: 'string' },
      'one-line-per-record': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n\nexpected exactly one FILE, got ${positionals.length}\n`);
    return 2;
  }
  const log = (m: string): void => void process.stderr.write(`${m}\n`);
  const file = resolve(positionals[0]!);
  const root = projectRoot(__dirname);
  const stack = stackDefaults(root, values.endpoint ? 'localstack' : 'aws');
  const stream = values.stream ?? stack.stream ?? FALLBACK_STREAM;
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? stack.region ?? 'us-east-1';
  const ageText = values['max-buffer-age-ms'];
  const maxBufferAgeMillis = ageText === undefined ? (values.endpoint ? 1_000 : 60_000) : Number(ageText);
  if (!Number.isInteger(maxBufferAgeMillis) || maxBufferAgeMillis < 0) {
    throw new Error(`--max-buffer-age-ms must be a whole number of milliseconds, got ${ageText}`);
  }
  if (values['from-end'] && !values.follow) throw new Error('--from-end only makes sense with --follow');
  const checkpointFile = values['no-checkpoint']
    ? undefined
    : (values.checkpoint ?? defaultCheckpoint(root, file, stream, values.endpoint));

  log(
    `shipping ${file}${values.follow ? ' (following)' : ''} → stream ${stream} at ${values.endpoint ?? `AWS ${region}`}` +
      (stack.source ? ` (stream from ${stack.source})` : values.stream ? '' : ' (no synthesized stack: default name)'),
  );
  if (checkpointFile) log(`checkpoint: ${checkpointFile}`);

  const client = kinesisClient({ endpoint: values.endpoint, region, maxAttempts: 1 });
  const shipper = new Shipper({
    client,
    streamName: stream,
    file,
    follow: values.follow,
    checkpointFile,
    maxBufferAgeMillis,
    initialPosition: values['from-end'] ? 'END_OF_FILE' : 'START_OF_FILE',
    aggregate: values['one-line-per-record'] ? undefined : { logFormat: stack.logFormat },
  });
  shipper.on('tail', (e) => {
    if (e.kind === 'resume') log(`resuming ${e.path} at byte ${e.offset}`);
    if (e.kind === 'rotation') log(`rotation (${e.rotation}): ${e.from} → ${e.to}`);
    if (e.kind === 'warning') log(`warning: ${e.message}`);
  });
  shipper.on('truncated', (t) =>
    log(`warning: line ending at byte ${t.endOffset} of ${t.path} is longer than a Kinesis record: shipped its first ${t.keptBytes} bytes, ${t.droppedBytes} bytes cut`),
  );
  shipper.on('retry', (r) => {
    if (r.attempt === 1 || r.attempt % 10 === 0) log(`retrying ${r.entries} records after ${r.reason} (attempt ${r.attempt}, waiting ${r.delayMillis} ms)`);
  });

  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    log('\nstopping: sending what was read (Ctrl-C again to quit at once; the checkpoint keeps the position)');
    shipper.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const ticker = values.quiet ? undefined : progress(shipper.stats, log);
  try {
    const summary = await shipper.run();
    clearInterval(ticker);
    const secs = summary.elapsedMillis / 1000;
    log(
      `shipped ${summary.linesShipped} of ${summary.linesRead} lines in ${summary.recordsShipped} records (${summary.bytesShipped} bytes) ` +
        `in ${secs.toFixed(1)} s, ${Math.round(summary.linesShipped / Math.max(secs, 0.001))} lines/s; ${summary.putRecordsCalls} PutRecords calls, ` +
        `${summary.retries} retries, ${summary.linesTruncated} lines truncated`,
    );
    process.stdout.write(`${JSON.stringify({ file, stream, endpoint: values.endpoint ?? null, region, checkpointFile: checkpointFile ?? null, ...summary })}\n`);
    return summary.linesShipped === summary.linesRead ? 0 : 1;
  } finally {
    clearInterval(ticker);
    client.destroy();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Stream name and region of a synthesized stack, if there is one (nothing to ship against otherwise). */
function stackDefaults(root: string, stack: string): { stream?: string; region?: string; source?: string; logFormat?: string } {
  try {
    const config = readStackConfig({ projectDir: root, stack });
    return { stream: config.stream.name, region: config.region, source: config.source, logFormat: config.lambda?.logFormat };
  } catch {
    return {};
  }
}

/** One checkpoint per (file, stream, endpoint): shipping the same file to LocalStack and to AWS are two positions. */
function defaultCheckpoint(root: string, file: string, stream: string, endpoint: string | undefined): string {
  let real = file;
  try {
    real = realpathSync(file);
  } catch {
    // Following a file that does not exist yet: its path is its identity.
  }
  const hash = createHash('sha256').update(`${real}\0${stream}\0${endpoint ?? 'aws'}`).digest('hex').slice(0, 12);
  return join(root, '.tmp', 'checkpoints', `ship-${basename(file)}-${hash}.json`);
}

/** A progress line every few seconds (every second on a terminal). */
function progress(stats: ShipperStats, log: (m: string) => void): NodeJS.Timeout {
  const every = process.stderr.isTTY ? 1_000 : 5_000;
  let last = 0;
  const started = Date.now();
  return setInterval(() => {
    const rate = ((stats.linesShipped - last) * 1000) / every;
    last = stats.linesShipped;
    log(
      `${((Date.now() - started) / 1000).toFixed(0)}s  read ${stats.linesRead} lines, shipped ${stats.linesShipped} (${Math.round(rate)}/s) in ${stats.recordsShipped} records, retries ${stats.retries}`,
    );
  }, every).unref();
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`npm run ship failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
