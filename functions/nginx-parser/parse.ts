/**
 * The pure parser core: nginx access-log lines (bytes) in, one JSON object per line (bytes) out.
 *
 * No AWS types and no I/O. A hand-written scanner follows the plan {@link compileLogFormat} made: every byte of a line
 * is looked at a bounded number of times (no regular expression, no backtracking), values are copied straight into
 * one reusable output buffer, and JSON, UTF-8 and the UTC timestamp are produced by hand, without `JSON.stringify`,
 * `TextDecoder` or `new Date` per line.
 */
import {
  type CompiledLogFormat,
  type FormatVariable,
  compileLogFormat,
  NGINX_COMBINED_FORMAT,
  NGINX_MAIN_FORMAT,
} from './log-format';

const ESC_DEFAULT = 0;
const ESC_JSON = 1;
const ESC_NONE = 2;

const T_NONE = 0;
const T_LOCAL = 1;
const T_ISO = 2;
const T_MSEC = 3;

// How an output key gets its value.
const M_STRING = 1;
const M_NUMBER = 2; // a number when the value is one clean number, else a string
const M_STATUS = 3; // must be a number
const M_SIZE = 4; // a number or "-"
const M_TIME = 5;
const M_VERB = 6;
const M_URI = 7;
const M_PROTOCOL = 8;

// Why a line did not fit; turned into words only when someone asks (hostile input must stay cheap).
const E_PREFIX = 1;
const E_SEPARATOR = 2;
const E_SUFFIX = 3;
const E_TIME = 4;
const E_NUMBER = 5;
const E_QUOTE = 6;
const E_ESCAPE = 7;
const E_UTF8 = 8;

const FAIL = -1;

interface Plan {
  readonly label: string;
  readonly escape: number;
  readonly nVars: number;
  readonly names: readonly string[];
  readonly lits: readonly Uint8Array[];
  /** Fixed width of a value (26 for `$time_local`), 0 when its end is found by searching for the next literal. */
  readonly width: Int32Array;
  readonly timeKind: Int32Array;
  /** Per output key (the parser's key order): the variable it comes from (-1: none) and how it is written. */
  readonly srcVar: Int32Array;
  readonly srcMode: Int32Array;
  readonly requestVar: number;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const HEX = encoder.encode('0123456789ABCDEF');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NULL_BYTES = encoder.encode('null');
/** 1 for bytes copied into a JSON string as they are: printable ASCII but `"` and `\`. */
const PLAIN = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) PLAIN[c] = c === 34 || c === 92 ? 0 : 1;

function hexValue(c: number | undefined): number {
  if (c === undefined) return -1;
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 48 && c <= 57;
}

function matchAt(src: Uint8Array, at: number, end: number, lit: Uint8Array): boolean {
  const m = lit.length;
  if (at < 0 || at + m > end) return false;
  for (let j = 0; j < m; j++) if (src[at + j] !== lit[j]) return false;
  return true;
}

/** First occurrence of `lit` in [from, end); with `jsonQuote`, a `"` escaped by an odd run of backslashes is skipped. */
function find(src: Uint8Array, lit: Uint8Array, from: number, end: number, jsonQuote: boolean): number {
  const first = lit[0];
  const m = lit.length;
  const last = end - m;
  for (let i = from; i <= last; i++) {
    if (src[i] !== first) continue;
    let j = 1;
    while (j < m && src[i + j] === lit[j]) j++;
    if (j !== m) continue;
    if (jsonQuote) {
      let k = i - 1;
      while (k >= from && src[k] === 92) k--;
      if ((i - 1 - k) % 2 === 1) continue;
    }
    return i;
  }
  return -1;
}

/** One JSON number per JSON's grammar, at most 15 characters so a double holds it exactly. */
function isCleanNumber(src: Uint8Array, s: number, e: number): boolean {
  const n = e - s;
  if (n === 0 || n > 15) return false;
  let i = s;
  const c = src[i] as number;
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) {
    i++;
    while (i < e && isDigit(src[i])) i++;
  } else return false;
  if (i === e) return true;
  if (src[i] !== 46) return false;
  i++;
  if (i === e) return false;
  while (i < e) {
    if (!isDigit(src[i])) return false;
    i++;
  }
  return true;
}

function digits(src: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = src[i];
    if (c === undefined || c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function monthOf(src: Uint8Array, at: number): number {
  const a = src[at];
  const b = src[at + 1];
  const c = src[at + 2];
  for (let m = 0; m < 12; m++) {
    const name = MONTHS[m] as string;
    if (a === name.charCodeAt(0) && b === name.charCodeAt(1) && c === name.charCodeAt(2)) return m + 1;
  }
  return -1;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Builds the per-format plan: byte literals, widths and where each output key comes from. */
function makePlan(f: CompiledLogFormat, keys: readonly string[], label: string): Plan {
  const vars = f.variables;
  const n = vars.length;
  const width = new Int32Array(n);
  const timeKind = new Int32Array(n);
  vars.forEach((v, i) => {
    width[i] = v.kind === 'time_local' ? 26 : v.kind === 'time_iso8601' ? 25 : 0;
    timeKind[i] = v.kind === 'time_local' ? T_LOCAL : v.kind === 'time_iso8601' ? T_ISO : v.kind === 'msec' ? T_MSEC : T_NONE;
  });
  const requestVar = vars.findIndex((v) => v.role === 'request');
  const byRole = (role: string): number => vars.findIndex((v) => v.role === role);
  const srcVar = new Int32Array(keys.length).fill(-1);
  const srcMode = new Int32Array(keys.length);
  const numeric = (v: FormatVariable): number => (v.kind === 'number' || v.kind === 'msec' ? M_NUMBER : M_STRING);
  keys.forEach((key, k) => {
    switch (key) {
      case 'timestamp': {
        const i = byRole('timestamp');
        if (i >= 0) [srcVar[k], srcMode[k]] = [i, M_TIME];
        return;
      }
      case 'status':
      case 'size': {
        const i = byRole(key);
        if (i >= 0) [srcVar[k], srcMode[k]] = [i, key === 'status' ? M_STATUS : M_SIZE];
        return;
      }
      case 'verb':
      case 'uri':
      case 'protocol':
        if (requestVar >= 0) [srcVar[k], srcMode[k]] = [requestVar, key === 'verb' ? M_VERB : key === 'uri' ? M_URI : M_PROTOCOL];
        return;
      case 'host':
      case 'request':
      case 'refferer':
      case 'useragent': {
        const i = byRole(key);
        if (i >= 0) [srcVar[k], srcMode[k]] = [i, M_STRING];
        return;
      }
      default: {
        const i = vars.findIndex((v) => v.key === key);
        if (i >= 0) [srcVar[k], srcMode[k]] = [i, numeric(vars[i] as FormatVariable)];
      }
    }
  });
  return {
    label,
    escape: f.escape === 'json' ? ESC_JSON : f.escape === 'none' ? ESC_NONE : ESC_DEFAULT,
    nVars: n,
    names: vars.map((v) => v.name),
    lits: f.literals.map((l) => encoder.encode(l)),
    width,
    timeKind,
    srcVar,
    srcMode,
    requestVar,
    starts: new Int32Array(n),
    ends: new Int32Array(n),
  };
}

/** The outcome of {@link LineParser.parse}: the JSON text of one line, or why the line does not fit. */
export type ParseResult = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly reason: string };

/**
 * Turns access-log lines into JSON lines, appending them to one reusable byte buffer.
 *
 * Several formats may be given: each line is tried against them in order (the default accepts nginx's `main` and
 * `combined`). The output keys are the union of the formats' keys, in the first format's order; a key a format does
 * not log is written as `null`, so every line of a batch has the same schema.
 */
export class LineParser {
  /** JSON keys of every output line, in order. */
  readonly keys: readonly string[];
  /** Output bytes; `buf[0..length)` holds the JSON lines appended since the last {@link reset}. */
  buf: Uint8Array = new Uint8Array(1 << 16);
  /** Number of bytes of {@link buf} in use. */
  length = 0;

  readonly #plans: readonly Plan[];
  readonly #keyBytes: readonly Uint8Array[];
  readonly #maxOverhead: number;
  #errCode = 0;
  #errPos = 0;
  #errVar = -1;
  #errPlan = 0;
  #errLineStart = 0;
  #vS = 0;
  #vE = 0;
  #uS = 0;
  #uE = 0;
  #pS = 0;
  #pE = 0;
  #split = false;
  readonly #timeKey = new Uint8Array(32);
  #timeKeyLength = -1;
  #timeKeyKind = 0;
  readonly #timeOut = new Uint8Array(21);

  constructor(formats: readonly CompiledLogFormat[], labels: readonly string[] = []) {
    if (formats.length === 0) throw new Error('LineParser needs at least one log format');
    const keys: string[] = [];
    for (const f of formats) for (const k of f.keys) if (!keys.includes(k)) keys.push(k);
    this.keys = Object.freeze(keys);
    this.#keyBytes = keys.map((k, i) => encoder.encode(`${i === 0 ? '{' : ','}${JSON.stringify(k)}:`));
    this.#plans = formats.map((f, i) => makePlan(f, keys, labels[i] ?? `format ${i + 1}`));
    this.#maxOverhead = this.#keyBytes.reduce((sum, b) => sum + b.length + 24, 4);
  }

  /** Forgets the output; the buffer is kept for the next batch. */
  reset(): void {
    this.length = 0;
  }

  /**
   * Appends the JSON of the line `src[start..end)` (without its newline) and a `\n` to {@link buf}.
   *
   * Returns false, leaving the output as it was, when the line fits none of the formats; {@link error} says why.
   */
  appendLine(src: Uint8Array, start: number, end: number): boolean {
    const mark = this.length;
    // Worst case: every byte a control byte written as \u00XX, twice (request and its split), plus keys and timestamps.
    this.#ensure(mark + this.#maxOverhead + 12 * (end - start));
    let bestCode = 0;
    let bestPos = -1;
    let bestVar = -1;
    let bestPlan = 0;
    for (let p = 0; p < this.#plans.length; p++) {
      const o = this.#tryPlan(this.#plans[p] as Plan, src, start, end, mark);
      if (o >= 0) {
        this.length = o;
        return true;
      }
      if (this.#errPos > bestPos) {
        bestCode = this.#errCode;
        bestPos = this.#errPos;
        bestVar = this.#errVar;
        bestPlan = p;
      }
    }
    this.#errCode = bestCode;
    this.#errPos = bestPos;
    this.#errVar = bestVar;
    this.#errPlan = bestPlan;
    this.#errLineStart = start;
    this.length = mark;
    return false;
  }

  /** Why the last {@link appendLine} failed, in words, with the byte column (1-based) where it stopped. */
  get error(): string {
    const plan = this.#plans[this.#errPlan] as Plan;
    const name = this.#errVar >= 0 ? `$${plan.names[this.#errVar]}` : '';
    const col = this.#errPos - this.#errLineStart + 1;
    const next = JSON.stringify(decoder.decode(plan.lits[this.#errVar + 1] ?? new Uint8Array()));
    const what =
      this.#errCode === E_PREFIX
        ? `line does not start with ${JSON.stringify(decoder.decode(plan.lits[0]))}`
        : this.#errCode === E_SEPARATOR
          ? `no ${next} after ${name}`
          : this.#errCode === E_SUFFIX
            ? `line does not end with ${next} after ${name}`
            : this.#errCode === E_TIME
              ? `${name} is not a valid time`
              : this.#errCode === E_NUMBER
                ? `${name} is not a number`
                : this.#errCode === E_QUOTE
                  ? `unescaped quote in ${name}`
                  : this.#errCode === E_ESCAPE
                    ? `invalid JSON escape in ${name}`
                    : `invalid UTF-8 in ${name}`;
    const label = this.#plans.length > 1 ? ` (closest format: ${plan.label})` : '';
    return `${what} at column ${col}${label}`;
  }

  /** Parses one line given as a string: the JSON text (without newline) or the reason it does not fit. */
  parse(line: string): ParseResult {
    const bytes = encoder.encode(line);
    const mark = this.length;
    if (!this.appendLine(bytes, 0, bytes.length)) return { ok: false, reason: this.error };
    const json = decoder.decode(this.buf.subarray(mark, this.length - 1));
    this.length = mark;
    return { ok: true, json };
  }

  #ensure(size: number): void {
    if (size <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  #fail(code: number, pos: number, v: number): number {
    this.#errCode = code;
    this.#errPos = pos;
    this.#errVar = v;
    return FAIL;
  }

  /** Scans the line against one plan and writes its JSON at `o`; the new end of output, or FAIL. */
  #tryPlan(p: Plan, src: Uint8Array, start: number, end: number, o0: number): number {
    const lits = p.lits;
    const n = p.nVars;
    const starts = p.starts;
    const ends = p.ends;
    let pos = start;
    const prefix = lits[0] as Uint8Array;
    if (!matchAt(src, pos, end, prefix)) return this.#fail(E_PREFIX, pos, -1);
    pos += prefix.length;
    const jsonMode = p.escape === ESC_JSON;
    for (let v = 0; v < n; v++) {
      const next = lits[v + 1] as Uint8Array;
      const w = p.width[v] as number;
      let ve: number;
      if (v === n - 1) {
        ve = end - next.length;
        if (ve < pos || !matchAt(src, ve, end, next)) return this.#fail(E_SUFFIX, pos, v);
        if (w > 0 && ve - pos !== w) return this.#fail(E_TIME, pos, v);
      } else if (w > 0) {
        ve = pos + w;
        if (!matchAt(src, ve, end, next)) return this.#fail(ve > end ? E_TIME : E_SEPARATOR, Math.min(ve, end), v);
      } else {
        ve = find(src, next, pos, end, jsonMode && next[0] === 34);
        if (ve < 0) return this.#fail(E_SEPARATOR, pos, v);
      }
      starts[v] = pos;
      ends[v] = ve;
      pos = ve + next.length;
    }
    if (p.requestVar >= 0) this.#splitRequest(src, starts[p.requestVar] as number, ends[p.requestVar] as number);

    const keyBytes = this.#keyBytes;
    const srcVar = p.srcVar;
    const srcMode = p.srcMode;
    const out = this.buf;
    let o = o0;
    for (let k = 0; k < keyBytes.length; k++) {
      const kb = keyBytes[k] as Uint8Array;
      for (let j = 0; j < kb.length; j++) out[o++] = kb[j] as number;
      const v = srcVar[k] as number;
      const mode = srcMode[k] as number;
      if (v < 0) {
        o = writeNull(out, o);
        continue;
      }
      const s = starts[v] as number;
      const e = ends[v] as number;
      const dash = e - s === 1 && src[s] === 45;
      switch (mode) {
        case M_STRING:
          o = dash ? writeNull(out, o) : this.#writeString(p, v, src, s, e, o);
          break;
        case M_NUMBER:
          if (dash) o = writeNull(out, o);
          else if (isCleanNumber(src, s, e)) for (let i = s; i < e; i++) out[o++] = src[i] as number;
          else o = this.#writeString(p, v, src, s, e, o);
          break;
        case M_STATUS:
        case M_SIZE:
          if (dash && mode === M_SIZE) o = writeNull(out, o);
          else if (isCleanNumber(src, s, e)) for (let i = s; i < e; i++) out[o++] = src[i] as number;
          else return this.#fail(E_NUMBER, s, v);
          break;
        case M_TIME:
          o = this.#writeTime(p.timeKind[v] as number, src, s, e, o);
          if (o < 0) return this.#fail(E_TIME, s, v);
          break;
        case M_VERB:
          o = this.#split ? this.#writeString(p, v, src, this.#vS, this.#vE, o) : writeNull(out, o);
          break;
        case M_URI:
          o = this.#split ? this.#writeString(p, v, src, this.#uS, this.#uE, o) : writeNull(out, o);
          break;
        default:
          o = this.#split && this.#pE > this.#pS ? this.#writeString(p, v, src, this.#pS, this.#pE, o) : writeNull(out, o);
      }
      if (o < 0) return FAIL;
    }
    out[o++] = 125; // }
    out[o++] = 10; // \n
    return o;
  }

  /**
   * Splits `$request` into verb, uri and protocol: `METHOD uri HTTP/x.y`, or `METHOD uri` (HTTP/0.9). Anything else
   * (`""`, `-`, TLS bytes) leaves all three null.
   */
  #splitRequest(src: Uint8Array, s: number, e: number): void {
    this.#split = false;
    let i = s;
    while (i < e) {
      const c = src[i] as number;
      if ((c >= 65 && c <= 90) || c === 95 || c === 45) i++;
      else break;
    }
    if (i === s || i >= e || src[i] !== 32) return;
    if (i - s === 1 && src[s] === 45) return;
    const uriStart = i + 1;
    let sp = e - 1;
    while (sp >= uriStart && src[sp] !== 32) sp--;
    let uriEnd = e;
    this.#pS = 0;
    this.#pE = 0;
    if (sp >= uriStart && isProtocol(src, sp + 1, e)) {
      uriEnd = sp;
      this.#pS = sp + 1;
      this.#pE = e;
    }
    if (uriEnd <= uriStart) return;
    this.#vS = s;
    this.#vE = i;
    this.#uS = uriStart;
    this.#uE = uriEnd;
    this.#split = true;
  }

  /**
   * Writes `src[s..e)` as a JSON string. nginx's `\xHH` escapes (escape=default) are decoded when the field's bytes
   * form valid UTF-8, otherwise the field keeps nginx's escaped text. FAIL when the value cannot be what nginx logged
   * for this escape mode (an unescaped quote, a broken JSON escape).
   */
  #writeString(p: Plan, v: number, src: Uint8Array, s: number, e: number, o0: number): number {
    const out = this.buf;
    const mode = p.escape;
    let o = o0;
    out[o++] = 34;
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    let i = s;
    while (i < e) {
      if (need === 0) {
        while (i < e) {
          const c = src[i] as number;
          if (PLAIN[c] === 0) break;
          out[o++] = c;
          i++;
        }
        if (i >= e) break;
      }
      let c = src[i] as number;
      if (c === 92) {
        if (mode === ESC_DEFAULT && src[i + 1] === 120 && i + 4 <= e) {
          const h = hexValue(src[i + 2]);
          const l = hexValue(src[i + 3]);
          if (h >= 0 && l >= 0) {
            c = h * 16 + l;
            i += 4;
          } else i++;
        } else if (mode === ESC_JSON) {
          if (need !== 0) return this.#fail(E_UTF8, i, v);
          const len = jsonEscapeLength(src, i, e);
          if (len === 0) return this.#fail(E_ESCAPE, i, v);
          for (let j = 0; j < len; j++) out[o++] = src[i + j] as number;
          i += len;
          continue;
        } else i++;
      } else {
        if (c === 34 && mode !== ESC_NONE) return this.#fail(E_QUOTE, i, v);
        i++;
      }
      if (c < 0x80) {
        if (need !== 0) {
          if (mode === ESC_JSON) return this.#fail(E_UTF8, i, v);
          return this.#writeEscapedText(p, v, src, s, e, o0);
        }
        o = writeAscii(out, o, c);
        continue;
      }
      if (need === 0) {
        if (c >= 0xc2 && c <= 0xdf) need = 1;
        else if (c >= 0xe0 && c <= 0xef) {
          need = 2;
          if (c === 0xe0) lo = 0xa0;
          else if (c === 0xed) hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
          need = 3;
          if (c === 0xf0) lo = 0x90;
          else if (c === 0xf4) hi = 0x8f;
        } else {
          if (mode === ESC_JSON) return this.#fail(E_UTF8, i, v);
          return this.#writeEscapedText(p, v, src, s, e, o0);
        }
      } else {
        if (c < lo || c > hi) {
          if (mode === ESC_JSON) return this.#fail(E_UTF8, i, v);
          return this.#writeEscapedText(p, v, src, s, e, o0);
        }
        need--;
        lo = 0x80;
        hi = 0xbf;
      }
      out[o++] = c;
    }
    if (need !== 0) {
      if (mode === ESC_JSON) return this.#fail(E_UTF8, e, v);
      return this.#writeEscapedText(p, v, src, s, e, o0);
    }
    out[o++] = 34;
    return o;
  }

  /** Writes a field whose bytes are not valid UTF-8 as nginx's escaped text: `\xHH` stays, raw bytes become `\xHH`. */
  #writeEscapedText(p: Plan, v: number, src: Uint8Array, s: number, e: number, o0: number): number {
    const out = this.buf;
    let o = o0;
    out[o++] = 34;
    for (let i = s; i < e; i++) {
      const c = src[i] as number;
      if (c === 34 && p.escape !== ESC_NONE) return this.#fail(E_QUOTE, i, v);
      if (c >= 0x80) {
        out[o++] = 92;
        out[o++] = 92;
        out[o++] = 120;
        out[o++] = HEX[c >> 4] as number;
        out[o++] = HEX[c & 15] as number;
      } else o = writeAscii(out, o, c);
    }
    out[o++] = 34;
    return o;
  }

  /** Writes the UTC timestamp `"YYYY-MM-DDTHH:MM:SS"` of a `$time_local`, `$time_iso8601` or `$msec` value. */
  #writeTime(kind: number, src: Uint8Array, s: number, e: number, o: number): number {
    const out = this.buf;
    const n = e - s;
    if (n === this.#timeKeyLength && kind === this.#timeKeyKind) {
      let same = true;
      for (let j = 0; j < n; j++) {
        if (src[s + j] !== this.#timeKey[j]) {
          same = false;
          break;
        }
      }
      if (same) {
        for (let j = 0; j < 21; j++) out[o + j] = this.#timeOut[j] as number;
        return o + 21;
      }
    }
    let seconds: number;
    if (kind === T_MSEC) {
      seconds = msecSeconds(src, s, e);
    } else if (kind === T_LOCAL) {
      seconds = timeLocalSeconds(src, s, e);
    } else {
      seconds = isoSeconds(src, s, e);
    }
    if (Number.isNaN(seconds)) return FAIL;
    const days = Math.floor(seconds / 86400);
    let rest = seconds - days * 86400;
    // civil_from_days (H. Hinnant)
    const z = days + 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp < 10 ? mp + 3 : mp - 9;
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    if (y < 0 || y > 9999) return FAIL;
    const hh = Math.floor(rest / 3600);
    rest -= hh * 3600;
    const mi = Math.floor(rest / 60);
    const ss = rest - mi * 60;
    const t = this.#timeOut;
    t[0] = 34;
    t[1] = 48 + Math.floor(y / 1000);
    t[2] = 48 + (Math.floor(y / 100) % 10);
    t[3] = 48 + (Math.floor(y / 10) % 10);
    t[4] = 48 + (y % 10);
    t[5] = 45;
    two(t, 6, m);
    t[8] = 45;
    two(t, 9, d);
    t[11] = 84;
    two(t, 12, hh);
    t[14] = 58;
    two(t, 15, mi);
    t[17] = 58;
    two(t, 18, ss);
    t[20] = 34;
    if (n <= 32) {
      for (let j = 0; j < n; j++) this.#timeKey[j] = src[s + j] as number;
      this.#timeKeyLength = n;
      this.#timeKeyKind = kind;
    }
    for (let j = 0; j < 21; j++) out[o + j] = t[j] as number;
    return o + 21;
  }
}

function two(t: Uint8Array, at: number, v: number): void {
  t[at] = 48 + Math.floor(v / 10);
  t[at + 1] = 48 + (v % 10);
}

function writeNull(out: Uint8Array, o: number): number {
  out[o] = NULL_BYTES[0] as number;
  out[o + 1] = NULL_BYTES[1] as number;
  out[o + 2] = NULL_BYTES[2] as number;
  out[o + 3] = NULL_BYTES[3] as number;
  return o + 4;
}

/** Writes one ASCII byte inside a JSON string, escaped when JSON requires it. */
function writeAscii(out: Uint8Array, o: number, c: number): number {
  if (c === 34 || c === 92) {
    out[o] = 92;
    out[o + 1] = c;
    return o + 2;
  }
  if (c < 0x20) {
    out[o] = 92;
    out[o + 1] = 117; // u
    out[o + 2] = 48;
    out[o + 3] = 48;
    out[o + 4] = HEX[c >> 4] as number;
    out[o + 5] = HEX[c & 15] as number;
    return o + 6;
  }
  out[o] = c;
  return o + 1;
}

/** Length of the valid JSON escape at `src[i]` (a backslash), or 0. */
function jsonEscapeLength(src: Uint8Array, i: number, e: number): number {
  const c = i + 1 < e ? src[i + 1] : undefined;
  if (c === 34 || c === 92 || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116) return 2;
  if (c === 117 && i + 6 <= e) {
    for (let j = 2; j < 6; j++) if (hexValue(src[i + j]) < 0) return 0;
    return 6;
  }
  return 0;
}

/** `HTTP/` followed by digits, optionally `.` and digits. */
function isProtocol(src: Uint8Array, s: number, e: number): boolean {
  if (e - s < 6 || src[s] !== 72 || src[s + 1] !== 84 || src[s + 2] !== 84 || src[s + 3] !== 80 || src[s + 4] !== 47) {
    return false;
  }
  let i = s + 5;
  if (!isDigit(src[i])) return false;
  while (i < e && isDigit(src[i])) i++;
  if (i === e) return true;
  if (src[i] !== 46) return false;
  i++;
  if (i === e) return false;
  while (i < e && isDigit(src[i])) i++;
  return i === e;
}

/** `dd/Mon/yyyy:HH:MM:SS +hhmm` as seconds since the epoch (UTC), or NaN. */
function timeLocalSeconds(src: Uint8Array, s: number, e: number): number {
  if (e - s !== 26 || src[s + 2] !== 47 || src[s + 6] !== 47 || src[s + 11] !== 58 || src[s + 14] !== 58) return NaN;
  if (src[s + 17] !== 58 || src[s + 20] !== 32) return NaN;
  const d = digits(src, s, 2);
  const m = monthOf(src, s + 3);
  const y = digits(src, s + 7, 4);
  return civilSeconds(y, m, d, digits(src, s + 12, 2), digits(src, s + 15, 2), digits(src, s + 18, 2), src, s + 21, false);
}

/** `yyyy-mm-ddTHH:MM:SS+hh:mm` as seconds since the epoch (UTC), or NaN. */
function isoSeconds(src: Uint8Array, s: number, e: number): number {
  if (e - s !== 25 || src[s + 4] !== 45 || src[s + 7] !== 45 || src[s + 10] !== 84 || src[s + 13] !== 58) return NaN;
  if (src[s + 16] !== 58 || src[s + 22] !== 58) return NaN;
  const y = digits(src, s, 4);
  const m = digits(src, s + 5, 2);
  const d = digits(src, s + 8, 2);
  return civilSeconds(y, m, d, digits(src, s + 11, 2), digits(src, s + 14, 2), digits(src, s + 17, 2), src, s + 19, true);
}

function civilSeconds(
  y: number, m: number, d: number, hh: number, mi: number, ss: number, src: Uint8Array, off: number, colon: boolean,
): number {
  if (y < 0 || m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) || hh < 0 || hh > 23 || mi < 0 || mi > 59) return NaN;
  if (ss < 0 || ss > 59) return NaN;
  const sign = src[off];
  if (sign !== 43 && sign !== 45) return NaN;
  const oh = digits(src, off + 1, 2);
  if (colon && src[off + 3] !== 58) return NaN;
  const om = digits(src, colon ? off + 4 : off + 3, 2);
  if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
  const offset = (oh * 3600 + om * 60) * (sign === 45 ? -1 : 1);
  return daysFromCivil(y, m, d) * 86400 + hh * 3600 + mi * 60 + ss - offset;
}

/** `$msec` (`1608640356.123`) as whole seconds since the epoch, or NaN. */
function msecSeconds(src: Uint8Array, s: number, e: number): number {
  let i = s;
  let v = 0;
  while (i < e && isDigit(src[i])) v = v * 10 + ((src[i++] as number) - 48);
  if (i === s || i - s > 12) return NaN;
  if (i === e) return v;
  if (src[i] !== 46 || i + 1 === e) return NaN;
  for (let j = i + 1; j < e; j++) if (!isDigit(src[j])) return NaN;
  return v;
}

/**
 * The parser for a `LOG_FORMAT` value: the given nginx `log_format` string, or, when it is undefined or blank,
 * nginx's `main` and `combined` formats (each line tried in that order).
 */
export function createParser(logFormat?: string): LineParser {
  if (logFormat === undefined || logFormat.trim() === '') {
    return new LineParser([compileLogFormat(NGINX_MAIN_FORMAT), compileLogFormat(NGINX_COMBINED_FORMAT)], ['main', 'combined']);
  }
  return new LineParser([compileLogFormat(logFormat)]);
}
