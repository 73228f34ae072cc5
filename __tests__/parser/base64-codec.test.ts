/**
 * The handler's base64: Node's undocumented Buffer methods are used only when they exist and work; without them (a
 * runtime that drops or changes them) the public Buffer API gives the same results instead of failing every record.
 */
import type { FirehoseInputRecord } from '../../facts/firehose-transformation';
import { base64Codec, createTransform } from '../../functions/nginx-parser/handler';
import { createParser } from '../../functions/nginx-parser/parse';

const T = '[22/Dec/2020:12:32:36 +0000]';
const records: FirehoseInputRecord[] = [
  { recordId: '1', data: Buffer.from(`1.2.3.4 - - ${T} "GET /\\xEC\\x95\\x88 HTTP/1.1" 200 1 "-" "-" "-"\n`).toString('base64') },
  { recordId: '2', data: Buffer.from(`1.2.3.4 - - ${T} "GET / HTTP/1.1" 200 \n`).toString('base64') },
  { recordId: '3', data: Buffer.from(`::1 - - ${T} "GET /a HTTP/1.1" 404 5 "-" "curl" "-"\n`.repeat(300)).toString('base64') },
  { recordId: '4', data: '' },
];

describe('base64Codec', () => {
  it("uses Node's internal methods on this runtime", () => {
    expect(base64Codec().fast).toBe(true);
  });

  it.each([
    ['missing', {}],
    ['not functions', { base64Write: 1, base64Slice: 'x' }],
    ['throwing', { base64Write: () => { throw new TypeError('Illegal invocation'); }, base64Slice: () => '' }],
    ['returning wrong results', { base64Write: () => 3, base64Slice: () => 'aGk/' }],
  ])('falls back to the public Buffer API when the internal methods are %s', (_, proto) => {
    const codec = base64Codec(proto);
    expect(codec.fast).toBe(false);
    const target = Buffer.alloc(8);
    expect(codec.decode(target, 'aGk/', 0, 8)).toBe(3);
    expect(codec.decode(target, 'aGk/', 4, 4)).toBe(3);
    expect(target.toString('latin1', 0, 7)).toBe('hi?\0hi?');
    const bytes = new Uint8Array([0, 104, 105, 63, 0]);
    expect(codec.encode(bytes.subarray(1), 0, 3)).toBe('aGk/');
  });

  it('gives the handler the same response either way, and says once that it fell back', () => {
    const logged: string[] = [];
    const fast = createTransform(createParser(), { log: () => undefined })({ records });
    const slow = createTransform(createParser(), { log: (m) => logged.push(m), base64: base64Codec({}) })({ records });
    expect(slow).toEqual(fast);
    expect(slow.records.map((r) => r.result)).toEqual(['Ok', 'ProcessingFailed', 'Ok', 'Dropped']);
    expect(Buffer.from(slow.records[0]?.data ?? '', 'base64').toString()).toContain('"uri":"/안"');
    expect(logged[0]).toMatch(/no working Buffer base64Write\/base64Slice; using the public Buffer API/);
  });
});
