/**
 * Runs the Lambda's parser on a local access log: how a user checks their real logs before deploying.
 *
 * Usage: npm run parse -- FILE [--log-format 'nginx log_format string']
 * FILE may be `-` for stdin. Without --log-format, LOG_FORMAT is used as the Lambda would; unset means nginx's `main`
 * and `combined` formats. NDJSON goes to stdout; each line that does not fit goes to stderr with its line number and
 * why; a summary (lines, ok, failed, MB/s) ends stderr. Exit status 1 when any line failed, 2 on bad usage.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { LogFormatError } from '../functions/nginx-parser/log-format';
import { createParser, type LineParser } from '../functions/nginx-parser/parse';

const USAGE = "usage: npm run parse -- FILE [--log-format 'nginx log_format string']   (FILE may be - for stdin)";

interface Options {
  readonly file: string;
  readonly logFormat: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  let file: string | undefined;
  let logFormat = process.env.LOG_FORMAT;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--log-format') {
      if (i + 1 >= argv.length) throw new Error(`--log-format needs a value\n${USAGE}`);
      logFormat = argv[++i];
    } else if (arg.startsWith('--log-format=')) {
      logFormat = arg.slice('--log-format='.length);
    } else if (arg === '-h' || arg === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}\n${USAGE}`);
    } else if (file === undefined) {
      file = arg;
    } else {
      throw new Error(`one FILE only, got ${file} and ${arg}\n${USAGE}`);
    }
  }
  if (file === undefined) throw new Error(`FILE is missing\n${USAGE}`);
  return { file, logFormat };
}

async function write(bytes: Uint8Array): Promise<void> {
  if (!process.stdout.write(bytes)) await once(process.stdout, 'drain');
}

async function run(options: Options, parser: LineParser): Promise<number> {
  const input = options.file === '-' ? process.stdin : createReadStream(options.file, { highWaterMark: 1 << 20 });
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  let ok = 0;
  let failed = 0;
  let bytes = 0;
  const started = performance.now();

  const flush = async (): Promise<void> => {
    if (parser.length === 0) return;
    const out = Buffer.from(parser.buf.subarray(0, parser.length));
    parser.reset();
    await write(out);
  };
  const line = (buf: Buffer, s: number, nl: number): void => {
    lineNo++;
    let e = nl;
    if (e > s && buf[e - 1] === 13) e--;
    let b = s;
    while (b < e && (buf[b] === 32 || buf[b] === 9)) b++;
    if (b === e) return;
    if (parser.appendLine(buf, s, e)) {
      ok++;
      return;
    }
    failed++;
    const text = buf.toString('utf8', s, Math.min(e, s + 300));
    process.stderr.write(`line ${lineNo}: ${parser.error}: ${text}${e - s > 300 ? '…' : ''}\n`);
  };

  for await (const chunk of input as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let s = 0;
    for (let nl = buf.indexOf(10, s); nl >= 0; nl = buf.indexOf(10, s)) {
      line(buf, s, nl);
      s = nl + 1;
      if (parser.length > 1 << 20) await flush();
    }
    carry = buf.subarray(s);
    await flush();
  }
  if (carry.length > 0) line(carry, 0, carry.length);
  await flush();

  const seconds = (performance.now() - started) / 1000;
  const mb = bytes / 1e6;
  process.stderr.write(
    `${options.file}: ${ok + failed} lines, ${ok} ok, ${failed} failed; ${mb.toFixed(2)} MB in ${seconds.toFixed(2)} s ` +
      `(${(mb / Math.max(seconds, 1e-6)).toFixed(1)} MB/s)\n`,
  );
  return failed > 0 ? 1 : 0;
}

async function main(): Promise<void> {
  let options: Options;
  let parser: LineParser;
  try {
    options = parseArgs(process.argv.slice(2));
    parser = createParser(options.logFormat);
  } catch (err) {
    const prefix = err instanceof LogFormatError ? 'invalid --log-format / LOG_FORMAT: ' : '';
    process.stderr.write(`${prefix}${(err as Error).message}\n`);
    process.exit(2);
  }
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `npm run parse -- x.log | head` closes the pipe early: not an error of the log.
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  try {
    process.exitCode = await run(options, parser);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}

void main();
