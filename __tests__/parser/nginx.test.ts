/**
 * Real nginx lines: starts Debian's nginx on loopback ports with a temporary prefix, logs every request in `main`,
 * `combined`, a custom format and an escape=json format, sends crafted raw requests, stops nginx by PID and parses
 * its logs. Needs the nginx binary (`apt-get install -y nginx`); without it the tests pass with a warning, except
 * under CI=true, where they fail.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type NetConnectOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from '../../functions/nginx-parser/parse';
import { NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { logLines, NGINX, nginxConf, nginxMissing, sendRaw, startNginx, stopNginx } from '../support/nginx';
import { freePort } from '../support/ports';

const MISSING = nginxMissing('the real-nginx parser tests');

const CUSTOM_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
  '"$http_user_agent" rt=$request_time urt="$upstream_response_time" host=$host';
const JSON_FORMAT =
  'escape=json \'{"time":"$time_iso8601","msec":$msec,"remote_addr":"$remote_addr","remote_user":"$remote_user",' +
  '"request":"$request","status":$status,"bytes":$body_bytes_sent,"ua":"$http_user_agent","rt":$request_time,"host":"$host"}\'';

async function ipv6Loopback(): Promise<boolean> {
  try {
    await freePort('::1');
    return true;
  } catch {
    return false;
  }
}

describe('real nginx access logs', () => {
  let prefix = '';
  let hasIpv6 = false;
  let sent = 0; // requests nginx answered, one line each
  const logs: Record<'main' | 'combined' | 'custom' | 'json', Buffer[]> = { main: [], combined: [], custom: [], json: [] };

  beforeAll(async () => {
    if (NGINX === undefined) {
      if (process.env.CI === 'true') throw new Error(MISSING);
      console.warn(`SKIPPED: ${MISSING}`);
      return;
    }
    prefix = mkdtempSync(join(tmpdir(), 'nginx-parser-'));
    mkdirSync(join(prefix, 'logs'));
    mkdirSync(join(prefix, 'tmp'));
    const port = await freePort('127.0.0.1');
    hasIpv6 = await ipv6Loopback();
    const unquoted = JSON_FORMAT.replace(/^escape=json '|'$/g, '');
    writeFileSync(
      join(prefix, 'nginx.conf'),
      nginxConf(
        prefix,
        `  log_format main '${NGINX_MAIN_FORMAT}';
  log_format custom '${CUSTOM_FORMAT}';
  log_format json escape=json '${unquoted}';
  access_log ${prefix}/logs/main.log main;
  access_log ${prefix}/logs/combined.log combined;
  access_log ${prefix}/logs/custom.log custom;
  access_log ${prefix}/logs/json.log json;
  client_header_timeout 2s;
  server {
    listen 127.0.0.1:${port};
    ${hasIpv6 ? `listen [::1]:${port};` : ''}
    location / { return 200 "ok\\n"; }
  }`,
      ),
    );
    const http = (head: string): string => `${head}\r\nHost: example.com\r\nConnection: close\r\n\r\n`;
    const basic = (user: string): string => `Authorization: Basic ${Buffer.from(`${user}:secret`).toString('base64')}`;
    const v4 = { host: '127.0.0.1', port };
    const v6 = { host: '::1', port };
    // Each is logged once; a connection that sends nothing is not.
    const requests: [NetConnectOpts, Buffer | string][] = [
      [v4, http('GET /quotes HTTP/1.1\r\nUser-Agent: Mozilla "quoted" \\ agent\r\nReferer: https://ref.example/\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2')],
      [v4, Buffer.from(http('GET /안녕?q=한 HTTP/1.1'), 'utf8')],
      [v6, http('GET /ipv6 HTTP/1.1')],
      [v4, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0x5a, 0x0d, 0x0a, 0x0d, 0x0a])],
      [v4, 'GET /\r\n'],
      [v4, http(`GET /${'a'.repeat(6000)} HTTP/1.1`)],
      [v4, http(`GET /${'b'.repeat(9000)} HTTP/1.1`)],
      [v4, http(`GET /auth HTTP/1.1\r\n${basic('alice')}`)],
      [v4, http(`GET /auth2 HTTP/1.0\r\n${basic('al ice')}\r\nUser-Agent: tab\there`)],
    ].filter(([to]) => hasIpv6 || to !== v6) as [NetConnectOpts, Buffer | string][];
    const nginx = await startNginx(prefix, [port]);
    try {
      for (const [to, bytes] of requests) {
        await sendRaw(to, bytes);
        sent += 1;
      }
      await sendRaw(v4, '');
    } finally {
      await stopNginx(nginx, Object.keys(logs).map((name) => join(prefix, 'logs', `${name}.log`)), sent);
    }
    for (const name of Object.keys(logs) as (keyof typeof logs)[]) logs[name] = logLines(join(prefix, 'logs', `${name}.log`));
  }, 30_000);

  afterAll(() => {
    if (process.env.KEEP_NGINX_LOGS) console.log(`nginx logs kept in ${prefix}/logs`);
    else if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  const parsers = {
    main: createParser(),
    combined: createParser(),
    custom: createParser(CUSTOM_FORMAT),
    json: createParser(JSON_FORMAT),
  };

  const docs = (name: keyof typeof logs): Record<string, unknown>[] =>
    logs[name].map((line) => {
      const parser = parsers[name];
      parser.reset();
      if (!parser.appendLine(line, 0, line.length)) {
        throw new Error(`${name}.log line did not parse (${parser.error}): ${line.toString('latin1', 0, 300)}`);
      }
      return JSON.parse(Buffer.from(parser.buf.subarray(0, parser.length)).toString('utf8')) as Record<string, unknown>;
    });

  it.each(['main', 'combined', 'custom', 'json'] as const)('parses every line of the %s log', (name) => {
    if (NGINX === undefined) return;
    expect(logs[name]).toHaveLength(sent);
    expect(sent).toBe(hasIpv6 ? 9 : 8);
    expect(docs(name)).toHaveLength(logs[name].length);
  });

  it('decodes what nginx escaped: quotes and backslashes in the user agent, raw UTF-8 in the path, a tab', () => {
    if (NGINX === undefined) return;
    for (const name of ['main', 'custom', 'json'] as const) {
      const all = docs(name);
      expect(all.find((d) => d.request === 'GET /quotes HTTP/1.1')).toMatchObject({ useragent: 'Mozilla "quoted" \\ agent' });
      expect(all.find((d) => d.verb === 'GET' && String(d.uri).startsWith('/안'))).toMatchObject({ uri: '/안녕?q=한', status: 200 });
      expect(all.find((d) => d.request === 'GET /auth2 HTTP/1.0')).toMatchObject({ useragent: 'tab\there' });
    }
    expect(docs('main').find((d) => d.uri === '/quotes')).toMatchObject({
      refferer: 'https://ref.example/',
      http_x_forwarded_for: '10.0.0.1, 10.0.0.2',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/),
    });
  });

  it('keeps a TLS handshake as escaped text with status 400, and HTTP/0.9 without protocol', () => {
    if (NGINX === undefined) return;
    for (const name of ['main', 'combined', 'custom', 'json'] as const) {
      const all = docs(name);
      // escape=default logs every byte as \xHH; escape=json logs the control bytes as \u00XX and 0xFC raw: both
      // are not UTF-8, so the field keeps nginx's escaped text.
      const tls = all.find((d) => typeof d.request === 'string' && /^(\\x16\\x03|\\u0016\\u0003)/.test(d.request));
      const tlsDecoded = all.find((d) => typeof d.request === 'string' && d.request.startsWith('\u0016\u0003'));
      expect(tls ?? tlsDecoded).toMatchObject({ status: 400, verb: null, uri: null, protocol: null });
      expect(String((tls ?? tlsDecoded)?.request)).toContain('\\xFC');
      expect(all.find((d) => d.request === 'GET /')).toMatchObject({ verb: 'GET', uri: '/', protocol: null });
    }
  });

  it('logs long URIs (200 and 414), basic-auth users and the IPv6 peer', () => {
    if (NGINX === undefined) return;
    const all = docs('main');
    expect(all.find((d) => d.uri === `/${'a'.repeat(6000)}`)).toMatchObject({ status: 200 });
    expect(all.some((d) => d.status === 414 || d.status === 400)).toBe(true);
    expect(all.find((d) => d.uri === '/auth')).toMatchObject({ remote_user: 'alice' });
    expect(all.find((d) => d.uri === '/auth2')).toMatchObject({ remote_user: 'al ice' });
    expect(docs('json').find((d) => d.uri === '/auth')).toMatchObject({ remote_user: 'alice', nginx_host: 'example.com' });
    expect(docs('custom').find((d) => d.uri === '/quotes')).toMatchObject({ nginx_host: 'example.com', request_time: expect.any(Number), upstream_response_time: null });
    if (hasIpv6) expect(all.find((d) => d.uri === '/ipv6')).toMatchObject({ host: '::1' });
    else console.warn('no ::1 on this machine: the IPv6 request was not sent');
  });
});
