/**
 * The schema proof: the parser's output, read with the Glue table's declared types, loses no value to NULL. Two
 * corpora: the shared generator's hostile lines (the built-in generator's when it is absent) and the logs of a real
 * nginx started on loopback with every variable nginx documents as a number, fed crafted requests (a client's
 * `Content-Length: 0123`, a unix-socket client with no port, TLS bytes, HTTP/0.9, an empty connection).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type NetConnectOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTransform } from '../../../functions/nginx-parser/handler';
import { NGINX_COMBINED_FORMAT, NGINX_MAIN_FORMAT } from '../../../functions/nginx-parser/log-format';
import { createParser, parseLine } from '../../../functions/nginx-parser/parse';
import { builtInLines, sharedGenerator } from '../../../pipeline/demo-log';
import { checkSchema, schemaProblems } from '../../../pipeline/query/query';
import { catalogColumns } from '../../../stacks/log-columns';
import { logLines, NGINX, nginxConf, nginxMissing, sendRaw, startNginx, stopNginx } from '../../support/nginx';
import { freePort } from '../../support/ports';

const ROOT = resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'schema-proof-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** NDJSON of the lines that parse with `format`, through the handler as Firehose would run it (1,000 per batch). */
function parsedFile(name: string, lines: readonly string[], format?: string): { file: string; parsed: number } {
  const transform = createTransform(createParser(format), { log: () => undefined });
  const ok: Buffer[] = [];
  for (let i = 0; i < lines.length; i += 1000) {
    const batch = lines.slice(i, i + 1000).map((l, j) => ({ recordId: String(j), data: Buffer.from(`${l}\n`).toString('base64') }));
    for (const r of transform({ records: batch }).records) if (r.result === 'Ok') ok.push(Buffer.from(r.data, 'base64'));
  }
  const file = join(dir, `${name}.json`);
  writeFileSync(file, Buffer.concat(ok));
  return { file, parsed: ok.length };
}

test("the hostile generator corpus reads back with the Glue types, no value lost to NULL", async () => {
  const generator = sharedGenerator(ROOT);
  const text = spawnSync(process.execPath, [generator, '20000', '11', '--hostile=20'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const lines = (text.status === 0 ? text.stdout : [...builtInLines(20_000, 20, 11)].join('')).split('\n').filter((l) => l !== '');
  const { file, parsed } = parsedFile('hostile', lines);
  expect(parsed).toBeGreaterThan(15_000);
  const check = await checkSchema(catalogColumns(NGINX_MAIN_FORMAT), [file]);
  expect(check.lines).toBe(parsed);
  expect(schemaProblems(check)).toEqual([]);
  // Not vacuous: the numeric columns did hold numbers.
  expect(check.columns.find((c) => c.column === 'size')!.typed).toBeGreaterThan(15_000);
}, 20_000);

test('checkSchema finds a value that a column type would turn into NULL', async () => {
  const file = join(dir, 'misfit.json');
  writeFileSync(file, '{"status":200,"size":"0123","x":1}\n{"status":3000000000,"size":5}\n');
  const check = await checkSchema([{ name: 'status', type: 'int' }, { name: 'size', type: 'bigint' }], [file]);
  expect(schemaProblems(check)).toEqual([
    expect.stringMatching(/^typed read failed/),
    'status (int): 1 values of another JSON type, e.g. 3000000000',
    'size (bigint): 1 values of another JSON type, e.g. "0123"',
    'JSON keys with no column: x',
  ]);
});

describe('real nginx logs read back with the Glue types', () => {
  const MISSING = nginxMissing('the schema proof on real nginx logs');
  const NUMBERS_FORMAT =
    '$remote_addr [$time_local] "$request" $status $body_bytes_sent bytes=$bytes_sent len=$request_length ' +
    'conn=$connection reqs=$connection_requests msec=$msec rt=$request_time pid=$pid rport=$remote_port ' +
    'sport=$server_port cl="$content_length" gz=$gzip_ratio pipe=$pipe ua="$http_user_agent"';
  const CUSTOM_FORMAT =
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
    '"$http_user_agent" rt=$request_time urt="$upstream_response_time" host=$host';
  const JSON_FORMAT =
    'escape=json \'{"time":"$time_iso8601","msec":$msec,"remote_addr":"$remote_addr","request":"$request",' +
    '"status":$status,"bytes":$body_bytes_sent,"ua":"$http_user_agent","rt":$request_time,"cl":"$content_length"}\'';
  const formats = { main: NGINX_MAIN_FORMAT, combined: NGINX_COMBINED_FORMAT, custom: CUSTOM_FORMAT, numbers: NUMBERS_FORMAT, json: JSON_FORMAT };
  const logs: Record<string, string[]> = {};
  let prefix = '';
  let sent = 0; // requests nginx answered, one line each
  const logFile = (name: string): string => join(prefix, 'logs', `${name}.log`);

  beforeAll(async () => {
    if (NGINX === undefined) {
      if (process.env.CI === 'true') throw new Error(MISSING);
      console.warn(`SKIPPED: ${MISSING}`);
      return;
    }
    prefix = join(dir, 'nginx');
    mkdirSync(join(prefix, 'logs'), { recursive: true });
    mkdirSync(join(prefix, 'tmp'));
    const port = await freePort('127.0.0.1');
    const socket = join(prefix, 'nginx.sock');
    const defs = Object.entries(formats)
      .filter(([name]) => name !== 'combined')
      .map(([name, f]) => (name === 'json' ? `  log_format json escape=json '${f.replace(/^escape=json '|'$/g, '')}';` : `  log_format ${name} '${f}';`));
    writeFileSync(
      join(prefix, 'nginx.conf'),
      nginxConf(
        prefix,
        `${defs.join('\n')}
${Object.keys(formats).map((name) => `  access_log ${prefix}/logs/${name}.log ${name};`).join('\n')}
  client_header_timeout 2s;
  client_body_timeout 2s;
  gzip on; gzip_min_length 1; gzip_types text/plain;
  server {
    listen 127.0.0.1:${port};
    listen unix:${socket};
    location / { return 200 "${'ok '.repeat(200)}\\n"; }
  }`,
      ),
    );
    const tcp = { host: '127.0.0.1', port };
    const http = (head: string, body = ''): string => `${head}\r\nHost: example.com\r\nConnection: close\r\n\r\n${body}`;
    // Each is logged once; a last connection that sends nothing is not.
    const requests: [NetConnectOpts, Buffer | string][] = [
      [tcp, http('GET / HTTP/1.1\r\nAccept-Encoding: gzip\r\nUser-Agent: curl/8')],
      [tcp, http('POST /form HTTP/1.1\r\nContent-Length: 0123', 'x'.repeat(123))],
      [tcp, http('POST /form HTTP/1.1\r\nContent-Length: 5', 'hello')],
      [tcp, http('POST /bad HTTP/1.1\r\nContent-Length: abc')],
      [{ path: socket }, http('GET /over-a-unix-socket HTTP/1.1')],
      [tcp, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a])],
      [tcp, 'GET /\r\n'],
      [tcp, http(`GET /${'a'.repeat(9000)} HTTP/1.1`)],
    ];
    const nginx = await startNginx(prefix, [port]);
    try {
      for (const [to, bytes] of requests) {
        await sendRaw(to, bytes);
        sent += 1;
      }
      await sendRaw(tcp, '');
    } finally {
      await stopNginx(nginx, Object.keys(formats).map(logFile), sent);
    }
    for (const name of Object.keys(formats)) logs[name] = logLines(logFile(name)).map((l) => l.toString('latin1'));
  }, 30_000);

  test.each(Object.keys(formats))('%s', async (name) => {
    if (NGINX === undefined) return;
    const format = formats[name as keyof typeof formats];
    const lines = logs[name]!;
    expect(lines).toHaveLength(sent);
    expect(sent).toBe(8);
    // Every line nginx wrote parses: the schema below covers all of them.
    const parser = createParser(format);
    expect(lines.filter((l) => !parseLine(parser, l).ok)).toEqual([]);
    const { file, parsed } = parsedFile(name, lines.map((l) => Buffer.from(l, 'latin1').toString('utf8')), format);
    expect(parsed).toBe(lines.length);
    const check = await checkSchema(catalogColumns(format), [file]);
    expect(schemaProblems(check)).toEqual([]);
  });
});
