import { createParser, LineParser, parseLine, type ParseResult } from '../../functions/nginx-parser/parse';
import { compileLogFormat, NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';

const defaultParser = createParser();

function json(line: string, parser: LineParser = defaultParser): Record<string, unknown> {
  const r = parseLine(parser, line);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(line)} to parse: ${r.reason}`);
  return JSON.parse(r.json) as Record<string, unknown>;
}

function failure(line: string, parser: LineParser = defaultParser): string {
  const r: ParseResult = parseLine(parser, line);
  if (r.ok) throw new Error(`expected ${JSON.stringify(line)} to fail, got ${r.json}`);
  return r.reason;
}

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36';
const T = '[22/Dec/2020:12:32:36 +0000]';

describe('default formats (main and combined)', () => {
  it("turns the original sample line into the original schema's JSON, without the original parser's two bugs", () => {
    const r = parseLine(defaultParser, `1.229.242.14 - - [22/Dec/2020:21:32:36 +0900] "GET / HTTP/1.1" 304 0 "-" "${UA}" "-"`);
    expect(r).toEqual({
      ok: true,
      json:
        '{"host":"1.229.242.14","timestamp":"2020-12-22T12:32:36","request":"GET / HTTP/1.1","uri":"/","status":304,' +
        `"size":0,"verb":"GET","refferer":null,"useragent":"${UA}","protocol":"HTTP/1.1","remote_user":null,` +
        '"http_x_forwarded_for":null}',
    });
  });

  it('accepts combined lines with the same keys, http_x_forwarded_for null', () => {
    const doc = json(`10.0.0.1 - alice ${T} "POST /login HTTP/1.0" 302 15 "https://example.com/" "curl/7.68.0"`);
    expect(Object.keys(doc)).toEqual(Object.keys(json(`10.0.0.1 - - ${T} "GET / HTTP/1.1" 200 1 "-" "-" "-"`)));
    expect(doc).toMatchObject({ remote_user: 'alice', refferer: 'https://example.com/', useragent: 'curl/7.68.0', http_x_forwarded_for: null });
  });

  it('also accepts combined lines when LOG_FORMAT is the main format itself (the stack default)', () => {
    const parser = createParser(`log_format main '${NGINX_MAIN_FORMAT}';`);
    expect(json(`10.0.0.1 - - ${T} "GET / HTTP/1.1" 200 1 "-" "curl/7.68.0"`, parser)).toMatchObject({ http_x_forwarded_for: null });
    expect(failure('x', createParser('$remote_addr [$time_local]'))).not.toMatch(/closest format/);
  });

  it('keeps a forwarded-for list as one string', () => {
    expect(json(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "-" "1.1.1.1, 2.2.2.2"`).http_x_forwarded_for).toBe('1.1.1.1, 2.2.2.2');
  });

  it.each([
    ['+0900', '[01/Jan/2021:08:59:59 +0900]', '2020-12-31T23:59:59'],
    ['-0500', '[31/Dec/2020:20:00:00 -0500]', '2021-01-01T01:00:00'],
    ['+0530', '[22/Dec/2020:12:00:00 +0530]', '2020-12-22T06:30:00'],
    ['leap day', '[29/Feb/2024:00:00:00 +0000]', '2024-02-29T00:00:00'],
  ])('converts %s offsets to UTC', (_, time, utc) => {
    expect(json(`1.2.3.4 - - ${time} "GET / HTTP/1.1" 200 1 "-" "-" "-"`).timestamp).toBe(utc);
  });

  it.each(['[31/Feb/2020:00:00:00 +0000]', '[22/Dek/2020:12:32:36 +0000]', '[22/Dec/2020:24:00:00 +0000]', '[22/Dec/2020 12:32:36 +0000]'])(
    'rejects the impossible time %s',
    (time) => {
      expect(failure(`1.2.3.4 - - ${time} "GET / HTTP/1.1" 200 1 "-" "-" "-"`)).toMatch(/time/);
    },
  );

  it('writes - as null and numbers as numbers', () => {
    const doc = json(`1.2.3.4 - - ${T} "GET /health HTTP/1.1" 200 - "-" "-" "-"`);
    expect(doc).toMatchObject({ status: 200, size: null, refferer: null, useragent: null, remote_user: null });
  });

  it('decodes \\xHH escapes that form UTF-8 and quotes', () => {
    const doc = json(`1.2.3.4 - - ${T} "GET /q=\\x22a\\x22&k=\\xEC\\x95\\x88 HTTP/1.1" 200 1 "-" "Mozilla \\x22evil\\x22 \\x5C" "-"`);
    expect(doc.uri).toBe('/q="a"&k=안');
    expect(doc.request).toBe('GET /q="a"&k=안 HTTP/1.1');
    expect(doc.useragent).toBe('Mozilla "evil" \\');
  });

  it("keeps nginx's escaped text for a field whose bytes are not UTF-8 (a TLS handshake)", () => {
    const doc = json(`1.2.3.4 - - ${T} "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03" 400 157 "-" "-" "-"`);
    expect(doc).toMatchObject({
      request: '\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03',
      verb: null,
      uri: null,
      protocol: null,
      status: 400,
    });
  });

  it('decodes control bytes into JSON escapes', () => {
    const r = parseLine(defaultParser, `1.2.3.4 - - ${T} "GET /\\x01\\x1F HTTP/1.1" 400 1 "-" "-" "-"`);
    expect(r.ok && r.json).toContain('"uri":"/\\u0001\\u001F"');
  });

  it('writes every byte value at every offset of a word as JSON does (raw, escaped) or as nginx text (not UTF-8)', () => {
    // Values are copied four bytes per step while no byte needs care: each byte value in each position of a word,
    // in a value copied while scanning (the user agent) and in one written after the scan (escape=none, last).
    const parsers: [LineParser, (v: Buffer) => Buffer][] = [
      [createParser(), (v) => Buffer.concat([Buffer.from(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "`), v, Buffer.from('" "-"')])],
      [createParser('escape=none $remote_addr "$http_user_agent"'), (v) => Buffer.concat([Buffer.from('1.2.3.4 "'), v, Buffer.from('"')])],
    ];
    const wrong: string[] = [];
    for (const [n, [parser, line]] of parsers.entries()) {
      for (let c = 0; c < 256; c++) {
        // A raw quote ends a quoted value under escape=default: nginx writes \x22.
        if (c === 0x22 && n === 0) continue;
        for (let at = 0; at < 8; at++) {
          const value = Buffer.from('abcdefghijk');
          value[at] = c;
          const expected = c < 0x80 ? value.toString('latin1') : `${value.toString('latin1', 0, at)}\\x${c.toString(16).toUpperCase()}${value.toString('latin1', at + 1)}`;
          const bytes = line(value);
          parser.reset();
          const ok = parser.appendLine(bytes, 0, bytes.length);
          const got = ok ? (JSON.parse(Buffer.from(parser.buf.subarray(0, parser.length)).toString()) as Record<string, unknown>).useragent : parser.error;
          if (got !== expected) wrong.push(`format ${n}, byte ${c} at ${at}: ${JSON.stringify(got)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('keeps raw UTF-8 (non-nginx input) and escapes raw bytes that are not UTF-8', () => {
    expect(json(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "모니터링-봇/1.0" "-"`).useragent).toBe('모니터링-봇/1.0');
    const parser = createParser();
    const bytes = Buffer.concat([Buffer.from(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "a`), Buffer.from([0xff, 0xc3]), Buffer.from('" "-"')]);
    expect(parser.appendLine(bytes, 0, bytes.length)).toBe(true);
    const doc = JSON.parse(Buffer.from(parser.buf.subarray(0, parser.length)).toString()) as Record<string, unknown>;
    expect(doc.useragent).toBe('a\\xFF\\xC3');
  });

  it.each([
    ['an empty request', '""', { request: '', verb: null, uri: null, protocol: null }],
    ['a bare -', '"-"', { request: null, verb: null, uri: null, protocol: null }],
    ['HTTP/0.9', '"GET /"', { request: 'GET /', verb: 'GET', uri: '/', protocol: null }],
    ['WebDAV', '"PROPFIND /dav/ HTTP/1.1"', { verb: 'PROPFIND', uri: '/dav/', protocol: 'HTTP/1.1' }],
    ['HTTP/2.0', '"GET /a b HTTP/2.0"', { verb: 'GET', uri: '/a b', protocol: 'HTTP/2.0' }],
    ['a lowercase method', '"get / HTTP/1.1"', { verb: null, uri: null, protocol: null }],
    ['a method alone', '"GET"', { verb: null, uri: null, protocol: null }],
  ])('splits %s', (_, request, expected) => {
    expect(json(`1.2.3.4 - - ${T} ${request} 400 0 "-" "-" "-"`)).toMatchObject(expected);
  });

  it('accepts IPv6 peers', () => {
    expect(json(`2001:db8::1 - - ${T} "GET / HTTP/1.1" 200 1 "-" "-" "-"`).host).toBe('2001:db8::1');
  });

  it.each([
    ['a truncated line', `1.2.3.4 - - ${T} "GET /x HTTP/1.1" 200 `, /no " \\"" after \$body_bytes_sent at column 64 \(closest format: main\)/],
    ['an error-log line', '2020/12/22 12:32:36 [error] 1234#1234: *1 open() failed', /no " - " after \$remote_addr/],
    ['a status that is not a number', `1.2.3.4 - - ${T} "GET / HTTP/1.1" OK 1 "-" "-" "-"`, /\$status is not what nginx writes there \(expected: integer\)/],
    ['a raw quote inside a field', `1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "a"b" "-"`, /unescaped quote in \$http_user_agent/],
  ])('rejects %s and says why', (_, line, reason) => {
    expect(failure(line)).toMatch(reason);
  });

  it('leaves the output untouched when a line fails', () => {
    const parser = createParser();
    const good = Buffer.from(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "-" "-"`);
    const bad = Buffer.from(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 1 "-" "x" "-`);
    expect(parser.appendLine(good, 0, good.length)).toBe(true);
    const before = parser.length;
    expect(parser.appendLine(bad, 0, bad.length)).toBe(false);
    expect(parser.length).toBe(before);
    expect(Buffer.from(parser.buf.subarray(0, parser.length)).toString().endsWith('}\n')).toBe(true);
  });

  it('handles lines much longer than its initial buffer', () => {
    const uri = `/${'a'.repeat(200_000)}`;
    expect(json(`1.2.3.4 - - ${T} "GET ${uri} HTTP/1.1" 414 0 "-" "-" "-"`).uri).toBe(uri);
  });
});

describe('custom formats', () => {
  it('matches literals that are JavaScript syntax byte for byte (the scanner is compiled; no format text is code)', () => {
    // Short literals are compared inline, long ones (over six bytes) by a call; a prefix before the first variable.
    const tick = '`';
    const format = `${tick}}{ $remote_addr "); throw 1; // $status */${tick}\\u0022 $request_time '"'`;
    const line = (prefix: string, a: string, tail: string): string => `${prefix} 1.2.3.4 ${a} 200 */${tick}\\u0022 0.005 '${tail}`;
    const parser = createParser(format);
    expect(json(line(`${tick}}{`, '"); throw 1; //', `"'`), parser)).toMatchObject({ host: '1.2.3.4', status: 200, request_time: 0.005 });
    expect(failure(line(`${tick}}}`, '"); throw 1; //', `"'`), parser)).toMatch(/^line does not start with "`}{ " at column 1/);
    expect(failure(line(`${tick}}{`, '"); throw 2; //', `"'`), parser)).toMatch(/^no " \\"\); throw 1; \/\/ " after \$remote_addr at column 5/);
    expect(failure(line(`${tick}}{`, '"); throw 1; //', `"`), parser)).toMatch(/after \$request_time/);
  });

  it('serves escape=json formats with $request_time, $upstream_response_time, $host and $msec', () => {
    const parser = createParser(
      `escape=json '{"time":"$time_iso8601","ms":$msec,"host":"$host","req":"$request","status":$status,` +
        `"rt":$request_time,"urt":"$upstream_response_time","ua":"$http_user_agent"}'`,
    );
    const doc = json(
      '{"time":"2020-12-22T21:32:36+09:00","ms":1608640356.123,"host":"example.com","req":"GET /a?q=\\"x\\" HTTP/1.1",' +
        '"status":200,"rt":0.123,"urt":"0.001, 0.002","ua":"a \\"q\\" \\\\ \\u0001 안"}',
      parser,
    );
    expect(doc).toEqual({
      host: null,
      timestamp: '2020-12-22T12:32:36',
      request: 'GET /a?q="x" HTTP/1.1',
      uri: '/a?q="x"',
      status: 200,
      size: null,
      verb: 'GET',
      refferer: null,
      useragent: 'a "q" \\ \u0001 안',
      protocol: 'HTTP/1.1',
      msec: 1608640356.123,
      nginx_host: 'example.com',
      request_time: 0.123,
      upstream_response_time: '0.001, 0.002',
      upstream_response_time_total: 0.003,
    });
  });

  it('rejects escape=json values with a broken escape or a raw quote', () => {
    const parser = createParser('escape=json {"ua":"$http_user_agent","s":$status}');
    expect(failure('{"ua":"a\\qb","s":200}', parser)).toMatch(/invalid JSON escape in \$http_user_agent/);
    expect(json('{"ua":"a\\\\","s":200}', parser).useragent).toBe('a\\');
  });

  it('keeps raw bytes that are not UTF-8 (nginx passes them through with escape=json) as \\xHH text', () => {
    const parser = createParser('escape=json {"ua":"$http_user_agent","s":$status}');
    const bytes = Buffer.concat([Buffer.from('{"ua":"\\u0016'), Buffer.from([0xfc]), Buffer.from('\\"","s":400}')]);
    expect(parser.appendLine(bytes, 0, bytes.length)).toBe(true);
    const doc = JSON.parse(Buffer.from(parser.buf.subarray(0, parser.length)).toString()) as Record<string, unknown>;
    expect(doc.useragent).toBe('\u0016\\xFC"');
  });

  it('escapes raw quotes and backslashes with escape=none', () => {
    const parser = createParser('escape=none $remote_addr [$time_local] $status "$http_user_agent"');
    expect(json(`1.2.3.4 ${T} 200 "say "hi" \\x22"`, parser).useragent).toBe('say "hi" \\x22');
  });

  it('writes the numbers nginx writes as JSON numbers, without leading zeros, and lists as strings', () => {
    const parser = createParser('$remote_addr $request_time $bytes_sent $connection "$upstream_status" $status');
    expect(json('1.2.3.4 0.000 0123 5 "502, 200" 009', parser)).toMatchObject({
      request_time: 0,
      bytes_sent: 123,
      connection: 5,
      upstream_status: '502, 200',
      upstream_status_last: 200,
      status: 9,
    });
  });

  it('writes null for keys of the original schema the format does not log', () => {
    const parser = new LineParser([compileLogFormat('$remote_addr $status')]);
    expect(json('1.2.3.4 200', parser)).toEqual({
      host: '1.2.3.4', timestamp: null, request: null, uri: null, status: 200, size: null, verb: null, refferer: null,
      useragent: null, protocol: null,
    });
  });
});
