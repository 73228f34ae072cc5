/**
 * Runs the Lambda's parser on a local access log: how a user checks their real logs before deploying.
 *
 * Usage: npm run parse -- FILE [--log-format 'nginx log_format string' | --log-format PRESET]
 * FILE may be `-` for stdin. Without --log-format, LOG_FORMAT is used as the stack would; unset means nginx's `main`
 * and `combined` formats; a preset name (main, combined, ingress-nginx, json) stands for its format. NDJSON goes to
 * stdout; each line that does not fit goes to stderr with its line number and why; a summary (lines, ok, failed, MB/s)
 * ends stderr, and when lines failed, the preset that fits them best. Exit status 1 when any line failed, 2 on bad
 * usage.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { LogFormatError } from '../functions/nginx-parser/log-format';
import { createParser, type LineParser } from '../functions/nginx-parser/parse';
import { LOG_FORMAT_PRESETS, type LogFormatPreset, resolveLogFormat } from '../functions/nginx-parser/presets';

const USAGE =
  "usage: npm run parse -- FILE [--log-format 'nginx log_format string' | --log-format main|combined|ingress-nginx|json]" +
  '   (FILE may be - for stdin)';

/** Failed lines kept to find the closest preset: enough to be representative, few enough to stay instant. */
const SAMPLE_LINES = 200;

/**
 * The preset that fits failed lines best, other than the format in use: the most lines parsed, then the furthest
 * column reached on the rest. A sentence for stderr, or undefined when no preset gets anywhere.
 */
function closestPreset(failed: readonly Buffer[], current: string): string | undefined {
  let best: { name: LogFormatPreset; ok: number; reach: number } | undefined;
  for (const name of Object.keys(LOG_FORMAT_PRESETS) as LogFormatPreset[]) {
    if (LOG_FORMAT_PRESETS[name] === current) continue;
    const parser = createParser(LOG_FORMAT_PRESETS[name]);
    let ok = 0;
    let reach = 0;
    for (const line of failed) {
      parser.reset();
      if (parser.appendLine(line, 0, line.length)) ok++;
      else reach += (parser.errorColumn - 1) / Math.max(1, line.length);
    }
    if (!best || ok > best.ok || (ok === best.ok && reach > best.reach)) best = { name, ok, reach };
  }
  if (!best || (best.ok === 0 && best.reach === 0)) return undefined;
  const rest = failed.length - best.ok;
  const fit =
    best.ok > 0
      ? `${best.ok} of ${failed.length} failed lines fit it`
      : `none of ${failed.length} failed lines fits it; it reads ${Math.round((100 * best.reach) / rest)} % of each on average`;
  return `closest preset: ${best.name} (${fit}); try --log-format ${best.name}`;
}

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

async function run(options: Options, parser: LineParser, format: string): Promise<number> {
  const input = options.file === '-' ? process.stdin : createReadStream(options.file, { highWaterMark: 1 << 20 });
  let carry: Buffer = Buffer.alloc(0);
  let lineNo = 0;
  let ok = 0;
  let failed = 0;
  let bytes = 0;
  const sample: Buffer[] = [];
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
    if (sample.length < SAMPLE_LINES) sample.push(Buffer.from(buf.subarray(s, e)));
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
  if (failed === 0) return 0;
  const hint = closestPreset(sample, format);
  if (hint !== undefined) process.stderr.write(`${hint}\n`);
  return 1;
}

async function main(): Promise<void> {
  let options: Options;
  let parser: LineParser;
  let format: string;
  try {
    options = parseArgs(process.argv.slice(2));
    format = resolveLogFormat(options.logFormat);
    parser = createParser(format);
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
    process.exitCode = await run(options, parser, format);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}

void main();
