import { compileLogFormat, NGINX_MAIN_FORMAT } from '../functions/nginx-parser/log-format';

/** A Glue/Athena column: name and Hive type. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: 'string' | 'int' | 'bigint' | 'double';
}

/** Types of the seed's keys as the parser writes them: `status` and `size` are JSON numbers, the rest strings. */
const SEED_KEY_TYPES: Readonly<Record<string, CatalogColumn['type']>> = {
  status: 'int',
  size: 'bigint',
};

/** nginx numeric variables that are always whole numbers; other numeric ones (`$request_time`, `$msec`) are double. */
const INTEGER_VARIABLES: ReadonlySet<string> = new Set([
  'bytes_sent',
  'body_bytes_sent',
  'request_length',
  'connection',
  'connection_requests',
  'content_length',
  'pid',
  'server_port',
  'remote_port',
]);

/**
 * Variables nginx lists among numbers but logs as the client sent them: `$content_length` is the request header,
 * so it can be `0123` or `abc` (nginx answers 400 and still logs it), which the parser keeps as a string. A numeric
 * column would read those as NULL; a string column reads every value, numbers included, as text.
 */
const CLIENT_SUPPLIED_VARIABLES: ReadonlySet<string> = new Set(['content_length']);

/**
 * The table columns for the JSON the parser writes for `logFormat`, in the parser's key order.
 *
 * Uses the parser's own format compiler, so the catalog and the Lambda can never disagree on the keys. Numeric
 * variables get numeric types (`status` int, `size` bigint, `$request_time` double): the Hive JSON SerDe reads JSON
 * numbers into them, and queries compare numbers, not strings. The timestamp stays a string (the seed's
 * `2020-12-22T12:32:36`, UTC); `from_iso8601_timestamp("timestamp")` turns it into a timestamp in a query.
 */
export function catalogColumns(logFormat: string = NGINX_MAIN_FORMAT): CatalogColumn[] {
  const compiled = compileLogFormat(logFormat);
  const kinds = new Map(compiled.variables.filter((v) => v.key !== undefined).map((v) => [v.key as string, v.kind]));
  const seen = new Set<string>();
  return compiled.keys.map((key) => {
    const name = key.toLowerCase();
    if (seen.has(name)) {
      throw new Error(`log format gives two keys that differ only in case ("${name}"); Athena column names are case-insensitive`);
    }
    seen.add(name);
    const kind = kinds.get(key);
    const numeric = (kind === 'number' || kind === 'msec') && !CLIENT_SUPPLIED_VARIABLES.has(key);
    const type = SEED_KEY_TYPES[key] ?? (!numeric ? 'string' : INTEGER_VARIABLES.has(key) ? 'bigint' : 'double');
    return { name, type };
  });
}
