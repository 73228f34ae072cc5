/**
 * The pure parser core: nginx access-log lines (bytes) in, one JSON object per line (bytes) out.
 *
 * No AWS types and no I/O. Each format {@link compileLogFormat} made is compiled once into a scanner of its own
 * (`LineParser#compile`): every byte of a line is looked at a bounded number of times (no regular expression, no
 * backtracking), values are copied straight into one reusable output buffer, and JSON and UTF-8 are produced by
 * hand, without `JSON.stringify` or `TextDecoder`.
 * Timestamps are never parsed from strings: their digits go through `Date.UTC`, and the result is formatted once per
 * distinct timestamp (consecutive lines mostly share it).
 */
import {
  type CompiledLogFormat,
  compileLogFormats,
  type FormatVariable,
  type KeyType,
  outputSchema,
  type ValueKind,
} from './log-format';

// Small-number codes as const enums, which the bundler inlines (plain consts would stay variables in the bundle).
const enum Esc {
  Default,
  Json,
  None,
}

const enum Time {
  None,
  Local,
  Iso,
  Msec,
}

/** Kinds in Time order, from Local. */
const TIME_KINDS: readonly ValueKind[] = ['time_local', 'time_iso8601', 'msec'];

/** How strictly a variable's value is checked: what nginx writes for it (see ValueKind). */
const enum Chk {
  None,
  Token,
  Integer,
  Decimal,
  Address,
  IntList,
  DecList,
  AddrList,
}

/** Kinds in Chk order (msec is checked as a decimal); any other kind is not checked. */
const CHECKED: readonly ValueKind[] = ['text', 'token', 'integer', 'decimal', 'address', 'integer_list', 'decimal_list', 'address_list'];

/** How an output key gets its value. */
const enum Mode {
  String = 1,
  /** A number (the value was checked to be one), or null. */
  Number,
  /** Must be a number. */
  Status,
  /** A number or "-". */
  Size,
  Time,
  Verb,
  Uri,
  Protocol,
  /** The last item of a number list, as a number. */
  ListLast,
  /** The sum of a number list's items. */
  ListTotal,
}

/** Keys whose value is not simply the variable's text. */
const FIXED_MODES: Readonly<Record<string, number>> = {
  timestamp: Mode.Time,
  status: Mode.Status,
  size: Mode.Size,
  verb: Mode.Verb,
  uri: Mode.Uri,
  protocol: Mode.Protocol,
};

/** Why a line did not fit; turned into words only when someone asks (hostile input must stay cheap). */
const enum Err {
  Prefix = 1,
  Separator,
  Time,
  Number,
  Quote,
  Escape,
  Value,
  Repeat,
}

const FAIL = -1;

/** A format as the parser uses it: what error messages and string writing need, and its compiled scanner. */
interface Plan {
  readonly label: string;
  readonly escape: number;
  readonly vars: readonly FormatVariable[];
  readonly lits: readonly Uint8Array[];
  readonly litText: readonly string[];
  run: Run;
}

/** A format's scanner, made by {@link LineParser#compile}: writes the line's JSON at `o`, returns the new end or FAIL. */
type Run = (src: Uint8Array, start: number, end: number, o: number, out: Uint8Array, view: DataView) => number;

const encoder = new TextEncoder();
const HEX = encoder.encode('0123456789ABCDEF');
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const QUOTE = encoder.encode('"');
const UNIX = encoder.encode('unix:');
const HTTP = encoder.encode('HTTP/');

/** The value of hex digit `c`, or -1. Callers pass `src[…]` unchecked: past the end it is undefined, never a digit. */
function hexValue(c: number): number {
  return c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
}

function isDigit(c: number | undefined): boolean {
  return (c as number) >= 48 && (c as number) <= 57;
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

/** Digits, optionally followed by `.` and digits. */
function isDecimal(src: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e && isDigit(src[i])) i++;
  if (i === s) return false;
  if (i === e) return true;
  if (src[i] !== 46) return false;
  const f = ++i;
  while (i < e && isDigit(src[i])) i++;
  return i === e && i > f;
}

function digits(src: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const c = src[i] as number;
    if (!isDigit(c)) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

function monthOf(src: Uint8Array, at: number): number {
  const i = MONTHS.indexOf(String.fromCharCode(src[at] ?? 0, src[at + 1] ?? 0, src[at + 2] ?? 0));
  return i % 3 === 0 ? i / 3 + 1 : -1;
}

/** Where output key `key` of a format comes from: the index of its variable (-1: none) and how it is written (Mode). */
function keySource(vars: readonly FormatVariable[], key: string): [number, number] {
  const fixed = FIXED_MODES[key];
  const i = fixed !== undefined && fixed >= Mode.Verb ? vars.findIndex((v) => v.role === 'request') : vars.findIndex((v) => v.role === key || v.key === key || v.companion === key);
  const v = vars[i];
  if (v === undefined) return [-1, 0];
  const numeric = v.kind === 'integer' || v.kind === 'decimal' || v.kind === 'msec';
  const companion = v.companion === key ? (v.name === 'upstream_status' ? Mode.ListLast : Mode.ListTotal) : undefined;
  return [i, companion ?? fixed ?? (numeric ? Mode.Number : Mode.String)];
}

/** The outcome of {@link parseLine}: the JSON text of one line, or why the line does not fit. */
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
  /** The JSON type of each key's non-null values, parallel to {@link keys}. */
  readonly keyTypes: readonly KeyType[];
  /** Output bytes; `buf[0..length)` holds the JSON lines appended since the last {@link reset}. */
  buf: Uint8Array = new Uint8Array(1 << 16);
  /** Number of bytes of {@link buf} in use. */
  length = 0;

  readonly #plans: readonly Plan[];
  readonly #keyBytes: readonly Uint8Array[];
  /** The keys as 8-byte words (see {@link words64}): written eight bytes per store through {@link #view}. */
  readonly #keyWords: readonly Float64Array[];
  #view = new DataView(this.buf.buffer);
  /** The line bytes being parsed, and a view reading them four bytes at a time. */
  #src: Uint8Array | undefined;
  #srcView = this.#view;
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
  /** Where the last open-ended quoted value ended. */
  #stop = 0;
  /**
   * The last distinct time value (8–32 bytes) as four 8-byte words: bytes 0, 8, 16, and the last eight. Its length
   * tells its kind: `$time_local` has 26 bytes, `$time_iso8601` 25, `$msec` at most 16.
   */
  readonly #timeKey = new Float64Array(4);
  #timeKeyLength = -1;
  /** The cached timestamp's JSON (`"YYYY-MM-DDTHH:MM:SS"`, 21 bytes, then padding), copied as 8-byte words. */
  readonly #timeOut = new Float64Array(3);

  constructor(formats: readonly CompiledLogFormat[], labels: readonly string[] = []) {
    const { keys, keyTypes } = outputSchema(formats);
    this.keys = keys;
    this.keyTypes = keyTypes;
    this.#keyBytes = keys.map((k, i) => encoder.encode(`${i === 0 ? '{' : ','}${JSON.stringify(k)}:`));
    this.#keyWords = this.#keyBytes.map(words64);
    this.#plans = formats.map((f, i) => this.#compile(f, labels[i] ?? ''));
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
    if (src !== this.#src) {
      this.#src = src;
      this.#srcView = new DataView(src.buffer, src.byteOffset, src.byteLength);
    }
    // Worst case: every byte a control byte written as \u00XX, twice (request and its split), plus keys and timestamps.
    this.#ensure(mark + this.#maxOverhead + 12 * (end - start));
    let bestCode = 0;
    let bestPos = -1;
    let bestVar = -1;
    let bestPlan = 0;
    for (let p = 0; p < this.#plans.length; p++) {
      const o = (this.#plans[p] as Plan).run(src, start, end, mark, this.buf, this.#view);
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
    const variable = plan.vars[this.#errVar];
    const name = `$${variable?.name ?? ''}`;
    const next = JSON.stringify(plan.litText[this.#errVar + 1]);
    const what = [
      `line does not start with ${next}`,
      `no ${next} after ${name}`,
      `${name} is not a valid time`,
      `${name} is not a number`,
      `unescaped quote in ${name}`,
      `invalid JSON escape in ${name}`,
      `${name} is not what nginx writes there (expected: ${variable?.kind.replace('_', ' ')})`,
      `${name} differs from its first occurrence in the line (nginx logs the same value twice)`,
    ][this.#errCode - 1];
    const closest = plan.label && ` (closest format: ${plan.label})`;
    return `${what} at column ${this.errorColumn}${closest}`;
  }

  /** The byte column (1-based) where the last failed {@link appendLine} stopped: how far the line fit the format. */
  get errorColumn(): number {
    return this.#errPos - this.#errLineStart + 1;
  }

  #ensure(size: number): void {
    if (size <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.#view = new DataView(next.buffer);
  }

  #fail(code: number, pos: number, v: number): number {
    this.#errCode = code;
    this.#errPos = pos;
    this.#errVar = v;
    return FAIL;
  }

  /**
   * Compiles a format into a function (its {@link Run}) that scans a line and writes its JSON. Its source is made here:
   * one block per variable in format order, with the literal bytes, the keys' bytes, how the value is located and
   * checked, and the keys written after it, all as constants: a line costs no lookups or branches on the format
   * (23–29 % off the parse, side by side, against one loop reading a table per variable). Only numbers and this
   * method's own code go into the source, never text from the format.
   *
   * Names in the generated code: `b` the bytes, `b[a..n)` the line, `i` the scan position, `u`/`V` the output
   * bytes and a DataView of them, `o` the output position, `x` the end of the current value, `q` a quick scan's end,
   * `t` where a value's JSON starts, `s<v>`..`e<v>` where variable v was found; the helpers are named in `helpers`.
   */
  #compile(f: CompiledLogFormat, label: string): Plan {
    const vars = f.variables;
    const n = vars.length;
    const escape = f.escape === 'json' ? Esc.Json : f.escape === 'none' ? Esc.None : Esc.Default;
    const p: Plan = { label, escape, vars, lits: f.literals.map((l) => encoder.encode(l)), litText: f.literals, run: () => FAIL };
    const sources = this.keys.map((key) => keySource(vars, key));
    const srcVar = sources.map(([v]) => v);
    const timeKind = (v: number): number => TIME_KINDS.indexOf((vars[v] as FormatVariable).kind) + 1;
    const check = (v: number): number => {
      const kind = (vars[v] as FormatVariable).kind;
      return kind === 'msec' ? Chk.Decimal : Math.max(0, CHECKED.indexOf(kind));
    };
    // `lit(i, x)`: whether literal i is at position x, within the line; short ones byte by byte, inline.
    const lit = (i: number, x: string): string => {
      const l = p.lits[i] as Uint8Array;
      return l.length > 6 ? `M(b,${x},n,L[${i}])` : [`${x}+${l.length}<=n`, ...Array.from(l, (c, j) => `b[${x}+${j}]===${c}`)].join('&&');
    };
    const key = (k: number): string => {
      const words = this.#keyWords[k] as Float64Array;
      return `${Array.from(words, (w, i) => `V.setFloat64(o+${8 * i},${w},true);`).join('')}o+=${(this.#keyBytes[k] as Uint8Array).length};`;
    };
    // The code that writes key k's value, its variable located in s<v>..e<v>.
    const value = (k: number): string => {
      const v = srcVar[k] as number;
      const mode = (sources[k] as [number, number])[1];
      if (v < 0) return 'o=wn(u,o);';
      const [s, e] = [`s${v}`, `e${v}`];
      // `-` is nginx's "not found"; an empty number, address or list is how escape=json and escape=none log it.
      const none = `(${e}-${s}===1&&b[${s}]===45${check(v) >= Chk.Integer ? `||${s}===${e}` : ''})`;
      switch (mode) {
        case Mode.String:
          return `o=${none}?wn(u,o):ws(b,${v},${s},${e},o,false);if(o<0)return-1;`;
        case Mode.Number:
        case Mode.Size:
          return `o=${none}?wn(u,o):wnum(u,o,b,${s},${e});`;
        case Mode.Status:
          // `$status` must not be missing.
          return `if(${none})return F(${Err.Number},${s},${v});o=wnum(u,o,b,${s},${e});`;
        case Mode.ListLast:
          return `o=LL(u,o,b,${s},${e},${none});`;
        case Mode.ListTotal:
          return `o=${none}?wn(u,o):LT(u,o,b,${s},${e},${check(v) === Chk.DecList});`;
        case Mode.Time:
          return `o=wt(${timeKind(v)},b,${s},${e},o);if(o<0)return F(${Err.Time},${s},${v});`;
        default:
          return `o=part(${mode},b,${v},o);if(o<0)return-1;`;
      }
    };
    const code = ['let i=a,q=0,x=0,t=0;'];
    code.push(`if(!(${lit(0, 'i')}))return F(${Err.Prefix},i,-1);i+=${(p.lits[0] as Uint8Array).length};`);
    let k = 0;
    for (let v = 0; v < n; v++) {
      const next = p.lits[v + 1] as Uint8Array;
      const nl = next.length;
      const variable = vars[v] as FormatVariable;
      // A time has a fixed width (26 bytes for `$time_local`); any other value ends where the next literal starts.
      const w = [0, LOCAL_LAYOUT.length, ISO_LAYOUT.length, 0][timeKind(v)] as number;
      const last = v === n - 1;
      const atEnd = (x: string): string => (last ? `${x}!==n-${nl}||` : '');
      const chk = check(v);
      const emptyFails = !variable.mayBeEmpty;
      // nginx quoted it (escape=default or json): it ends at a raw quote.
      const quoted = escape !== Esc.None && w === 0 && next[0] === 34;
      // Located by its length, its end, or the next literal; then checked when nginx writes it narrowly.
      const located = last
        ? `x=n-${nl};if(x<i||!(${lit(v + 1, 'x')}))return F(${Err.Separator},i,${v});` + (w > 0 ? `if(x-i!==${w})return F(${Err.Time},i,${v});` : '')
        : w > 0
          ? `x=i+${w};if(!(${lit(v + 1, 'x')}))return F(x>n?${Err.Time}:${Err.Separator},Math.min(x,n),${v});`
          : `x=FI(b,L[${v + 1}],i,n,${escape === Esc.Json && next[0] === 34});if(x<0)return F(${Err.Separator},i,${v});`;
      const checked = chk === Chk.None ? '' : `if(x===i?${emptyFails}:!VV(b,i,x,${chk}))return F(${Err.Value},i,${v});`;
      if (chk >= Chk.Integer && chk <= Chk.Address) {
        // Most narrow values are an IPv4 address or a number: scanned and checked in one pass when the next literal
        // follows; anything else is located and then checked.
        code.push(`q=${chk === Chk.Address ? 'I(b,i,n)' : `N(b,i,n,${chk === Chk.Decimal})`};`);
        code.push(`if(q>i&&!(${atEnd('q')}!(${lit(v + 1, 'q')})))x=q;else{${located}${checked}}`);
      } else if (quoted && chk === Chk.None && srcVar[k] === v && sources[k]?.[1] === Mode.String) {
        // A quoted value that is the next key to write: copied while scanning, it ends at its first raw quote.
        code.push(key(k++), `t=o;o=ws(b,${v},i,n,o,true);if(o<0)return-1;x=stop();`);
        code.push(`if(${atEnd('x')}!(${lit(v + 1, 'x')}))return F(${Err.Quote},x,${v});if(x-i===1&&b[i]===45)o=wn(u,t);`);
      } else if (chk >= Chk.IntList) {
        // A list has no end marker of its own: it takes items as long as a separator and an item follow.
        code.push(`x=LE(b,i,n,${chk});if(${atEnd('x')}!(${lit(v + 1, 'x')}))return F(x===i?${Err.Value}:${Err.Separator},x,${v});`);
        if (emptyFails) code.push(`if(x===i)return F(${Err.Value},i,${v});`);
      } else {
        code.push(located, checked);
      }
      const first = variable.repeatOf;
      if (first >= 0) code.push(`if(!SB(b,s${first},e${first},i,x))return F(${Err.Repeat},i,${v});`);
      code.push(`let s${v}=i,e${v}=x;i=x+${nl};`);
      if (variable.role === 'request') code.push(`sr(b,s${v},x);`);
      // Every key whose value is known by now, in key order.
      for (; k < srcVar.length && (srcVar[k] as number) <= v; k++) code.push(key(k), value(k));
    }
    code.push('u[o]=125;u[o+1]=10;return o+2;');
    const helpers = {
      L: p.lits,
      M: matchAt,
      I: ipv4End,
      N: numberEnd,
      FI: find,
      VV: validValue,
      LE: listEnd,
      SB: sameBytes,
      wn: writeNull,
      wnum: writeNumber,
      LL: writeListLast,
      LT: writeListTotal,
      F: (c: number, at: number, v: number) => this.#fail(c, at, v),
      ws: (src: Uint8Array, v: number, s: number, e: number, o: number, open: boolean) => this.#writeString(p, v, src, s, e, o, open),
      stop: () => this.#stop,
      wt: (kind: number, src: Uint8Array, s: number, e: number, o: number) => this.#writeTime(kind, src, s, e, o),
      sr: (src: Uint8Array, s: number, e: number) => this.#splitRequest(src, s, e),
      part: (mode: number, src: Uint8Array, v: number, o: number) => this.#writePart(p, mode, v, src, o),
    };
    const names = Object.keys(helpers);
    const make = new Function(...names, `return function(b,a,n,o,u,V){${code.join('')}}`) as (...h: unknown[]) => Run;
    p.run = make(...Object.values(helpers));
    return p;
  }

  /** Writes the verb, uri or protocol of the request split by {@link #splitRequest}, or null when it has none. */
  #writePart(p: Plan, mode: number, v: number, src: Uint8Array, o: number): number {
    if (!this.#split) return writeNull(this.buf, o);
    const s = mode === Mode.Verb ? this.#vS : mode === Mode.Uri ? this.#uS : this.#pS;
    const e = mode === Mode.Verb ? this.#vE : mode === Mode.Uri ? this.#uE : this.#pE;
    return e > s ? this.#writeString(p, v, src, s, e, o, false) : writeNull(this.buf, o);
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
  #writeString(p: Plan, v: number, src: Uint8Array, s: number, end: number, o0: number, open: boolean): number {
    const out = this.buf;
    const mode = p.escape;
    let e = end;
    let closed = false;
    let o = o0;
    out[o++] = 34;
    let need = 0;
    let lo = 0x80;
    let hi = 0xbf;
    let i = s;
    while (i < e) {
      if (need === 0) {
        // Four bytes per step while none is below 0x20, above 0x7f, `"` or `\`. Per byte, a top bit set in `w - 0x20`
        // (below 0x20, or 0xa0 and above) or in `(w ^ '"') - 1` or `(w ^ '\') - 1` (zero-byte tests, which also catch
        // 0x80–0x9f) flags one; a borrow comes only from a byte flagged itself.
        while (i + 4 <= e) {
          const w = this.#srcView.getInt32(i, true);
          if (((w - 0x20202020) | ((w ^ 0x22222222) - 0x01010101) | ((w ^ 0x5c5c5c5c) - 0x01010101)) & 0x80808080) break;
          this.#view.setInt32(o, w, true);
          o += 4;
          i += 4;
        }
        while (i < e) {
          const c = src[i] as number;
          // ASCII from space but `"` and `\`: most bytes are letters, so test the range above `"` first.
          if (c > 0x22 ? c > 0x7f || c === 0x5c : c < 0x20 || c === 0x22) break;
          out[o++] = c;
          i++;
        }
        if (i >= e) break;
      }
      let c = src[i] as number;
      if (c === 92 && mode === Esc.Default && src[i + 1] === 120 && i + 4 <= e && hexValue(src[i + 2] as number) >= 0 && hexValue(src[i + 3] as number) >= 0) {
        c = hexValue(src[i + 2] as number) * 16 + hexValue(src[i + 3] as number);
        i += 4;
      } else if (c === 92 && mode === Esc.Json) {
        if (need !== 0) return this.#notUtf8(p, v, src, s, e, o0, open);
        const len = jsonEscapeLength(src, i, e);
        if (len === 0) return this.#fail(Err.Escape, i, v);
        for (let j = 0; j < len; j++) out[o++] = src[i + j] as number;
        i += len;
        continue;
      } else {
        if (c === 34 && mode !== Esc.None) {
          if (!open) return this.#fail(Err.Quote, i, v);
          e = i;
          closed = true;
          break;
        }
        i++;
      }
      let valid: boolean;
      if (c < 0x80) {
        valid = need === 0;
      } else if (need === 0) {
        // A UTF-8 lead byte: how many continuation bytes follow, and the range of the first one.
        need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
        valid = need > 0;
        lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
        hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
      } else {
        valid = c >= lo && c <= hi;
        need--;
        lo = 0x80;
        hi = 0xbf;
      }
      if (!valid) return this.#notUtf8(p, v, src, s, e, o0, open);
      o = c < 0x80 ? writeAscii(out, o, c) : ((out[o] = c), o + 1);
    }
    if (open && !closed) return this.#fail(Err.Separator, s, v);
    this.#stop = e;
    if (need !== 0) return this.#writeEscapedText(p, v, src, s, e, o0);
    out[o++] = 34;
    return o;
  }

  /**
   * A value whose bytes are not UTF-8 keeps nginx's escaped text. An open-ended quoted value first needs its end: its
   * first raw (escape=json: unescaped) quote.
   */
  #notUtf8(p: Plan, v: number, src: Uint8Array, s: number, e: number, o0: number, open: boolean): number {
    if (open) {
      this.#stop = find(src, QUOTE, s, e, p.escape === Esc.Json);
      if (this.#stop < 0) return this.#fail(Err.Separator, s, v);
    }
    return this.#writeEscapedText(p, v, src, s, open ? this.#stop : e, o0);
  }

  /** Writes a field whose bytes are not valid UTF-8 as nginx's escaped text: `\xHH` stays, raw bytes become `\xHH`. */
  #writeEscapedText(p: Plan, v: number, src: Uint8Array, s: number, e: number, o0: number): number {
    const out = this.buf;
    let o = o0;
    out[o++] = 34;
    for (let i = s; i < e; i++) {
      const c = src[i] as number;
      if (c === 34 && p.escape !== Esc.None) return this.#fail(Err.Quote, i, v);
      // escape=json: the value's own escapes (already checked) stay as they are.
      const len = c === 92 && p.escape === Esc.Json ? jsonEscapeLength(src, i, e) : 0;
      if (len > 0) {
        for (let j = 0; j < len; j++) out[o++] = src[i + j] as number;
        i += len - 1;
      } else if (c >= 0x80) {
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
    const n = e - s;
    const view = this.#srcView;
    const key = this.#timeKey;
    const last = e - 8;
    // Compared as four words (see {@link words64}): the cached words are ASCII, so an equal word has equal bytes; a
    // word of other bytes may be NaN, which only misses the cache.
    const same =
      n === this.#timeKeyLength &&
      view.getFloat64(s, true) === key[0] &&
      view.getFloat64(Math.min(s + 8, last), true) === key[1] &&
      view.getFloat64(Math.min(s + 16, last), true) === key[2] &&
      view.getFloat64(last, true) === key[3];
    const out = this.#timeOut;
    if (!same) {
      const seconds = kind === Time.Msec ? msecSeconds(src, s, e) : layoutSeconds(src, s, e, kind === Time.Iso);
      // Formatting (not parsing) through Date, once per distinct timestamp thanks to the cache above.
      const iso = Number.isNaN(seconds) ? '' : new Date(seconds * 1000).toISOString();
      if (iso.length !== 24) return FAIL;
      encoder.encodeInto(`"${iso.slice(0, 19)}"`, new Uint8Array(out.buffer));
      this.#timeKeyLength = n >= 8 && n <= 32 ? n : -1;
      if (this.#timeKeyLength > 0) for (let j = 0; j < 4; j++) key[j] = view.getFloat64(Math.min(s + 8 * j, last), true);
    }
    // The 21 bytes as three words; the three bytes past them are free space, which what follows overwrites.
    for (let j = 0; j < 3; j++) this.#view.setFloat64(o + 8 * j, out[j] as number, true);
    return o + 21;
  }
}

/** Copies a checked number (digits, optionally `.` and digits) without the leading zeros nginx writes in `$status`. */
function writeNumber(out: Uint8Array, o0: number, src: Uint8Array, s0: number, e: number): number {
  let o = o0;
  let s = s0;
  while (s + 1 < e && src[s] === 48 && isDigit(src[s + 1])) s++;
  for (let i = s; i < e; i++) out[o++] = src[i] as number;
  return o;
}

/** Writes the last item of a checked number list as a number, or null when it is `-` or the list is none. */
function writeListLast(out: Uint8Array, o: number, src: Uint8Array, s: number, e: number, none: boolean): number {
  let i = e;
  // Separators end with a space: the last item starts after the last one.
  while (i > s && src[i - 1] !== 32) i--;
  return none || src[i] === 45 ? writeNull(out, o) : writeNumber(out, o, src, i, e);
}

/** Writes the sum of a checked number list's items (`-` counts 0), or null when no item is a number. */
function writeListTotal(out: Uint8Array, o: number, src: Uint8Array, s: number, e: number, decimal: boolean): number {
  // Sums in thousandths: nginx writes times with at most three decimals, so the total is exact.
  let total = 0;
  let item = 0;
  let frac = -1;
  let any = false;
  for (let i = s; i <= e; i++) {
    const c = i < e ? (src[i] as number) : 32;
    if (c >= 48 && c <= 57) {
      item = item * 10 + (c - 48);
      if (frac >= 0) frac++;
      any = true;
    } else if (c === 46) {
      frac = 0;
    } else {
      total += decimal ? item * (frac === 1 ? 100 : frac === 2 ? 10 : 1) : item;
      item = 0;
      frac = -1;
    }
  }
  if (!any) return writeNull(out, o);
  // Digits written directly, the last first: String() of a fraction would cost more than the rest of the list. A
  // decimal total is written from its thousandths (at least "0.000"), the point before the last three digits.
  let n = decimal ? 5 : 1;
  for (let x = Math.floor(total / (decimal ? 10000 : 10)); x > 0; x = Math.floor(x / 10)) n++;
  for (let i = o + n - 1, x = total; i >= o; i--) {
    if (decimal && i === o + n - 4) {
      out[i] = 46;
    } else {
      out[i] = 48 + (x % 10);
      x = Math.floor(x / 10);
    }
  }
  return o + n;
}

function sameBytes(src: Uint8Array, s1: number, e1: number, s2: number, e2: number): boolean {
  if (e1 - s1 !== e2 - s2) return false;
  for (let i = 0; i < e1 - s1; i++) if (src[s1 + i] !== src[s2 + i]) return false;
  return true;
}

/** End of the number at `i`: 1–18 digits, then (decimal) `.` and 1–3 digits; `i` itself when there is none. */
function numberEnd(src: Uint8Array, i: number, end: number, decimal: boolean): number {
  let j = i;
  while (j < end && isDigit(src[j])) j++;
  if (j === i || j - i > 18) return i;
  if (!decimal) return j;
  if (j >= end || src[j] !== 46) return i;
  const f = ++j;
  while (j < end && isDigit(src[j])) j++;
  return j === f || j - f > 3 ? i : j;
}

/** End of one list item at `i`: `-`, a number, or (addresses) printable bytes but `,` and `"`; `i` when none. */
function itemEnd(src: Uint8Array, i: number, end: number, chk: number): number {
  if (chk !== Chk.AddrList) return i < end && src[i] === 45 ? i + 1 : numberEnd(src, i, end, chk === Chk.DecList);
  let j = i;
  while (j < end) {
    const c = src[j] as number;
    if (c <= 32 || c === 44 || c === 34 || c === 127) break;
    j++;
  }
  return j;
}

/**
 * End of the `$upstream_*` list at `s`: items separated by `, ` (servers of one group) or ` : ` (an internal redirect
 * to another group). A separator counts only when an item follows it; `s` itself for an empty value.
 */
function listEnd(src: Uint8Array, s: number, end: number, chk: number): number {
  let i = itemEnd(src, s, end, chk);
  if (i === s) return s;
  for (;;) {
    let n: number;
    if (i + 2 < end && src[i] === 44 && src[i + 1] === 32) n = i + 2;
    else if (i + 3 < end && src[i] === 32 && src[i + 1] === 58 && src[i + 2] === 32) n = i + 3;
    else return i;
    const j = itemEnd(src, n, end, chk);
    if (j === n) return i;
    i = j;
  }
}

/** Whether the non-empty value `src[s..e)` is what nginx writes for a variable checked as `chk` (not a list). */
function validValue(src: Uint8Array, s: number, e: number, chk: number): boolean {
  if (e - s === 1 && src[s] === 45) return true;
  switch (chk) {
    case Chk.Integer:
    case Chk.Decimal:
      return numberEnd(src, s, e, chk === Chk.Decimal) === e;
    case Chk.Address:
      return isAddress(src, s, e);
    default:
      for (let i = s; i < e; i++) if ((src[i] as number) <= 32 || src[i] === 127) return false;
      return true;
  }
}

/** An IPv4 or IPv6 address as nginx prints it, or `unix:` and a socket path. */
function isAddress(src: Uint8Array, s: number, e: number): boolean {
  if (ipv4End(src, s, e) === e) return true;
  return matchAt(src, s, e, UNIX) ? validValue(src, s, e, Chk.Token) : isIpv6(src, s, e);
}

/** End of the IPv4 address at `s` (four numbers 0–255 separated by dots), or `s` when there is none. */
function ipv4End(src: Uint8Array, s: number, e: number): number {
  for (let i = s, part = 0; ; part++) {
    let v = 0;
    let j = i;
    while (j < e && j - i < 3 && isDigit(src[j])) v = v * 10 + (src[j++] as number) - 48;
    if (j === i || v > 255) return s;
    if (part === 3) return j;
    if (j >= e || src[j] !== 46) return s;
    i = j + 1;
  }
}

/** Up to eight groups of 1–4 hex digits separated by `:`, one `::` at most, optionally ending in an IPv4 address. */
function isIpv6(src: Uint8Array, s: number, e: number): boolean {
  let groups = 0;
  let gap = false;
  let i = s;
  if (src[i] === 58 && src[i + 1] === 58) {
    gap = true;
    i += 2;
  }
  while (i < e) {
    let j = i;
    while (j < e && j - i < 5 && hexValue(src[j] as number) >= 0) j++;
    if (j < e && src[j] === 46) return (gap ? groups <= 5 : groups === 6) && ipv4End(src, i, e) === e;
    if (j === i || j - i > 4) return false;
    groups++;
    if (j === e) break;
    if (src[j] !== 58 || j + 1 === e) return false;
    if (src[j + 1] === 58) {
      if (gap) return false;
      gap = true;
      j++;
    }
    i = j + 1;
  }
  return gap ? groups <= 7 : groups === 8;
}

function writeNull(out: Uint8Array, o: number): number {
  out[o] = 110; // n
  out[o + 1] = 117; // u
  out[o + 2] = out[o + 3] = 108; // l
  return o + 4;
}

/**
 * ASCII bytes as little-endian 8-byte words, zero-padded, carried as doubles: `setFloat64(…, true)` writes the same
 * bytes back. Bytes below 0x80 keep the sign bit and the top exponent bit clear, so no word is NaN (whose bits a
 * runtime may change) or -0: every word is an ordinary number that round-trips exactly.
 */
function words64(b: Uint8Array): Float64Array {
  const padded = new Uint8Array((b.length + 7) & ~7);
  padded.set(b);
  const view = new DataView(padded.buffer);
  return Float64Array.from({ length: padded.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
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
    for (let j = 2; j < 6; j++) if (hexValue(src[i + j] as number) < 0) return 0;
    return 6;
  }
  return 0;
}

/** `HTTP/` followed by digits, optionally `.` and digits. */
function isProtocol(src: Uint8Array, s: number, e: number): boolean {
  return matchAt(src, s, e, HTTP) && isDecimal(src, s + 5, e);
}

/** Layouts of `$time_local` and `$time_iso8601`: `0` is a digit, `+` the offset's sign, `M` the month's name. */
const LOCAL_LAYOUT = '00/MMM/0000:00:00:00 +0000';
const ISO_LAYOUT = '0000-00-00T00:00:00+00:00';

/** A `$time_local` (`22/Dec/2020:21:32:36 +0900`) or `$time_iso8601` value as seconds since the epoch, or NaN. */
function layoutSeconds(src: Uint8Array, s: number, e: number, iso: boolean): number {
  const layout = iso ? ISO_LAYOUT : LOCAL_LAYOUT;
  if (e - s !== layout.length) return NaN;
  for (let j = 0; j < layout.length; j++) {
    const t = layout.charCodeAt(j);
    const c = src[s + j];
    if (t === 48 ? !isDigit(c) : t === 43 ? c !== 43 && c !== 45 : t !== 77 && c !== t) return NaN;
  }
  const at = (j: number, n: number): number => digits(src, s + j, n);
  const y = at(iso ? 0 : 7, 4);
  const m = iso ? at(5, 2) : monthOf(src, s + 3);
  const d = at(iso ? 8 : 0, 2);
  const h = iso ? 11 : 12;
  const [hh, mi, ss] = [at(h, 2), at(h + 3, 2), at(h + 6, 2)];
  const z = iso ? 19 : 21;
  const [oh, om] = [at(z + 1, 2), at(e - s - 2, 2)];
  const ms = Date.UTC(y, m - 1, d, hh, mi, ss);
  // Date.UTC rolls 31/Feb over into March: a date that does not come back as its own day did not exist.
  if (y < 1000 || m < 1 || new Date(ms).getUTCDate() !== d || hh > 23 || mi > 59 || ss > 59 || oh > 23 || om > 59) {
    return NaN;
  }
  return ms / 1000 - (oh * 3600 + om * 60) * (src[s + z] === 45 ? -1 : 1);
}

/** `$msec` (`1608640356.123`) as whole seconds since the epoch, or NaN. */
function msecSeconds(src: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e && src[i] !== 46) i++;
  return i - s <= 12 && isDecimal(src, s, e) ? digits(src, s, i - s) : NaN;
}

/** Parses one line given as a string (tests, tools): the JSON text without its newline, or why the line does not fit. */
export function parseLine(parser: LineParser, line: string): ParseResult {
  const bytes = encoder.encode(line);
  const mark = parser.length;
  if (!parser.appendLine(bytes, 0, bytes.length)) return { ok: false, reason: parser.error };
  const json = new TextDecoder().decode(parser.buf.subarray(mark, parser.length - 1));
  parser.length = mark;
  return { ok: true, json };
}

/**
 * The parser for an nginx `log_format` string (a preset name is resolved before, by `resolveLogFormat`); undefined,
 * blank or nginx's `main` format itself means nginx's `main` and `combined` formats (each line tried in that order:
 * servers still on the built-in `combined` keep working).
 */
export function createParser(logFormat?: string): LineParser {
  const { formats, labels } = compileLogFormats(logFormat);
  return new LineParser(formats, labels);
}
