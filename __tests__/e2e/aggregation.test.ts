/**
 * Our agent's aggregated records end to end (`npm start`'s machinery: shipper → kinesalite → local Firehose → the
 * bundled parser → s3rver): with the hostile generator, every line lands exactly once, parsed exactly as the
 * one-line-per-record route parses it (the oracle runs the same Lambda on each line as its own record), with at most
 * one Kinesis record per ten lines. Needs `npm run synth` first (`npm run test:e2e` does that).
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { runPipeline } from '../../pipeline/run-pipeline';
import { readStackConfig, type PipelineConfig } from '../../pipeline/stack-config';
import { NGINX, nginxConf, nginxMissing } from '../support/nginx';
import { freePort } from '../support/ports';
import { bundlePath, delivered, difference, expectedOutputs, expectExactlyOnce, root, runAndCheck } from './pipeline-helpers';

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

test('a real nginx access log with odd requests, aggregated: every line once, parsed as one line per record parses it', async () => {
  if (NGINX === undefined) {
    const missing = nginxMissing('the real-nginx aggregation test');
    if (process.env.CI === 'true') throw new Error(missing);
    console.warn(`SKIPPED: ${missing}`);
    return;
  }
  const prefix = join(dir, 'nginx');
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  mkdirSync(join(prefix, 'tmp'));
  const log = join(prefix, 'logs', 'access.log');
  const port = await freePort();
  writeFileSync(
    join(prefix, 'nginx.conf'),
    nginxConf(prefix, `  log_format main '${NGINX_MAIN_FORMAT}';
  access_log ${log} main;
  server { listen 127.0.0.1:${port}; location / { return 200 "ok\\n"; } }`),
  );
  const nginx = spawn(NGINX, ['-c', join(prefix, 'nginx.conf'), '-p', prefix], { stdio: 'ignore' });
  try {
    await sleep(300);
    // Raw requests: quotes and raw UTF-8 in the user agent, a TLS handshake on the plain port, HTTP/0.9, a long URI.
    const raw = (bytes: Buffer | string): Promise<void> =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
        socket.on('data', () => undefined);
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    for (let i = 0; i < 400; i++) {
      const kind = i % 5;
      if (kind === 0) await raw(`GET /p/${i}?q="x" HTTP/1.1\r\nHost: h\r\nUser-Agent: a "quoted" 안녕 ${i}\r\nConnection: close\r\n\r\n`);
      else if (kind === 1) await raw(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, i % 256]));
      else if (kind === 2) await raw(`GET /${'a'.repeat(3000 + i)} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n`);
      else if (kind === 3) await raw(`GET /old/${i}\r\n`);
      else await raw(`POST /api/${i} HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\nReferer: http://e.x/${i}\r\nConnection: close\r\n\r\n`);
    }
    await sleep(300);
  } finally {
    nginx.kill('SIGTERM');
    await new Promise((r) => nginx.once('exit', r));
  }
  // Lines that are not access-log lines at all (an error-log line written to the wrong file, binary junk).
  appendFileSync(log, '2026/12/05 17:00:00 [error] 12#12: *1 open() "/x" failed (2: No such file or directory)\n\u0000\u0001junk\n');
  const inputLines = readFileSync(log, 'utf8').split('\n').slice(0, -1);
  expect(inputLines.length).toBeGreaterThanOrEqual(400);
  const want = await expectedOutputs(inputLines, config);
  const run = await runPipeline({ config, input: log, bundlePath, keepEmulators: true, onLambdaLog: () => undefined });
  try {
    const got = await delivered(run.summary, config);
    expect(got.report.problems).toEqual([]);
    expect(difference(want.ok, got.ok)).toEqual({ missing: [], extra: [] });
    expect(difference(want.failed, got.failed)).toEqual({ missing: [], extra: [] });
    expect(want.failed.size).toBeGreaterThan(0);
    expect(run.summary.recordsShipped).toBeLessThanOrEqual(inputLines.length / 10);
  } finally {
    await run.stopEmulators();
  }
});
