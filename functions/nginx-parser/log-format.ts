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
 * What a variable's value can look like; decides how its end is found and how it is written to JSON.
 *
 * - `time_local`, `time_iso8601`: fixed width, converted to the UTC `timestamp`.
 * - `msec`: seconds with milliseconds (`1608640356.123`), converted to `timestamp` and kept as a number.
 * - `number`: nginx documents the value as a number (`$status`, `$request_time`, …).
 * - `token`: printable text without spaces: addresses (`$remote_addr`, `unix:` sockets), `$host`, `$request_id`.
 * - `text`: anything nginx may log, including spaces (headers, `$request`, `$upstream_*` lists).
 */
export type ValueKind = 'time_local' | 'time_iso8601' | 'msec' | 'number' | 'token' | 'text';

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
}

/** A log format ready for the parser: literals and variables alternate, `literals[i]` precedes `variables[i]`. */
export interface CompiledLogFormat {
  /** The format string as nginx would see it (quotes, `log_format name` and `escape=` removed). */
  readonly format: string;
  readonly escape: LogEscape;
  /** `variables.length + 1` literals; the first is the line prefix, the last the line suffix (often empty). */
  readonly literals: readonly string[];
  readonly variables: readonly FormatVariable[];
  /** Every JSON key this format produces, in output order: the leading keys first, then one per remaining variable. */
  readonly keys: readonly string[];
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

const TIME_KINDS: Readonly<Record<string, ValueKind>> = {
  time_local: 'time_local',
  time_iso8601: 'time_iso8601',
  msec: 'msec',
};

const words = (list: string): Set<string> => new Set(list.split(' '));

// Variables nginx documents as numbers. A value that is not one clean number (a list such as "0.1, 0.2") stays a string.
const NUMBERS = words(
  'status body_bytes_sent bytes_sent request_length request_time connection connection_requests pid remote_port ' +
    'server_port content_length gzip_ratio upstream_connect_time upstream_header_time upstream_response_time ' +
    'upstream_response_length upstream_bytes_received upstream_bytes_sent upstream_status upstream_queue_time',
);

// $upstream_* values become lists ("0.012, 0.034", "502 : 200") when several upstreams were tried: they are text.
const LISTS = /^upstream_/;

const TOKENS = words(
  'remote_addr server_addr realip_remote_addr binary_remote_addr host scheme https request_id server_name ' +
    'server_protocol request_method hostname ssl_protocol ssl_cipher ssl_session_reused nginx_version pipe',
);

/** Characters a value of each kind may contain; a literal made only of these could not end it unambiguously. */
function mayContain(kind: ValueKind, ch: string): boolean {
  switch (kind) {
    case 'number':
    case 'msec':
      return (ch >= '0' && ch <= '9') || ch === '.' || ch === '-';
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

function kindOf(name: string): ValueKind {
  const time = TIME_KINDS[name];
  if (time) return time;
  if (NUMBERS.has(name)) return LISTS.test(name) ? 'text' : 'number';
  if (TOKENS.has(name)) return 'token';
  return 'text';
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
 * Accepts the format as nginx.conf spells it: a bare string (`$remote_addr - …`), nginx-quoted pieces
 * (`'$remote_addr - ' '"$request"'`), optionally preceded by `escape=json|default|none` or a whole
 * `log_format NAME … ;` directive. Throws {@link LogFormatError} saying what is wrong and how to fix it when the
 * format cannot be parsed unambiguously: two variables with no text between them, a free-text variable followed only
 * by blanks, a repeated variable, no variable at all.
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
    if (names.includes(name)) throw new LogFormatError(`log format: $${name} appears twice; log each variable once`);
    literals.push(literal);
    names.push(name);
    literal = '';
  }
  literals.push(literal);
  if (names.length === 0) {
    throw new LogFormatError(`log format has no $variables: ${show(format)}`);
  }

  const timeVar = names.find((n) => TIME_KINDS[n] !== undefined);
  const variables: FormatVariable[] = names.map((name) => {
    const kind = kindOf(name);
    const role: LeadingKey | undefined = name === timeVar ? 'timestamp' : ROLES[name];
    // The timestamp keeps only seconds; $msec also stays as a number so its milliseconds are not lost.
    const ownKey = role === undefined || name === 'msec' ? name : undefined;
    return { name, kind, role, key: ownKey };
  });

  names.forEach((name, n) => {
    const v = variables[n] as FormatVariable;
    const next = literals[n + 1] as string;
    const isLast = n === names.length - 1;
    if (isLast || v.kind === 'time_local' || v.kind === 'time_iso8601') return;
    if ([...next].every((ch) => mayContain(v.kind, ch))) {
      throw new LogFormatError(
        `log format: $${name} can contain ${show(next)}, the only text after it, so where it ends is unknown; ` +
          `quote it ("$${name}") as nginx's combined format does`,
      );
    }
  });

  const taken = new Set<string>(LEADING_KEYS);
  const keyed = variables.map((v) => {
    if (v.key === undefined || !taken.has(v.key)) {
      if (v.key !== undefined) taken.add(v.key);
      return v;
    }
    // $host, $uri and friends would collide with a leading key: they keep their value under a prefixed name.
    const renamed = `nginx_${v.key}`;
    if (taken.has(renamed)) {
      throw new LogFormatError(`log format: $${v.name} would be written as "${renamed}", which another variable already uses`);
    }
    taken.add(renamed);
    return { ...v, key: renamed };
  });

  return {
    format,
    escape,
    literals,
    variables: keyed,
    keys: [...LEADING_KEYS, ...keyed.flatMap((v) => (v.key === undefined ? [] : [v.key]))],
  };
}
