/**
 * Values checked as nginx writes them (its documented variable formats), `$upstream_*` lists, repeated variables and
 * the presets, with fixtures built from nginx's and ingress-nginx's documentation.
 */
import { compileLogFormat, LogFormatError } from '../../functions/nginx-parser/log-format';
import { createParser, LineParser, parseLine } from '../../functions/nginx-parser/parse';
import { INGRESS_NGINX_FORMAT, LOG_FORMAT_PRESETS, NGINX_JSON_FORMAT, resolveLogFormat } from '../../functions/nginx-parser/presets';

function json(parser: LineParser, line: string): Record<string, unknown> {
  const r = parseLine(parser, line);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(line)} to parse: ${r.reason}`);
  return JSON.parse(r.json) as Record<string, unknown>;
}

function failure(parser: LineParser, line: string): string {
  const r = parseLine(parser, line);
  if (r.ok) throw new Error(`expected ${JSON.stringify(line)} to fail, got ${r.json}`);
  return r.reason;
}

const main = createParser();
const ingress = createParser(INGRESS_NGINX_FORMAT);
const T = '[07/Dec/2016:11:05:07 +0100]';
const REST = `${T} "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0"`;

describe('unquoted values are what nginx writes there', () => {
  it.each([
    ['a list of addresses as $remote_addr', `10.0.0.2, 10.0.0.1, 127.0.0.1 - - ${REST}`],
    ['words as $remote_addr', `not an ip at all - - ${REST}`],
    ['an IPv4 part over 255', `10.0.0.256 - - ${REST}`],
    ['three IPv4 parts', `10.0.1 - - ${REST}`],
    ['two :: in an IPv6 address', `2001::db8::1 - - ${REST}`],
    ['an IPv6 group of five digits', `2001:db8:12345::1 - - ${REST}`],
    ['a host name as $remote_addr', `example.com - - ${REST}`],
    ['an empty $remote_addr', ` - - ${REST}`],
  ])('fails %s, naming the variable', (_, line) => {
    expect(failure(main, line)).toMatch(/^\$remote_addr is not what nginx writes there \(expected: address\) at column 1 \(closest format: (main|combined)\)$/);
  });

  it.each([
    ['IPv4', '203.0.113.7'],
    ['IPv6', '2001:db8::1'],
    ['IPv6 in full', '2001:0db8:0000:0000:0000:ff00:0042:8329'],
    ['the IPv6 loopback', '::1'],
    ['an IPv4-mapped IPv6 address', '::ffff:192.0.2.128'],
    ['a UNIX-socket client', 'unix:'],
    ['nginx\'s "not found"', '-'],
  ])('accepts %s as $remote_addr', (_, addr) => {
    expect(json(main, `${addr} - - ${REST}`).host).toBe(addr === '-' ? null : addr);
  });

  it.each([
    ['a status with a letter', `1.2.3.4 - - ${T} "GET / HTTP/1.1" 2OO 571 "-" "-"`, /\$status is not what nginx writes there \(expected: integer\)/],
    ['a negative size', `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 -5 "-" "-"`, /\$body_bytes_sent is not what nginx writes there/],
    ['a size with a fraction', `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 5.5 "-" "-"`, /\$body_bytes_sent is not what nginx writes there/],
    ['a size of 19 digits', `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 ${'9'.repeat(19)} "-" "-"`, /\$body_bytes_sent is not what nginx writes there/],
  ])('fails %s', (_, line, reason) => {
    expect(failure(main, line)).toMatch(reason);
  });

  it('checks every narrow variable of a custom format: times, $msec, $pid, ports, tokens', () => {
    const parser = createParser('$remote_addr port=$remote_port>$server_addr rt=$request_time ms=$msec pid=$pid host=$host "$request"');
    const ok = '192.0.2.1 port=51234>10.0.0.5 rt=0.012 ms=1481105107.123 pid=4711 host=example.com "GET / HTTP/1.1"';
    expect(json(parser, ok)).toMatchObject({ host: '192.0.2.1', remote_port: 51234, server_addr: '10.0.0.5', request_time: 0.012, msec: 1481105107.123, pid: 4711, nginx_host: 'example.com' });
    expect(failure(parser, ok.replace('rt=0.012', 'rt=12'))).toMatch(/\$request_time is not what nginx writes there \(expected: decimal\)/);
    expect(failure(parser, ok.replace('ms=1481105107.123', 'ms=soon'))).toMatch(/\$msec is not what nginx writes there/);
    expect(failure(parser, ok.replace('pid=4711', 'pid=47 11'))).toMatch(/\$pid is not what nginx writes there/);
    expect(failure(parser, ok.replace('host=example.com', 'host=exa mple.com'))).toMatch(/\$host is not what nginx writes there \(expected: token\)/);
    // A client on a UNIX socket has no port: nginx writes an empty $remote_port.
    expect(json(parser, ok.replace('192.0.2.1 port=51234', 'unix: port='))).toMatchObject({ host: 'unix:', remote_port: null });
  });

  it('rejects a format whose narrow variable is followed only by characters it may contain', () => {
    expect(() => compileLogFormat('$remote_addr:$remote_port')).toThrow(/\$remote_addr can contain ":"/);
    expect(() => compileLogFormat('$request_time.$status')).toThrow(/\$request_time can contain "."/);
  });
});

describe('$upstream_* lists', () => {
  const line = (upstream: string): string =>
    `192.168.65.3 - - [13/Mar/2023:10:38:23 +0000] "GET /api/orders HTTP/1.1" 200 615 "-" "curl/7.85.0" 76 0.006 ` +
    `[default-orders-80] [] ${upstream} 3bd2fe4c9a3c2c0a2d5bd3d9b1e8e1a5`;

  it('parses ingress-nginx lines with one upstream, as logged plus typed companions', () => {
    expect(json(ingress, line('10.1.0.28:8080 615 0.004 200'))).toMatchObject({
      host: '192.168.65.3',
      status: 200,
      request_length: 76,
      request_time: 0.006,
      proxy_upstream_name: 'default-orders-80',
      proxy_alternative_upstream_name: '',
      upstream_addr: '10.1.0.28:8080',
      upstream_response_length: '615',
      upstream_response_length_total: 615,
      upstream_response_time: '0.004',
      upstream_response_time_total: 0.004,
      upstream_status: '200',
      upstream_status_last: 200,
      req_id: '3bd2fe4c9a3c2c0a2d5bd3d9b1e8e1a5',
    });
  });

  it('parses servers tried in turn (", ") and internal redirects (" : ")', () => {
    expect(json(ingress, line('10.1.0.28:8080, 10.1.0.29:8080 : unix:/run/app.sock 0, 0 : 615 0.001, 0.002 : 0.004 502, 502 : 200'))).toMatchObject({
      upstream_addr: '10.1.0.28:8080, 10.1.0.29:8080 : unix:/run/app.sock',
      upstream_response_length: '0, 0 : 615',
      upstream_response_length_total: 615,
      upstream_response_time: '0.001, 0.002 : 0.004',
      upstream_response_time_total: 0.007,
      upstream_status: '502, 502 : 200',
      upstream_status_last: 200,
    });
  });

  it('writes null for a request with no upstream ("-") and for "-" items', () => {
    expect(json(ingress, line('- - - -'))).toMatchObject({
      upstream_addr: null,
      upstream_response_length: null,
      upstream_response_length_total: null,
      upstream_response_time_total: null,
      upstream_status_last: null,
    });
    expect(json(ingress, line('[::1]:8080, backend 0, 0 0.001, - 504, -'))).toMatchObject({
      upstream_addr: '[::1]:8080, backend',
      upstream_response_time_total: 0.001,
      upstream_status_last: null,
    });
  });

  it('keeps sums exact to the millisecond', () => {
    const doc = json(ingress, line(`${Array(10).fill('10.0.0.1:80').join(', ')} ${Array(10).fill('0').join(', ')} ${Array(10).fill('0.100').join(', ')} ${Array(10).fill('502').join(', ')}`));
    expect(doc.upstream_response_time_total).toBe(1);
  });

  it.each([
    ['a list item with a space', '10.1.0.28 :8080 615 0.004 200'],
    ['a time without its milliseconds', '10.1.0.28:8080 615 4 200'],
    ['a status list with a word', '10.1.0.28:8080 615 0.004 OK'],
    ['a separator without a space', '10.1.0.28:8080,10.1.0.29:8080 615 0.004 200'],
    ['a missing field', '10.1.0.28:8080 615 0.004'],
  ])('fails %s', (_, upstream) => {
    expect(parseLine(ingress, line(upstream)).ok).toBe(false);
  });

  it('parses lists quoted, in escape=json, and writes nginx\'s empty "not found" as null', () => {
    const parser = createParser(NGINX_JSON_FORMAT);
    const doc = (upstream: string) =>
      '{"time":"2023-03-13T10:38:23+00:00","remote_addr":"2001:db8::7","remote_user":"","request":"GET / HTTP/2.0",' +
      '"status":200,"body_bytes_sent":615,"request_time":0.006,"http_referer":"","http_user_agent":"curl/8.5.0",' +
      `"http_x_forwarded_for":"","host":"example.com","request_id":"3bd2fe4c9a3c2c0a2d5bd3d9b1e8e1a5",${upstream}}`;
    expect(json(parser, doc('"upstream_addr":"10.0.0.1:80, 10.0.0.2:80","upstream_status":"502, 200","upstream_response_time":"0.001, 0.003"'))).toMatchObject({
      host: '2001:db8::7',
      timestamp: '2023-03-13T10:38:23',
      upstream_addr: '10.0.0.1:80, 10.0.0.2:80',
      upstream_status_last: 200,
      upstream_response_time_total: 0.004,
    });
    expect(json(parser, doc('"upstream_addr":"","upstream_status":"","upstream_response_time":""'))).toMatchObject({
      upstream_addr: null,
      upstream_status: null,
      upstream_status_last: null,
      upstream_response_time_total: null,
    });
  });

  it('refuses a format where text after a list starts like its separators', () => {
    expect(() => compileLogFormat('$upstream_addr, $status')).toThrow(LogFormatError);
    expect(() => compileLogFormat('$upstream_addr : $status')).toThrow(/\$upstream_addr is a list .* so " : " after it is ambiguous; quote it/);
    expect(() => compileLogFormat('"$upstream_addr", $status')).not.toThrow();
  });
});

describe('a variable logged twice', () => {
  const parser = createParser('$remote_addr [$time_local] "$request" $status $remote_addr $status');

  it('parses when both values agree, writing one key', () => {
    const r = parseLine(parser, `10.0.0.1 ${T} "GET / HTTP/1.1" 200 10.0.0.1 200`);
    expect(r.ok && JSON.parse(r.json)).toMatchObject({ host: '10.0.0.1', status: 200 });
    expect(r.ok && r.json.match(/"host"/g)).toHaveLength(1);
  });

  it('fails when they differ, saying so', () => {
    expect(failure(parser, `10.0.0.1 ${T} "GET / HTTP/1.1" 200 10.0.0.2 200`)).toMatch(
      /^\$remote_addr differs from its first occurrence in the line \(nginx logs the same value twice\) at column 60$/,
    );
  });
});

describe('presets', () => {
  it('resolves names and leaves log_format strings as they are', () => {
    expect(resolveLogFormat(undefined)).toBe(LOG_FORMAT_PRESETS.main);
    expect(resolveLogFormat('  ')).toBe(LOG_FORMAT_PRESETS.main);
    expect(resolveLogFormat('ingress-nginx')).toBe(INGRESS_NGINX_FORMAT);
    expect(resolveLogFormat(' json ')).toBe(NGINX_JSON_FORMAT);
    expect(resolveLogFormat('$remote_addr $status')).toBe('$remote_addr $status');
    expect(() => resolveLogFormat('upstreaminfo')).toThrow(/no preset is named "upstreaminfo"; use one of main, combined, ingress-nginx, json/);
  });

  it('compiles every preset; main also accepts combined lines, combined only combined', () => {
    for (const format of Object.values(LOG_FORMAT_PRESETS)) expect(() => compileLogFormat(format)).not.toThrow();
    const combinedLine = `1.2.3.4 - - ${REST}`;
    expect(parseLine(createParser(LOG_FORMAT_PRESETS.main), combinedLine).ok).toBe(true);
    expect(parseLine(createParser(LOG_FORMAT_PRESETS.combined), combinedLine).ok).toBe(true);
    expect(parseLine(createParser(LOG_FORMAT_PRESETS.combined), `${combinedLine} "-"`).ok).toBe(false);
  });

  it('gives every key of a preset one JSON type, numbers only where nginx always writes numbers', () => {
    const f = compileLogFormat(NGINX_JSON_FORMAT);
    const types = Object.fromEntries(f.keys.map((k, i) => [k, f.keyTypes[i]]));
    expect(types).toMatchObject({
      status: 'integer',
      size: 'integer',
      request_time: 'decimal',
      upstream_status: 'string',
      upstream_status_last: 'integer',
      upstream_response_time: 'string',
      upstream_response_time_total: 'decimal',
      request_id: 'string',
    });
  });
});
