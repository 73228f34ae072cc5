/**
 * A corpus of parsed log lines with known contents, laid out in objects the way Firehose writes them, for the query
 * tests: every value is chosen here, so the tests compute the expected answers without DuckDB.
 */
import { formatTimestamp } from '../../../facts/s3-layout';

/** One row as the parser writes it (the keys the tests look at; the rest null). */
export interface Row {
  host: string;
  timestamp: string;
  request: string;
  uri: string;
  status: number;
  size: number | null;
  verb: string;
  refferer: string | null;
  useragent: string | null;
  protocol: string;
  remote_user: string | null;
  http_x_forwarded_for: string | null;
  request_time: number;
}

/** An object to write: its key, its rows and its partition value (undefined: outside the table). */
export interface CorpusObject {
  readonly key: string;
  readonly rows: Row[];
  readonly datehour?: string;
}

const HOUR = 3_600_000;

/**
 * `hours` hour folders ending with the current one, `perObject` rows per object, two objects per hour, plus one
 * object 30 hours back (in the table, but outside the named queries' 24 h), and objects the projection does not
 * see: one in the next hour, one hidden (`_`), one a folder too deep.
 */
export function makeCorpus(now: number, opts: { hours?: number; perObject?: number; seed?: number } = {}): CorpusObject[] {
  let state = opts.seed ?? 7;
  const rand = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
  const hosts = ['10.0.0.1', '10.0.0.2', '2001:db8::1', '192.168.1.9', '172.16.0.4'];
  const uris = ['/', '/index.html', '/api/v1/orders', '/login', '/static/app.js', '/health', '/안녕'];
  const statuses = [200, 200, 200, 304, 404, 500, 502, 503];
  let n = 0;
  const row = (ms: number): Row => {
    const uri = uris[rand(uris.length)]!;
    const status = statuses[rand(statuses.length)]!;
    n += 1;
    return {
      host: hosts[rand(hosts.length)]!,
      timestamp: new Date(ms).toISOString().slice(0, 19),
      request: `GET ${uri} HTTP/1.1`,
      uri,
      status,
      size: status === 304 ? null : rand(100_000),
      verb: 'GET',
      refferer: null,
      useragent: 'curl/8.0',
      protocol: 'HTTP/1.1',
      remote_user: null,
      http_x_forwarded_for: null,
      // Distinct values, so "slowest requests" has one right order.
      request_time: n / 1000 + rand(5),
    };
  };
  const objects: CorpusObject[] = [];
  const add = (hourMs: number, name: string, rows: number, inTable: boolean, key?: string): void => {
    const datehour = formatTimestamp('yyyy/MM/dd/HH', hourMs);
    objects.push({
      key: key ?? `nginx/${datehour}/${name}`,
      rows: Array.from({ length: rows }, () => row(hourMs)),
      datehour: inTable ? datehour : undefined,
    });
  };
  const per = opts.perObject ?? 40;
  const thisHour = Math.floor(now / HOUR) * HOUR;
  for (let h = (opts.hours ?? 3) - 1; h >= 0; h--) {
    const at = thisHour - h * HOUR;
    add(at, `nginx-access-logs-to-s3-1-${formatTimestamp('yyyy-MM-dd-HH', at)}-00-01-aaaaaaaa-0000-4000-8000-00000000000${h}`, per, true);
    add(at, `nginx-access-logs-to-s3-1-${formatTimestamp('yyyy-MM-dd-HH', at)}-30-01-bbbbbbbb-0000-4000-8000-00000000000${h}`, per + 3, true);
  }
  add(thisHour - 30 * HOUR, 'old-object', per, true);
  add(thisHour + HOUR, 'future-object', 5, false);
  add(thisHour, '_hidden', 5, false);
  add(thisHour, 'deeper', 5, false, `nginx/${formatTimestamp('yyyy/MM/dd/HH', thisHour)}/sub/deeper`);
  return objects;
}

/** NDJSON of an object's rows, as the parser writes them. */
export function ndjson(rows: readonly Row[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}
