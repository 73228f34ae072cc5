/**
 * Shared by the end-to-end pipeline suites: what each input line must become (the bundled parser run on it alone),
 * what the bucket holds (read back and checked by verifyBucket), and an exactly-once comparison of the two.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FirehoseTransformationEvent } from '../../facts/firehose-transformation';
import { s3Client } from '../../pipeline/clients';
import { writeDemoLog } from '../../pipeline/demo-log';
import { loadHandler } from '../../pipeline/firehose/firehose';
import { buildEvent } from '../../pipeline/firehose/format';
import { runPipeline, type RunPipelineOptions, type RunSummary } from '../../pipeline/run-pipeline';
import { projectRoot, type PipelineConfig } from '../../pipeline/stack-config';
import { verifyBucket, type VerifyReport } from '../../pipeline/verify';

export const root = projectRoot(__dirname);
export const bundlePath = join(root, 'dist', 'nginx-parser', 'index.js');

export type Counts = Map<string, number>;
const bump = (m: Counts, k: string): void => void m.set(k, (m.get(k) ?? 0) + 1);

/**
 * What each input line must become, computed by calling the same bundled handler on each line as its own record:
 * the JSON lines it returns for Ok records, the raw record for ProcessingFailed ones.
 */
export async function expectedOutputs(lines: string[], cfg: PipelineConfig): Promise<{ ok: Counts; failed: Counts }> {
  const handler = loadHandler(bundlePath, cfg.lambda?.environment ?? {});
  const ok: Counts = new Map();
  const failed: Counts = new Map();
  // The parser reports failed records on the console (CloudWatch Logs on AWS); not needed here.
  const silent = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    for (let i = 0; i < lines.length; i += 1000) {
      const chunk = lines.slice(i, i + 1000);
      const event: FirehoseTransformationEvent = buildEvent(
        chunk.map((l, j) => ({ data: Buffer.from(`${l}\n`), arrivalMs: 0, shardId: 's', partitionKey: 'k', sequenceNumber: String(i + j) })),
        { deliveryStreamArn: cfg.delivery.arn, sourceKinesisStreamArn: cfg.stream.arn, region: cfg.region },
      );
      const out = (await handler(event, {})) as { records: { recordId: string; result: string; data: string }[] };
      out.records.forEach((r, j) => {
        if (r.result === 'Ok') for (const l of Buffer.from(r.data, 'base64').toString().split('\n').filter(Boolean)) bump(ok, l);
        else if (r.result === 'ProcessingFailed') bump(failed, `${chunk[j]}\n`);
      });
    }
  } finally {
    silent.mockRestore();
  }
  return { ok, failed };
}

/** Reads the bucket back: every Ok line and every error record's rawData, counted. */
export async function delivered(summary: RunSummary, cfg: PipelineConfig): Promise<{ ok: Counts; failed: Counts; report: VerifyReport }> {
  const s3 = s3Client({ endpoint: summary.endpoints.s3, region: cfg.region });
  const ok: Counts = new Map();
  const failed: Counts = new Map();
  try {
    const report = await verifyBucket(
      s3,
      { bucket: cfg.bucket, prefix: cfg.delivery.prefix, errorOutputPrefix: cfg.delivery.errorOutputPrefix, deliveryStreamName: cfg.delivery.name },
      (kind, line) => {
        if (kind === 'main') bump(ok, line);
        // An error record holds one line, or several when an aggregated record failed whole: count its lines.
        else for (const l of Buffer.from((JSON.parse(line) as { rawData: string }).rawData, 'base64').toString().split(/(?<=\n)/)) bump(failed, l);
      },
    );
    return { ok, failed, report };
  } finally {
    s3.destroy();
  }
}

/** Lines in one map and not the other (with multiplicity), the first few of each, for a readable failure. */
export function difference(expected: Counts, actual: Counts): { missing: string[]; extra: string[] } {
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [k, n] of expected) for (let i = actual.get(k) ?? 0; i < n && missing.length < 5; i++) missing.push(k);
  for (const [k, n] of actual) for (let i = expected.get(k) ?? 0; i < n && extra.length < 5; i++) extra.push(k);
  return { missing, extra };
}

export async function runAndCheck(
  dir: string,
  name: string,
  lines: number,
  cfg: PipelineConfig,
  extra: Partial<RunPipelineOptions> = {},
  hostilePercent = 5,
) {
  const input = join(dir, `${name}.log`);
  await writeDemoLog(root, input, lines, hostilePercent, 7);
  const inputLines = readFileSync(input, 'utf8').split('\n').slice(0, -1);
  expect(inputLines).toHaveLength(lines);
  const want = await expectedOutputs(inputLines, cfg);
  const run = await runPipeline({ config: cfg, input, bundlePath, keepEmulators: extra.s3Endpoint === undefined, onLambdaLog: () => undefined, ...extra });
  try {
    const got = await delivered(run.summary, cfg);
    return { inputLines, want, got, summary: run.summary };
  } finally {
    await run.stopEmulators();
  }
}

export function expectExactlyOnce(r: Awaited<ReturnType<typeof runAndCheck>>): void {
  const { inputLines, want, got, summary } = r;
  expect(got.report.problems).toEqual([]);
  expect(difference(want.ok, got.ok)).toEqual({ missing: [], extra: [] });
  expect(difference(want.failed, got.failed)).toEqual({ missing: [], extra: [] });
  const blank = inputLines.filter((l) => l.trim() === '').length;
  const total = (m: Counts): number => [...m.values()].reduce((a, b) => a + b, 0);
  // Every non-blank input line is in exactly one place: a parsed line under the prefix or in an error record (one
  // line per record, or many when aggregating: the records' lines are counted).
  expect(total(got.ok) + total(got.failed)).toBe(inputLines.length - blank);
  expect(got.report.records).toBe(total(got.ok));
  expect(got.report.errorRecords).toBe(summary.recordsFailed);
  expect(summary.recordsFailed).toBeGreaterThan(0);
}

