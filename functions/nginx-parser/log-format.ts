/**
 * Compiles an nginx `log_format` string into a plan the line parser follows.
 *
 * Pure and dependency-free: the stack calls {@link compileLogFormat} at synth time to reject a format that cannot be
 * parsed unambiguously, and the Lambda calls it once at cold start.
 */
import { LEADING_KEYS, type LeadingKey } from '../../facts/output-schema';

/** How nginx escaped variable values in the log (`log_format name escape=…`). */
export type LogEscape = 'default' | 'json' | 'none';

/**
 * What a variable's value can look like, from nginx's documentation of its variables; decides how its end is found,
 * how strictly it is checked and how it is written to JSON. A value that cannot be what nginx writes for its variable
 * makes the line fail.
 *
 * - `time_local`, `time_iso8601`: fixed width, converted to the UTC `timestamp`.
 * - `msec`: seconds with milliseconds (`1608640356.123`), converted to `timestamp` and kept as a number.
 * - `integer`: digits (`$status`, `$body_bytes_sent`, `$pid`, …), written as a JSON number.
 * - `decimal`: digits, `.`, digits (`$request_time`, `$gzip_ratio`), written as a JSON number.
 * - `address`: an IPv4 or IPv6 address or `unix:` and a socket path (`$remote_addr`, `$server_addr`).
 * - `integer_list`, `decimal_list`, `address_list`: nginx's `$upstream_*` lists, one item per upstream server tried,
 *   separated by `, ` (servers of one group) and ` : ` (groups, after an internal redirect); an item may be `-`.
 * - `token`: printable text without spaces (`$host`, `$request_id`, `$scheme`).
 * - `text`: anything nginx may log, including spaces (headers, `$request`, `$remote_user`, unknown variables).
 *
 * `-` (nginx's "not found") is null for every kind. An empty `token` or `text` value is an empty string. An empty
 * number, address or list is null where nginx writes one: with `escape=json` or `escape=none` (how they log "not
 * found"), and for the few variables that may be empty (`$remote_port` of a UNIX-socket client); elsewhere it fails.
 */
export type ValueKind =
  | 'time_local'
  | 'time_iso8601'
  | 'msec'
  | 'integer'
  | 'decimal'
  | 'address'
  | 'integer_list'
  | 'decimal_list'
  | 'address_list'
  | 'token'
  | 'text';

/** The JSON type of an output key's non-null values: what a catalog column must read it as. */
export type KeyType = 'string' | 'integer' | 'decimal';

/** One `$variable` of a compiled format. */
export interface FormatVariable {
  /** nginx name without `$`. */
  readonly name: string;
  readonly kind: ValueKind;
  /** JSON key of the value, or `undefined` when the value only feeds a leading key (e.g. `$time_local`). */
  readonly key: string | undefined;
  /**
   * The leading key this variable fills, if any: one of the original schema's (`host`, `timestamp`, `request`,
   * `status`, `size`, `refferer`, `useragent`).
   */
  readonly role: LeadingKey | undefined;
  /**
   * For a numeric `$upstream_*` list: the key of its typed summary, a JSON number (`upstream_status_last`: the last
   * status; `upstream_response_time_total` and the other `_total`s: the sum of the items), else `undefined`.
   */
  readonly companion: string | undefined;
  /** Index of this variable's first occurrence when the format logs it again (the values must agree), else -1. */
  readonly repeatOf: number;
  /** Whether an empty value is something nginx writes here (then it is null), see {@link ValueKind}. */
  readonly mayBeEmpty: boolean;
}

/** A log format ready for the parser: literals and variables alternate, `literals[i]` precedes `variables[i]`. */
export interface CompiledLogFormat {
  /** The format string as nginx would see it (quotes, `log_format name` and `escape=` removed). */
  readonly format: string;
  readonly escape: LogEscape;
  /** `variables.length + 1` literals; the first is the line prefix, the last the line suffix (often empty). */
  readonly literals: readonly string[];
  readonly variables: readonly FormatVariable[];
  /**
   * Every JSON key this format produces, in output order: the leading keys first, then one per remaining variable, each
   * `$upstream_*` number list followed by its typed companion.
   */
  readonly keys: readonly string[];
  /** The JSON type of each key's values, parallel to {@link keys}. */
  readonly keyTypes: readonly KeyType[];
}


/** nginx's `main` format, from the nginx.conf nginx ships (with `$http_x_forwarded_for`). */
export const NGINX_MAIN_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent ' +
  '"$http_referer" "$http_user_agent" "$http_x_forwarded_for"';

/** nginx's built-in `combined` format. */
export const NGINX_COMBINED_FORMAT = NGINX_MAIN_FORMAT.slice(0, NGINX_MAIN_FORMAT.lastIndexOf(' '));

/** A log format that cannot be compiled, with what was wrong and how to fix it. */
export class LogFormatError extends Error {
  override name = 'LogFormatError';
}

const ROLES: Readonly<Record<string, LeadingKey>> = {
  remote_addr: 'host',
  request: 'request',
  status: 'status',
  body_bytes_sent: 'size',
  http_referer: 'refferer',
  http_user_agent: 'useragent',
};

const words = (list: string): string[] => list.split(' ');

/**
 * The variables nginx writes in a narrow format (ngx_http_core_module, ngx_http_log_module, ngx_http_upstream_module,
 * ngx_http_realip_module and ngx_http_proxy_protocol "Embedded Variables"); any other variable is `text`.
 */
const VARIABLES_BY_KIND: Readonly<Partial<Record<ValueKind, string>>> = {
  time_local: 'time_local',
  time_iso8601: 'time_iso8601',
  msec: 'msec',
  integer:
    'status body_bytes_sent bytes_sent request_length connection connection_requests pid remote_port server_port ' +
    'proxy_protocol_port proxy_protocol_server_port realip_remote_port',
  decimal: 'request_time gzip_ratio',
  address: 'remote_addr server_addr realip_remote_addr proxy_protocol_addr proxy_protocol_server_addr',
  integer_list: 'upstream_status upstream_response_length upstream_bytes_received upstream_bytes_sent',
  decimal_list: 'upstream_connect_time upstream_header_time upstream_response_time upstream_queue_time',
  address_list: 'upstream_addr',
  token:
    'host scheme https request_id server_name server_protocol request_method hostname ssl_protocol ssl_cipher ' +
    'ssl_session_reused nginx_version pipe upstream_cache_status',
};

const KINDS = new Map<string, ValueKind>(
  Object.entries(VARIABLES_BY_KIND).flatMap(([kind, names]) => words(names as string).map((n): [string, ValueKind] => [n, kind as ValueKind])),
);

/** Variables nginx may write as an empty string even with escape=default (`$remote_port` of a UNIX-socket client). */
const MAY_BE_EMPTY = new Set(words('remote_port proxy_protocol_addr'));

const TIME_KINDS = new Set<ValueKind>(['time_local', 'time_iso8601', 'msec']);

const isList = (kind: ValueKind): boolean => kind.endsWith('_list');

/** Characters a value of each kind may contain; a literal made only of these could not end it unambiguously. */
function mayContain(kind: ValueKind, ch: string): boolean {
  switch (kind) {
    case 'integer':
    case 'decimal':
    case 'msec':
      return (ch >= '0' && ch <= '9') || ch === '.' || ch === '-';
    case 'address':
    case 'token':
      return ch > ' ' && ch !== '"' && ch !== '\x7f';
    case 'text':
      // Free text may hold any character but `"` (escaped by nginx); only a literal with a non-blank character is
      // treated as its end, as nginx's own `$remote_user [` relies on.
      return ch === ' ' || ch === '\t';
    default:
      return false;
  }
}

/** The JSON type a variable's own key holds. */
function keyType(kind: ValueKind): KeyType {
  return kind === 'integer' ? 'integer' : kind === 'decimal' || kind === 'msec' ? 'decimal' : 'string';
}

/** Strips an optional `log_format NAME`, `escape=…` and nginx config quoting, as users paste them from nginx.conf. */
function unwrap(input: string): { format: string; escape: LogEscape } {
  let rest = input.trim();
  const directive = /^log_format\s+[A-Za-z0-9_-]+\s+/.exec(rest);
  if (directive) rest = rest.slice(directive[0].length);
  let escape: LogEscape = 'default';
  const esc = /^escape=(\S*)\s+/.exec(rest);
  if (esc) {
    const value = esc[1];
    if (value !== 'default' && value !== 'json' && value !== 'none') {
      throw new LogFormatError(`log format: escape must be default, json or none, got "escape=${value}"`);
    }
    escape = value;
    rest = rest.slice(esc[0].length);
  }
  if (rest.endsWith(';') && (rest.startsWith("'") || rest.startsWith('"'))) rest = rest.slice(0, -1).trimEnd();
  const quoted = /^['"]/.test(rest) ? unquote(rest) : undefined;
  return { format: quoted ?? rest, escape };
}

/** Concatenates nginx config strings (`'a ' "b"`), or returns undefined when `text` is not made only of them. */
function unquote(text: string): string | undefined {
  const piece = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*/y;
  let out = '';
  while (piece.lastIndex < text.length) {
    const m = piece.exec(text);
    if (!m) return undefined;
    out += (m[1] ?? m[2] ?? '').replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r' })[c] ?? c);
  }
  return out;
}

function show(literal: string): string {
  return JSON.stringify(literal);
}

/**
 * Compiles an nginx `log_format` string.
 *
 * Accepts the format as nginx.conf spells it (preset names are resolved before, by `resolveLogFormat` in
 * presets.ts): a bare string (`$remote_addr - …`), nginx-quoted pieces (`'$remote_addr - ' '"$request"'`), optionally preceded by
 * `escape=json|default|none` or a whole `log_format NAME … ;` directive. A variable may appear more than once, as
 * nginx allows: each occurrence must log the same value, and only the first writes a key. Throws
 * {@link LogFormatError} saying what is wrong and how to fix it when the format cannot be parsed unambiguously: two
 * variables with no text between them, a free-text variable followed only by blanks, a list followed by text that
 * starts like its separators, no variable at all.
 */
export function compileLogFormat(input: string): CompiledLogFormat {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new LogFormatError('log format is empty: give an nginx log_format string');
  }
  const { format, escape } = unwrap(input);
  const literals: string[] = [];
  const names: string[] = [];
  const variable = /\$(?:\{(\w+)\}|(\w+))/y;
  let literal = '';
  for (let i = 0; i < format.length; ) {
    if (format[i] !== '$') {
      literal += format[i++];
      continue;
    }
    variable.lastIndex = i;
    const m = variable.exec(format);
    const name = m?.[1] ?? m?.[2];
    if (m === null || name === undefined) {
      throw new LogFormatError(`log format: "$" at position ${i} is not a variable ($name or \${name}): ${show(format.slice(i, i + 20))}`);
    }
    i = variable.lastIndex;
    if (names.length > 0 && literal === '') {
      throw new LogFormatError(
        `log format: $${names[names.length - 1]} and $${name} have no text between them, so where one ends is unknown; ` +
          'put a separator (a space, quotes) between them',
      );
    }
    literals.push(literal);
    names.push(name);
    literal = '';
  }
  literals.push(literal);
  if (names.length === 0) {
    throw new LogFormatError(
      `log format has no $variables: ${show(format)}; give an nginx log_format string (LOG_FORMAT also takes main, combined, ingress-nginx, json)`,
    );
  }

  const timeVar = names.find((n) => TIME_KINDS.has(KINDS.get(n) as ValueKind));
  const variables: FormatVariable[] = names.map((name, n) => {
    const kind = KINDS.get(name) ?? 'text';
    const first = names.indexOf(name);
    // A repeated variable is checked against its first occurrence and writes no key of its own.
    const repeatOf = first < n ? first : -1;
    const role: LeadingKey | undefined = repeatOf >= 0 ? undefined : name === timeVar ? 'timestamp' : ROLES[name];
    // The timestamp keeps only seconds; $msec also stays as a number so its milliseconds are not lost.
    const ownKey = repeatOf >= 0 || (role !== undefined && name !== 'msec') ? undefined : name;
    const summary = name === 'upstream_status' ? '_last' : '_total';
    const companion = ownKey !== undefined && isList(kind) && kind !== 'address_list' ? `${name}${summary}` : undefined;
    const mayBeEmpty = escape !== 'default' || kind === 'token' || kind === 'text' || MAY_BE_EMPTY.has(name);
    return { name, kind, role, key: ownKey, companion, repeatOf, mayBeEmpty };
  });

  names.forEach((name, n) => {
    const v = variables[n] as FormatVariable;
    const next = literals[n + 1] as string;
    const isLast = n === names.length - 1;
    if (isLast || v.kind === 'time_local' || v.kind === 'time_iso8601') return;
    if (isList(v.kind)) {
      // A list takes every ", " and " : " that is followed by an item: text after it must not start like one.
      if (next.startsWith(',') || next.startsWith(' :')) {
        throw new LogFormatError(
          `log format: $${name} is a list (", " and " : " separate its items), so ${show(next)} after it is ambiguous; quote it`,
        );
      }
      return;
    }
    if ([...next].every((ch) => mayContain(v.kind, ch))) {
      throw new LogFormatError(
        `log format: $${name} can contain ${show(next)}, the only text after it, so where it ends is unknown; ` +
          `quote it ("$${name}") as nginx's combined format does`,
      );
    }
  });

  const taken = new Set<string>(LEADING_KEYS);
  const claim = (v: FormatVariable, key: string): string => {
    if (!taken.has(key)) {
      taken.add(key);
      return key;
    }
    // $host, $uri and friends would collide with a leading key: they keep their value under a prefixed name.
    const renamed = `nginx_${key}`;
    if (taken.has(renamed)) {
      throw new LogFormatError(`log format: $${v.name} would be written as "${renamed}", which another variable already uses`);
    }
    taken.add(renamed);
    return renamed;
  };
  const keyed = variables.map((v) => {
    if (v.key === undefined) return v;
    const key = claim(v, v.key);
    return { ...v, key, companion: v.companion === undefined ? undefined : claim(v, v.companion) };
  });

  const keys: string[] = [...LEADING_KEYS];
  const keyTypes: KeyType[] = LEADING_KEYS.map((k) => (k === 'status' || k === 'size' ? 'integer' : 'string'));
  for (const v of keyed) {
    if (v.key === undefined) continue;
    keys.push(v.key);
    keyTypes.push(keyType(v.kind));
    if (v.companion !== undefined) {
      keys.push(v.companion);
      keyTypes.push(v.kind === 'decimal_list' ? 'decimal' : 'integer');
    }
  }
  return { format, escape, literals, variables: keyed, keys, keyTypes };
}

/** The formats a `LOG_FORMAT` value stands for, tried in order on each line, with a label each for error messages. */
export interface LogFormatSet {
  readonly formats: readonly CompiledLogFormat[];
  readonly labels: readonly string[];
}

/**
 * Compiles a `log_format` string as the parser uses it; undefined or blank means nginx's `main`. nginx's `main` format
 * also accepts `combined` lines: servers still on the built-in `combined` keep working.
 */
export function compileLogFormats(value?: string): LogFormatSet {
  const main = compileLogFormat(NGINX_MAIN_FORMAT);
  const given = value?.trim() ? compileLogFormat(value) : main;
  if (given.format !== main.format || given.escape !== main.escape) return { formats: [given], labels: [] };
  return { formats: [main, compileLogFormat(NGINX_COMBINED_FORMAT)], labels: ['main', 'combined'] };
}

/**
 * The output schema of several formats parsed as one: the union of their keys, in the first format's order, each with
 * its JSON type. Throws when two formats write the same key with different types (a catalog column has one type).
 */
export function outputSchema(formats: readonly CompiledLogFormat[]): { keys: string[]; keyTypes: KeyType[] } {
  const keys: string[] = [];
  const keyTypes: KeyType[] = [];
  for (const f of formats) {
    f.keys.forEach((k, i) => {
      const type = f.keyTypes[i] as KeyType;
      const at = keys.indexOf(k);
      if (at < 0) {
        keys.push(k);
        keyTypes.push(type);
      } else if (keyTypes[at] !== type) {
        throw new LogFormatError(`log formats disagree on the type of "${k}": ${keyTypes[at]} and ${type}`);
      }
    });
  }
  return { keys, keyTypes };
}
