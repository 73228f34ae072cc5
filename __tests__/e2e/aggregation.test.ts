/**
 * Our agent's aggregated records end to end (`npm start`'s machinery: shipper → kinesalite → local Firehose → the
 * bundled parser → s3rver): with the hostile generator, every line lands exactly once, parsed exactly as the
 * one-line-per-record route parses it (the oracle runs the same Lambda on each line as its own record), with at most
 * one Kinesis record per ten lines. Needs `npm run synth` first (`npm run test:e2e` does that).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStackConfig, type PipelineConfig } from '../../pipeline/stack-config';
import { expectExactlyOnce, root, runAndCheck } from './pipeline-helpers';

jest.setTimeout(180_000);

let dir: string;
let config: PipelineConfig;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-aggregation-'));
  config = readStackConfig({ projectDir: root });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([5, 20])('--hostile=%i, aggregated at the defaults: exactly once, as one line per record parses it, ≤ lines/10 records', async (hostile) => {
  const r = await runAndCheck(dir, `hostile-${hostile}`, 30_000, config, {}, hostile);
  expectExactlyOnce(r);
  expect(r.summary.linesShipped).toBe(r.summary.linesIn);
  expect(r.summary.recordsShipped).toBeLessThanOrEqual(r.inputLines.length / 10);
});

test('--one-line-per-record (the Kinesis Agent route) delivers the same lines with one record per line', async () => {
  const r = await runAndCheck(dir, 'one-per-record', 10_000, config, { oneLinePerRecord: true }, 20);
  expectExactlyOnce(r);
  expect(r.summary.recordsShipped).toBe(r.summary.linesIn);
});
