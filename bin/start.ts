/**
 * `npm start`: the whole pipeline on this machine, no Docker, no AWS.
 *
 * Embedded Kinesis (pipeline/kinesis/) and S3 (s3rver) on 127.0.0.1, the stream and bucket as the synthesized `localstack`
 * stack defines them, the Kinesis Agent stand-in shipping a log file, and the local Firehose invoking the bundled
 * parser Lambda. Ends with a summary for people (stderr) and one JSON line for scripts (stdout).
 *
 *   npm start                                  demo: 20,000 generated lines, 5% of them hostile
 *   npm start -- --input /var/log/nginx/access.log [--follow]
 *   npm start -- --serve                       keep the endpoints up for the AWS CLI afterwards
 *   npm start -- --endpoint http://localhost:4566   LocalStack or moto instead of the embedded emulators
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { listingPrefix } from '../facts/s3-layout';
import { writeDemoLog } from '../pipeline/demo-log';
import { NAMED_QUERY_NAMES } from '../facts/named-queries';
import { limitHeapGrowth } from '../pipeline/heap';
import { s3Client } from '../pipeline/clients';
import { formatTable, openBucketTable, resolveQuery, type ObjectSource } from '../pipeline/query/query';
import { runPipeline, type Progress, type RunSummary } from '../pipeline/run-pipeline';
import { projectRoot, readCatalogConfig, readStackConfig } from '../pipeline/stack-config';

const USAGE = `usage: npm start -- [--input FILE] [--follow] [--serve] [--endpoint URL] [--stack NAME]
                   [--lines N] [--checkpoint FILE] [--in-flight N] [--shard-limits] [--one-line-per-record]
                   [--quiet]

  --input FILE       nginx access log to ship (default: a generated demo log in .tmp/demo/)
  --lines N          size of the demo log (default 20000; 5% hostile lines)
  --follow           keep tailing FILE through rotation; Ctrl-C delivers what is left and stops
  --serve            after delivery keep Kinesis and S3 up for 'aws --endpoint-url ...'; Ctrl-C stops them
  --endpoint URL     use this Kinesis + S3 endpoint (LocalStack, moto) instead of the embedded ones
  --stack NAME       synthesized stack to read (default localstack: cdktf.out/stacks/NAME/cdk.tf.json)
  --checkpoint FILE  shipper checkpoint, so a restart neither loses nor duplicates lines
  --in-flight N      PutRecords calls in flight (default 2; use 1 with moto_server, which loses records otherwise)
  --shard-limits     the embedded Kinesis enforces Kinesis's per-shard write limits (1 MiB/s, 1,000 records/s);
                     off by default, so a run takes as long as the CPU needs, not as long as the shards allow
  --one-line-per-record  ship like the Kinesis Agent (one record per line) instead of our agent's default: many
                     whole lines per record, each checked against the stack's LOG_FORMAT
  --quiet            no progress display`;

async function main(): Promise<number> {
  limitHeapGrowth();
  const { values } = parseArgs({
    options: {
      input: { type: 'string' },
      lines: { type: 'string', default: '20000' },
      follow: { type: 'boolean', default: false },
      serve: { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      stack: { type: 'string', default: 'localstack' },
      checkpoint: { type: 'string' },
      'in-flight': { type: 'string' },
      'one-line-per-record': { type: 'boolean', default: false },
      'shard-limits': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const root = projectRoot(__dirname);
  const config = readStackConfig({ projectDir: root, stack: values.stack });
  if (values['shard-limits'] && values.endpoint !== undefined) {
    throw new Error('--shard-limits applies to the embedded Kinesis only; drop it or --endpoint (LocalStack and moto have their own behaviour)');
  }
  const log = (m: string): void => void process.stderr.write(`${m}\n`);

  let input = values.input;
  if (input === undefined) {
    const lines = Number(values.lines);
    if (!Number.isInteger(lines) || lines < 1) throw new Error(`--lines must be a whole number ≥ 1, got ${values.lines}`);
    input = join(root, '.tmp', 'demo', 'access.log');
    const made = await writeDemoLog(root, input, lines, 5);
    log(`demo log: ${lines} lines (5% hostile) from the ${made === 'shared' ? '../shared/bench' : 'built-in'} generator → ${input}`);
  }

  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    log('\nstopping: shipping what was read, delivering what was shipped (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // The Lambda's console output goes where CloudWatch Logs would have it: a log file, named in the summary.
  const lambdaLogFile = join(root, '.tmp', 'logs', `${config.lambda?.name ?? 'parser'}.log`);
  mkdirSync(dirname(lambdaLogFile), { recursive: true });
  const lambdaLog = createWriteStream(lambdaLogFile);
  let lambdaLines = 0;
  const progress = values.quiet ? undefined : progressPrinter();
  // The embedded S3 keeps its objects here after the run (a fresh folder each run), for the answers below and for
  // `npm run query -- --dir`.
  const s3Directory = values.endpoint === undefined ? join(root, '.tmp', 's3') : undefined;
  if (s3Directory) rmSync(s3Directory, { recursive: true, force: true });
  const { summary, stopEmulators } = await runPipeline({
    config,
    input: resolve(input),
    bundlePath: join(root, 'dist', 'nginx-parser', 'index.js'),
    follow: values.follow,
    kinesisEndpoint: values.endpoint,
    s3Endpoint: values.endpoint,
    s3Directory,
    checkpointFile: values.checkpoint,
    shipperMaxInFlight: values['in-flight'] === undefined ? undefined : Number(values['in-flight']),
    oneLinePerRecord: values['one-line-per-record'],
    kinesisOptions: { shardWriteLimits: values['shard-limits'] },
    signal: controller.signal,
    keepEmulators: values.serve,
    onProgress: progress?.update,
    progressIntervalMs: process.stderr.isTTY ? 250 : 5_000,
    onWarning: (m) => log(`warning: ${m}`),
    onLambdaLog: (line) => {
      lambdaLines += 1;
      lambdaLog.write(`${new Date().toISOString()} ${line}\n`);
    },
  }).finally(() => lambdaLog.end());
  progress?.done();
  log(humanSummary(summary, config.source));
  if (lambdaLines > 0) log(`  parser Lambda log (${lambdaLines} lines, its CloudWatch Logs here): ${lambdaLogFile}`);
  // After the timed run: what Athena's named queries answer over what was just delivered.
  if (summary.objects > 0) {
    const source: ObjectSource = s3Directory
      ? { kind: 'directory', directory: s3Directory, bucket: config.bucket }
      : { kind: 's3', s3: s3Client({ endpoint: summary.endpoints.s3, region: config.region }), bucket: config.bucket, downloadDir: join(root, '.tmp', 'query') };
    try {
      log(await answers(root, values.stack, source, s3Directory ? `--dir ${s3Directory}` : `--endpoint ${summary.endpoints.s3}`));
    } finally {
      if (source.kind === 's3') {
        source.s3.destroy();
        rmSync(source.downloadDir, { recursive: true, force: true });
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ ...summary, keys: undefined })}\n`);

  if (values.serve) {
    log(serveHelp(summary, s3Directory));
    if (!controller.signal.aborted) await new Promise((r) => controller.signal.addEventListener('abort', r, { once: true }));
    await stopEmulators();
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return summary.recordsShipped === summary.recordsOk + summary.recordsFailed + summary.recordsDropped ? 0 : 1;
}

/** A one-line live display on a terminal; plain periodic lines otherwise (CI logs, pipes). */
function progressPrinter(): { update: (p: Progress) => void; done: () => void } {
  const tty = process.stderr.isTTY;
  let last = { at: 0, shipped: 0, delivered: 0 };
  let lastLine = '';
  const update = (p: Progress): void => {
    const delivered = p.firehose.recordsOk + p.firehose.recordsFailed + p.firehose.recordsDropped;
    const dt = Math.max(1, p.elapsedMs - last.at) / 1000;
    const shipRate = (p.shipper.linesShipped - last.shipped) / dt;
    const deliverRate = (delivered - last.delivered) / dt;
    last = { at: p.elapsedMs, shipped: p.shipper.linesShipped, delivered };
    lastLine =
      `${(p.elapsedMs / 1000).toFixed(1)}s  shipped ${p.shipper.linesShipped} lines (${fmtRate(shipRate)}/s) in ${p.shipper.recordsShipped} records  ` +
      `delivered ${delivered} records (${fmtRate(deliverRate)}/s; ${p.firehose.recordsFailed} to errors)  ` +
      `objects ${p.firehose.objectsWritten}`;
    process.stderr.write(tty ? `\r\x1b[2K${lastLine}` : `${lastLine}\n`);
  };
  return { update, done: () => void (tty && lastLine ? process.stderr.write('\n') : undefined) };
}

function fmtRate(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(0)}k` : n.toFixed(0);
}

function humanSummary(s: RunSummary, source: string): string {
  const secs = s.elapsedMs / 1000;
  return [
    '',
    `Pipeline run from ${source}`,
    `  Kinesis ${s.endpoints.kinesis}  stream ${s.stream}`,
    `  S3      ${s.endpoints.s3}  bucket ${s.bucket}`,
    `  ${s.linesIn} lines in, ${s.linesShipped} shipped in ${s.recordsShipped} Kinesis records (${(s.linesShipped / Math.max(s.recordsShipped, 1)).toFixed(1)} lines per record) in ${secs.toFixed(1)} s (${Math.round(s.linesShipped / Math.max(secs, 0.001))} lines/s end to end)`,
    `  ${s.recordsOk} records parsed → s3://${s.bucket}/${s.prefix}  (${plural(s.objects, 'object')}, ${s.compressionFormat})`,
    `  ${s.recordsFailed} records failed (lines that do not fit the format) → s3://${s.bucket}/${listingPrefix(s.errorOutputPrefix)}  (${plural(s.errorObjects, 'object')} of Firehose error records)`,
    `  ${s.recordsDropped} dropped (empty lines)` + (s.s3Retries || s.kinesisRetries ? `; retries: S3 ${s.s3Retries}, Kinesis ${s.kinesisRetries}` : ''),
    s.firstObjectMs === undefined ? '' : `  first object after ${(s.firstObjectMs / 1000).toFixed(2)} s`,
    '  Read it back: npm start -- --serve keeps the endpoints up for npm run verify and the AWS CLI.',
  ]
    .filter((l) => l !== '')
    .join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * Two of the stack's named queries over the delivered objects (read in the embedded S3's directory, or downloaded
 * from the endpoint), as a few lines for the summary; a failure is reported in those lines, never fails the run.
 */
async function answers(root: string, stack: string, source: ObjectSource, where: string): Promise<string> {
  const indent = (text: string): string => text.replace(/^/gm, '    ');
  try {
    const catalog = readCatalogConfig({ projectDir: root, stack });
    const { table } = await openBucketTable(catalog, source);
    try {
      const byHour = await table.query(resolveQuery(catalog, NAMED_QUERY_NAMES.requestsByHour).sql);
      const uris = await table.query(resolveQuery(catalog, NAMED_QUERY_NAMES.topUris).sql);
      const top = { ...uris, rows: uris.rows.slice(0, 5) };
      return [
        `  Answers: the stack's Athena named queries over ${catalog.database}.${catalog.table}, run here by DuckDB`,
        `  ${NAMED_QUERY_NAMES.requestsByHour}:`,
        indent(formatTable(byHour)),
        `  ${NAMED_QUERY_NAMES.topUris} (first ${top.rows.length} of ${uris.rows.length}):`,
        indent(formatTable(top, 40)),
        ...table.skipped.map((s) => `  skipped ${s.key}: ${s.reason}`),
        `  More: npm run query -- --list, then npm run query -- ${where} NAME (or any SQL over "logs")`,
      ].join('\n');
    } finally {
      table.close();
    }
  } catch (err) {
    return `  (no answers: ${(err as Error).message})`;
  }
}

function serveHelp(s: RunSummary, s3Directory: string | undefined): string {
  const env = 'AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test';
  return [
    '',
    'Serving until Ctrl-C:',
    `  ${env} aws --region ${s.region} --endpoint-url ${s.endpoints.s3} s3 ls --recursive s3://${s.bucket}/`,
    `  ${env} aws --region ${s.region} --endpoint-url ${s.endpoints.kinesis} kinesis describe-stream --stream-name ${s.stream}`,
    `  npm run verify -- --endpoint ${s.endpoints.s3}`,
    `  npm run query -- ${s3Directory ? `--dir ${s3Directory}` : `--endpoint ${s.endpoints.s3}`} top-uris`,
  ].join('\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`\nnpm start failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
