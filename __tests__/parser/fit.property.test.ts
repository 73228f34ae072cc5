/**
 * fast-check properties over lines built from nginx's documented value formats: a line nginx could write always
 * parses, with the values it was built from; a line where a byte of an unquoted address became a space never does.
 */
import fc from 'fast-check';
import { createParser, type LineParser, parseLine } from '../../functions/nginx-parser/parse';
import { INGRESS_NGINX_FORMAT } from '../../functions/nginx-parser/presets';
import { codePoint } from '../support/arbitraries';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** A string as nginx's escape=default writes it: `"`, `\`, control bytes and bytes above 0x7e as \xHH. */
function nginxEscape(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b === 0x22 || b === 0x5c || b < 0x20 || b > 0x7e ? `\\x${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant('unix:'));
const time = fc
  .record({ ms: fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2090, 0, 1) }), offset: fc.integer({ min: -720, max: 840 }) })
  .map(({ ms, offset }) => {
    const seconds = Math.floor(ms / 1000) * 1000;
    const t = new Date(seconds + offset * 60_000);
    const sign = offset < 0 ? '-' : '+';
    const zone = `${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
    const local = `${pad(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} ${zone}`;
    return { local, utc: new Date(seconds).toISOString().slice(0, 19) };
  });
// Free text without `"` handled by escaping; `[` is left out of $remote_user, which main's `$remote_user [` needs.
const text = fc.string({ unit: codePoint, maxLength: 40 });
const user = fc.oneof(fc.constant('-'), fc.stringMatching(/^[A-Za-z0-9._@ -]{1,12}$/));
const request = fc
  .record({ verb: fc.constantFrom('GET', 'POST', 'HEAD', 'PROPFIND'), path: fc.webPath(), proto: fc.constantFrom('HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0') })
  .map(({ verb, path, proto }) => ({ verb, uri: path || '/', line: `${verb} ${path || '/'} ${proto}`, proto }));
const millis = fc.integer({ min: 0, max: 600_000 });
const secs = (ms: number): string => `${Math.floor(ms / 1000)}.${pad(ms % 1000, 3)}`;

/** One upstream try: address, response length, time (ms) and status, nginx's separator before it. */
const attempt = fc.record({
  addr: fc.oneof(fc.ipV4().map((ip) => `${ip}:${8080}`), fc.ipV6().map((ip) => `[${ip}]:80`), fc.constant('unix:/run/app.sock')),
  length: fc.integer({ min: 0, max: 1 << 30 }),
  ms: millis,
  status: fc.integer({ min: 100, max: 599 }),
  redirect: fc.boolean(),
});
const upstream = fc.array(attempt, { minLength: 1, maxLength: 4 });

const main = createParser();
const ingress = createParser(INGRESS_NGINX_FORMAT);

/** Every value has its key's JSON type (the catalog column's type: the Hive JSON SerDe reads anything else as NULL). */
function expectKeyTypes(parser: LineParser, doc: Record<string, unknown>): void {
  expect(Object.keys(doc)).toEqual(parser.keys);
  const wrong = parser.keys.filter((key, i) => {
    const value = doc[key];
    const type = parser.keyTypes[i];
    if (value === null) return false;
    return type === 'string' ? typeof value !== 'string' : type === 'integer' ? !Number.isInteger(value) : typeof value !== 'number';
  });
  expect(wrong).toEqual([]);
}

function mainLine(v: { addr: string; user: string; t: { local: string }; req: { line: string }; status: number; size: number; ref: string; ua: string }): string {
  return `${v.addr} - ${v.user} [${v.t.local}] "${nginxEscape(v.req.line)}" ${v.status} ${v.size} "${nginxEscape(v.ref)}" "${nginxEscape(v.ua)}" "-"`;
}

const mainValues = fc.record({
  addr: address,
  user,
  t: time,
  req: request,
  status: fc.integer({ min: 100, max: 599 }),
  size: fc.integer({ min: 0, max: 2 ** 40 }),
  ref: text,
  ua: text,
});

type Attempt = { addr: string; length: number; ms: number; status: number; redirect: boolean };

function ingressLine(addr: string, tries: readonly Attempt[]): string {
  const join = (f: (a: Attempt) => string): string =>
    tries.map((a, i) => (i === 0 ? '' : a.redirect ? ' : ' : ', ') + f(a)).join('');
  return (
    `${addr} - - [13/Mar/2023:10:38:23 +0000] "GET /api HTTP/1.1" 200 615 "-" "curl/8.5.0" 76 0.006 [default-api-80] [] ` +
    `${join((a) => a.addr)} ${join((a) => String(a.length))} ${join((a) => secs(a.ms))} ${join((a) => String(a.status))} 5d3a1f0c9b8e`
  );
}

describe('lines nginx could write (fast-check)', () => {
  it('main: always parse, with the values they were built from, each of its key\'s type', () => {
    fc.assert(
      fc.property(mainValues, (v) => {
        const r = parseLine(main, mainLine(v));
        if (!r.ok) throw new Error(r.reason);
        expectKeyTypes(main, JSON.parse(r.json) as Record<string, unknown>);
        expect(JSON.parse(r.json)).toMatchObject({
          host: v.addr,
          timestamp: v.t.utc,
          request: v.req.line,
          uri: v.req.uri,
          verb: v.req.verb,
          status: v.status,
          size: v.size,
          refferer: v.ref === '-' ? null : v.ref,
          useragent: v.ua === '-' ? null : v.ua,
          remote_user: v.user === '-' ? null : v.user,
        });
      }),
      { numRuns: 250 },
    );
  });

  it('ingress-nginx: always parse, lists as logged, totals and last status as numbers, each of its key\'s type', () => {
    fc.assert(
      fc.property(address, upstream, (addr, tries) => {
        const line = ingressLine(addr, tries);
        const r = parseLine(ingress, line);
        if (!r.ok) throw new Error(`${r.reason}: ${line}`);
        const doc = JSON.parse(r.json) as Record<string, unknown>;
        expectKeyTypes(ingress, doc);
        expect(doc.host).toBe(addr);
        expect(String(doc.upstream_addr).split(/, | : /)).toEqual(tries.map((a) => a.addr));
        expect(doc.upstream_response_length_total).toBe(tries.reduce((sum, a) => sum + a.length, 0));
        expect(doc.upstream_response_time_total).toBe(tries.reduce((sum, a) => sum + a.ms, 0) / 1000);
        expect(doc.upstream_status_last).toBe(tries[tries.length - 1]?.status);
      }),
      { numRuns: 250 },
    );
  });
});

describe('a byte of an unquoted address turned into a space (fast-check)', () => {
  const spaced = (line: string, at: number): string => `${line.slice(0, at)} ${line.slice(at + 1)}`;

  it('main and ingress-nginx: $remote_addr never parses', () => {
    fc.assert(
      fc.property(mainValues, upstream, fc.nat(), (v, tries, n) => {
        const at = n % v.addr.length;
        expect(parseLine(main, spaced(mainLine(v), at)).ok).toBe(false);
        expect(parseLine(ingress, spaced(ingressLine(v.addr, tries), at)).ok).toBe(false);
      }),
      { numRuns: 250 },
    );
  });

  it('ingress-nginx: $upstream_addr never parses', () => {
    fc.assert(
      fc.property(address, upstream, fc.nat(), (addr, tries, n) => {
        const line = ingressLine(addr, tries);
        const start = line.indexOf('[] ') + 3;
        const end = line.indexOf(' ', line.indexOf(tries[tries.length - 1]?.addr ?? '', start));
        // Bytes of the list that are not already spaces: items, commas and the colons of " : ".
        const positions = [...line.slice(start, end)].flatMap((c, i) => (c === ' ' ? [] : [start + i]));
        const at = positions[n % positions.length] as number;
        const r = parseLine(ingress, spaced(line, at));
        if (r.ok) throw new Error(`parsed with a space at ${at}: ${spaced(line, at)}`);
      }),
      { numRuns: 250 },
    );
  });
});
