/**
 * Request validation of the embedded Kinesis: the same checks, in the same order and with the same messages, as
 * Kinesis (as recorded by kinesalite, whose answers the differential tests compare ours with).
 *
 * Two passes, like the service: type checks (a wrong JSON type is a `SerializationException`, unknown members are
 * dropped) and constraints (up to ten `Value … at '…' failed to satisfy constraint: …` in one
 * `ValidationException`).
 */
import { KinesisError } from './errors';

type Scalar = 'Boolean' | 'Integer' | 'Long' | 'Double' | 'String' | 'Blob' | 'Timestamp';

/** A member's type and constraints, as the service model states them. */
export interface Member {
  readonly type: Scalar | 'List' | 'Map' | 'Structure';
  readonly notNull?: boolean;
  readonly greaterThanOrEqual?: number;
  readonly lessThanOrEqual?: number;
  readonly regex?: string;
  readonly lengthGreaterThanOrEqual?: number;
  readonly lengthLessThanOrEqual?: number;
  readonly enum?: readonly string[];
  readonly childKeyLengths?: readonly [number, number];
  readonly childValueLengths?: readonly [number, number];
  /** How a list's members print in a message (Java's `toString` of the entry class). */
  readonly memberStr?: string;
  readonly children?: Member | Shape;
}

/** The members of a request or structure. */
export type Shape = Readonly<Record<string, Member>>;

const serialization = (msg: string): KinesisError => new KinesisError('SerializationException', msg, 400, 'Message');
const BIG_NUMBER = 'class com.amazon.coral.value.json.numbers.TruncatingBigNumber';
const BASE64_CHARS = /[^a-zA-Z0-9+/=]|=[^=]/;
const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decoded length of a base64 string that passed {@link checkBlob}. */
export function base64Length(s: string): number {
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/** Kinesis accepts only canonical base64: length a multiple of 4, padding only at the end, no stray bits. */
function checkBlob(val: string): void {
  if (val.length % 4) {
    throw serialization(`'${val}' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 bytes but found: ${val.length}`);
  }
  const bad = BASE64_CHARS.exec(val);
  if (bad) throw serialization(`'${val}' can not be converted to a Blob: Invalid Base64 character: '${bad[0][0]}'`);
  // The last data character must leave no bits over: what a decode and re-encode would change.
  const pad = val.endsWith('==') ? 2 : val.endsWith('=') ? 1 : 0;
  const last = val.length - pad - 1;
  const mask = pad === 2 ? 0xf : pad === 1 ? 0x3 : 0;
  const pos = last >= 0 ? BASE64_DIGITS.indexOf(val[last]!) : 0;
  // `=[^=]` above caught padding in the middle; padding of three or more leaves a '=' just before the last two.
  const misplaced = last >= 0 && val.charCodeAt(last) === 0x3d;
  if (misplaced || pos < 0 || (pos & mask) !== 0) {
    throw serialization(`'${val}' can not be converted to a Blob: Invalid last non-pad Base64 character dectected`);
  }
}

function checkType(val: unknown, type: Member): unknown {
  if (val == null) return null;
  const structure = (): never => {
    if (Array.isArray(val)) throw serialization('Start of list found where not expected');
    throw serialization('Start of structure or map found where not expected.');
  };
  switch (type.type) {
    case 'Boolean':
      if (typeof val === 'number') throw serialization(`${BIG_NUMBER} can not be converted to an Boolean`);
      if (typeof val === 'string') throw serialization(`'${val.toUpperCase()}' can not be converted to an Boolean`);
      if (typeof val === 'object') structure();
      return val;
    case 'Integer':
    case 'Long':
    case 'Double':
      if (typeof val === 'boolean') throw serialization(`class java.lang.Boolean can not be converted to an ${type.type}`);
      if (typeof val === 'string') throw serialization(`class java.lang.String can not be converted to an ${type.type}`);
      if (typeof val === 'object') structure();
      if (typeof val === 'number' && type.type !== 'Double') {
        const n = Math.floor(val);
        return type.type === 'Integer' ? Math.min(n, 2147483647) : n;
      }
      return val;
    case 'String':
      if (typeof val === 'boolean') throw serialization('class java.lang.Boolean can not be converted to an String');
      if (typeof val === 'number') throw serialization(`${BIG_NUMBER} can not be converted to an String`);
      if (typeof val === 'object') structure();
      return val;
    case 'Blob':
      if (typeof val === 'boolean') throw serialization('class java.lang.Boolean can not be converted to a Blob');
      if (typeof val === 'number') throw serialization(`${BIG_NUMBER} can not be converted to a Blob`);
      if (typeof val === 'object') structure();
      checkBlob(val as string);
      return val;
    case 'Timestamp':
      if (typeof val === 'boolean') throw serialization('class java.lang.Boolean can not be converted to milliseconds since epoch');
      if (typeof val === 'string') throw serialization('class java.lang.String can not be converted to milliseconds since epoch');
      if (typeof val === 'object') structure();
      return val;
    case 'List':
      if (typeof val !== 'object') throw serialization('Expected list or null');
      if (!Array.isArray(val)) throw serialization('Start of structure or map found where not expected.');
      return val.map((child: unknown) => checkType(child, type.children as Member));
    case 'Map': {
      if (typeof val !== 'object') throw serialization('Expected map or null');
      if (Array.isArray(val)) throw serialization('Start of list found where not expected');
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(val)) out[key] = checkType((val as Record<string, unknown>)[key], type.children as Member);
      return out;
    }
    case 'Structure':
      if (typeof val !== 'object') throw serialization('Expected null');
      if (Array.isArray(val)) throw serialization('Start of list found where not expected');
      return checkTypes(val as Record<string, unknown>, type.children as Shape);
  }
}

/** Type checks: the request with unknown and null members dropped, or a SerializationException. */
export function checkTypes(data: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const val = checkType(data[key], shape[key]!);
    if (val != null) out[key] = val;
  }
  return out;
}

const lowerFirst = (s: string): string => s[0]!.toLowerCase() + s.slice(1);

function valueStr(data: unknown, type: Member): string {
  if (data == null) return 'null';
  switch (type.type) {
    case 'Blob': {
      const n = base64Length(data as string);
      return `java.nio.HeapByteBuffer[pos=0 lim=${n} cap=${n}]`;
    }
    case 'List':
      return `[${(data as unknown[]).map((item) => type.memberStr ?? String(item)).join(', ')}]`;
    case 'Map':
      return `{${Object.entries(data as object).map(([k, v]) => `${k}=${type.memberStr ?? String(v)}`).join(', ')}}`;
    default:
      return typeof data === 'object' ? JSON.stringify(data) : String(data);
  }
}

function lengthOf(data: unknown, type: Member): number {
  if (type.type === 'Blob') return base64Length(data as string);
  if (typeof data === 'object' && data !== null && !Array.isArray(data)) return Object.keys(data).length;
  return (data as { length: number }).length;
}

const patterns = new Map<string, RegExp>();
/** A constraint's pattern, matching the whole value (compiled once). */
function anchored(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) patterns.set(pattern, (re = new RegExp(`^${pattern}$`)));
  return re;
}

const RULES = ['notNull', 'greaterThanOrEqual', 'lessThanOrEqual', 'regex', 'lengthGreaterThanOrEqual', 'lengthLessThanOrEqual', 'enum', 'childKeyLengths', 'childValueLengths', 'children'] as const;

function checkMember(attr: string, data: unknown, m: Member, parent: string | undefined, errors: string[]): void {
  const fail = (msg: string): void => {
    let value = valueStr(data, m);
    if (value !== 'null') value = `'${value}'`;
    errors.push(`Value ${value} at '${parent ? `${parent}.` : ''}${lowerFirst(attr)}' failed to satisfy constraint: ${msg}`);
  };
  // The service checks a member's constraints in the order the model lists them; ours list them in RULES' order.
  for (const rule of Object.keys(m) as (keyof Member)[]) {
    if (errors.length >= 10) return;
    if (!(RULES as readonly string[]).includes(rule)) continue;
    if (rule !== 'notNull' && data == null) continue;
    const path = (parent ? `${parent}.` : '') + lowerFirst(attr);
    switch (rule) {
      case 'notNull':
        if (data == null) fail('Member must not be null');
        break;
      case 'greaterThanOrEqual':
        if (!((data as number) >= m.greaterThanOrEqual!)) fail(`Member must have value greater than or equal to ${m.greaterThanOrEqual}`);
        break;
      case 'lessThanOrEqual':
        if (!((data as number) <= m.lessThanOrEqual!)) fail(`Member must have value less than or equal to ${m.lessThanOrEqual}`);
        break;
      case 'regex':
        if (!anchored(m.regex!).test(data as string)) fail(`Member must satisfy regular expression pattern: ${m.regex}`);
        break;
      case 'lengthGreaterThanOrEqual':
        if (!(lengthOf(data, m) >= m.lengthGreaterThanOrEqual!)) fail(`Member must have length greater than or equal to ${m.lengthGreaterThanOrEqual}`);
        break;
      case 'lengthLessThanOrEqual':
        if (!(lengthOf(data, m) <= m.lengthLessThanOrEqual!)) fail(`Member must have length less than or equal to ${m.lengthLessThanOrEqual}`);
        break;
      case 'enum':
        if (!m.enum!.includes(data as string)) fail(`Member must satisfy enum value set: [${m.enum!.join(', ')}]`);
        break;
      case 'childKeyLengths': {
        const [lo, hi] = m.childKeyLengths!;
        if (!Object.keys(data as object).every((k) => k.length >= lo && k.length <= hi)) {
          fail(`Map keys must satisfy constraint: [Member must have length less than or equal to ${hi}, Member must have length greater than or equal to ${lo}]`);
        }
        break;
      }
      case 'childValueLengths': {
        const [lo, hi] = m.childValueLengths!;
        if (!Object.values(data as Record<string, string>).every((v) => v.length >= lo && v.length <= hi)) {
          fail(`Map value must satisfy constraint: [Member must have length less than or equal to ${hi}, Member must have length greater than or equal to ${lo}]`);
        }
        break;
      }
      case 'children':
        if (m.type === 'List') {
          const list = data as unknown[];
          for (let i = 0; i < list.length; i++) checkMember('member', list[i], m.children as Member, `${path}.${i + 1}`, errors);
        } else if (m.type === 'Map') {
          for (const key of Object.keys(data as object).reverse()) {
            checkMember('member', (data as Record<string, unknown>)[key], m.children as Member, `${path}.${key}`, errors);
          }
        } else if (m.type === 'Structure') {
          checkMembers(data as Record<string, unknown>, m.children as Shape, path, errors);
        }
        break;
    }
  }
}

function checkMembers(data: Record<string, unknown>, shape: Shape, parent: string | undefined, errors: string[]): void {
  for (const attr of Object.keys(shape)) checkMember(attr, data[attr], shape[attr]!, parent, errors);
}

/** Constraint checks on a type-checked request: a ValidationException naming up to ten violations. */
export function checkConstraints(data: Record<string, unknown>, shape: Shape): void {
  const errors: string[] = [];
  checkMembers(data, shape, undefined, errors);
  if (errors.length) {
    throw new KinesisError(
      'ValidationException',
      `${errors.length} validation error${errors.length > 1 ? 's' : ''} detected: ${errors.join('; ')}`,
    );
  }
}

/** Both passes; returns the cleaned request. */
export function validate(data: Record<string, unknown>, shape: Shape): Record<string, unknown> {
  const clean = checkTypes(data, shape);
  checkConstraints(clean, shape);
  return clean;
}
