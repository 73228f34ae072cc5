import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import type { FirehoseInputRecord } from '../../facts/firehose-transformation';
import { LEADING_KEYS } from '../../facts/output-schema';
import { createTransform } from '../../functions/nginx-parser/handler';
import { createParser } from '../../functions/nginx-parser/parse';

const GENERATOR = resolve(__dirname, '..', '..', '..', 'shared', 'bench', 'gen-nginx-log.mjs');

/**
 * Why an Ok record's data is wrong, or undefined: it must decode to lines that each end with "\n" and are one JSON
 * object with the original schema's keys first. (A plain check, so a loop over thousands of records asserts once.)
 */
function okProblem(data: string): string | undefined {
  const text = Buffer.from(data, 'base64').toString('utf8');
  if (!text.endsWith('\n')) return `does not end with "\\n": ${JSON.stringify(text)}`;
  for (const line of text.slice(0, -1).split('\n')) {
    let keys: string[];
    try {
      keys = Object.keys(JSON.parse(line) as Record<string, unknown>);
    } catch {
      return `not one JSON object per line: ${JSON.stringify(line)}`;
    }
    if (keys.slice(0, LEADING_KEYS.length).join() !== LEADING_KEYS.join()) return `keys ${keys.join()} in ${line}`;
  }
  return undefined;
}

// Pieces that make lines almost fit: quotes, escapes, separators, UTF-8 and bytes that are not.
const piece = fc.oneof(
  fc.constantFrom('"', '\\', '\\x', '\\x22', '\\xEC\\x95\\x88', '\\xFF', '\\u0041', '\\"', ' ', ' - ', '-', '[', ']', '\t', '\r', '\n', '\r\n'),
  fc.constantFrom('GET / HTTP/1.1', '[22/Dec/2020:21:32:36 +0900]', '200', '1.2.3.4', '2001:db8::1', '안', '"-"', '""'),
  fc.string({ maxLength: 8 }),
  fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b).toString('latin1')),
);
const lineLike = fc.oneof(
  fc.array(piece, { maxLength: 30 }).map((p) => p.join('')),
  fc
    .record({ ip: fc.constantFrom('1.2.3.4', '::1', '', '-'), user: fc.string({ maxLength: 5 }), req: fc.array(piece, { maxLength: 6 }), ua: fc.array(piece, { maxLength: 6 }) })
    .map(({ ip, user, req, ua }) => `${ip} - ${user} [22/Dec/2020:21:32:36 +0900] "${req.join('')}" 200 - "-" "${ua.join('')}" "-"`),
);
const recordData = fc.oneof(
  fc.array(lineLike, { maxLength: 4 }).map((lines) => Buffer.from(lines.join('\n')).toString('base64')),
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
  fc.string({ maxLength: 20 }),
);
const record: fc.Arbitrary<FirehoseInputRecord> = fc.record(
  { recordId: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(undefined)), data: recordData },
  { requiredKeys: [] },
);

describe('handler properties (fast-check)', () => {
  const parsers = [createParser(), createParser('escape=json {"ua":"$http_user_agent","t":"$time_iso8601","rt":$request_time}'), createParser('escape=none $remote_addr "$request" $status')];

  it.each([0, 1, 2])('never throws, returns every record once in order, and every Ok line is JSON (format %i)', (i) => {
    const transform = createTransform(parsers[i] as (typeof parsers)[number], { log: () => undefined });
    const seen = { Ok: 0, Dropped: 0, ProcessingFailed: 0 };
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const res = transform({ records });
        expect(res.records).toHaveLength(records.length);
        res.records.forEach((out, n) => {
          const input = records[n] as FirehoseInputRecord;
          expect(out.recordId).toBe(typeof input.recordId === 'string' ? input.recordId : undefined);
          seen[out.result]++;
          if (out.result === 'Ok') expect(okProblem(out.data)).toBeUndefined();
          if (out.result === 'ProcessingFailed') expect(out.data).toBe(typeof input.data === 'string' ? input.data : '');
        });
      }),
      { numRuns: 300 },
    );
    expect(seen.ProcessingFailed).toBeGreaterThan(0);
    if (i === 0) expect(seen.Ok).toBeGreaterThan(0);
  });
});

describe('generator corpus with --hostile=20', () => {
  it('delivers every line that fits, fails only lines that are not access-log lines', () => {
    if (!existsSync(GENERATOR)) {
      // The generator lives next to the repository (../shared/bench), not in it.
      const missing = `the log generator is missing at ${GENERATOR} (the team's shared folder next to the repository)`;
      if (process.env.CI === 'true') throw new Error(missing);
      console.warn(`SKIPPED: ${missing}`);
      return;
    }
    const text = execFileSync(process.execPath, [GENERATOR, '3000', '7', '--hostile=20'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const lines = text.split('\n').slice(0, -1);
    const records = lines.map((line, n) => ({ recordId: String(n), data: Buffer.from(`${line}\n`).toString('base64') }));
    const res = createTransform(createParser(), { log: () => undefined })({ records });
    const counts = { Ok: 0, Dropped: 0, ProcessingFailed: 0 };
    const problems: string[] = [];
    res.records.forEach((out, n) => {
      counts[out.result]++;
      const line = lines[n] as string;
      const problem =
        out.result === 'Ok'
          ? okProblem(out.data)
          : out.result === 'Dropped'
            ? line === '' ? undefined : 'dropped, not empty'
            : // The generator's only lines that are not access-log lines: a line cut short and an error-log line.
              line.endsWith('" 200 ') || line.includes(' [error] ') ? undefined : 'failed';
      if (problem !== undefined) problems.push(`line ${n + 1} ${problem}: ${line}`);
    });
    expect(problems).toEqual([]);
    expect(counts.Ok).toBeGreaterThan(2600);
    expect(counts.Dropped).toBeGreaterThan(0);
    expect(counts.ProcessingFailed).toBeGreaterThan(0);
  });
});
