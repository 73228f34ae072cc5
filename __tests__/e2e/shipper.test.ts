/**
 * The shipper end to end against the embedded Kinesis: following a live file through both kinds of rotation across a restart,
 * the CLI killed or interrupted mid-file and restarted, and a Kinesis endpoint that goes away mid-run.
 * Run by `npm run test:shipper` (builds the CLI first).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kinesisClient } from '../../pipeline/clients';
import { startFaultProxy } from '../support/fault-proxy';
import { LogWriter } from '../support/log-writer';
import { waitFor } from '../support/wait';
import { Shipper, type ShipSummary } from '../../pipeline/agent/shipper';
import { projectRoot } from '../../pipeline/stack-config';
import { createStream, kinesisFixture, linesOf, readStream, sorted, type KinesisFixture } from '../pipeline/kinesis-helpers';

jest.setTimeout(120_000);

const root = projectRoot(__dirname);
const cli = join(root, 'dist', 'app', 'bin', 'ship.js');

let fx: KinesisFixture;
beforeEach(async () => {
  fx = await kinesisFixture();
  await createStream(fx.client, 'logs', 2);
});
afterEach(() => fx.close());

const pageLine = (n: number): string => `127.0.0.1 - - [25/Nov/2026:05:00:00 +0000] "GET /page/${n} HTTP/1.1" 200 ${n} "-" "e2e" "-"\n`;

async function writeFor(w: LogWriter, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    w.write(50);
    await sleep(3);
  }
}

it('follows a live log through rename-and-create and copytruncate, across a restart: every line exactly once', async () => {
  const path = join(fx.dir, 'access.log');
  const checkpointFile = join(fx.dir, 'checkpoint.json');
  const w = new LogWriter(path, pageLine);
  const follow = (): { shipper: Shipper; done: Promise<ShipSummary> } => {
    const shipper = new Shipper({
      client: fx.client,
      streamName: 'logs',
      file: path,
      follow: true,
      checkpointFile,
      maxBufferAgeMillis: 50,
      pollMillis: 10,
      rotationQuietMillis: 100,
    });
    return { shipper, done: shipper.run() };
  };

  const first = follow();
  await writeFor(w, 20);
  // logrotate's default: rename, nginx keeps writing to the old file until it reopens.
  renameSync(path, `${path}.1`);
  await writeFor(w, 5);
  w.reopen();
  await writeFor(w, 20);
  await waitFor(() => first.shipper.stats.rotations === 1, 'the rename rotation');
  first.shipper.stop();
  const a = await first.done;

  // While the shipper is down: more lines, then copytruncate (shift .1 to .2, copy to .1, truncate), more lines.
  await writeFor(w, 10);
  renameSync(`${path}.1`, `${path}.2`);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  await writeFor(w, 10);

  const second = follow();
  await writeFor(w, 10);
  // copytruncate while running.
  renameSync(`${path}.1`, `${path}.3`);
  copyFileSync(path, `${path}.1`);
  truncateSync(path, 0);
  await writeFor(w, 10);
  w.close();
  await waitFor(() => a.recordsShipped + second.shipper.stats.recordsShipped >= w.written.length, 'every line shipped');
  second.shipper.stop();
  const b = await second.done;

  expect(a.recordsShipped + b.recordsShipped).toBe(w.written.length);
  expect(b.rotations).toBe(1);
  const { data } = await readStream(fx.client, 'logs');
  expect(data).toHaveLength(w.written.length);
  expect(sorted(data.map(String))).toEqual(sorted(w.written));
});

describe('the ship CLI', () => {
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm run test:shipper does)`);
  });

  function ship(file: string, endpoint: string, checkpoint: string): { exit: Promise<number | null>; kill(sig: NodeJS.Signals): void; stderr: () => string } {
    const child = spawn(
      process.execPath,
      // One record per line (the Kinesis Agent's way): records are lines, and a crash repeats at most 1,000 of them.
      [cli, file, '--endpoint', endpoint, '--stream', 'logs', '--checkpoint', checkpoint, '--region', 'us-east-1', '--one-line-per-record'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.resume();
    return {
      exit: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
      kill: (sig) => child.kill(sig),
      stderr: () => err,
    };
  }

  function bigLog(path: string, lines: number): string[] {
    let text = '';
    for (let i = 0; i < lines; i++) text += `10.1.${i % 256}.${i % 200} - - [25/Nov/2026:05:00:00 +0000] "GET /cli/${i} HTTP/1.1" 200 ${i} "-" "${'a'.repeat(150)}" "-"\n`;
    writeFileSync(path, text);
    return linesOf(text);
  }

  it('interrupted (SIGINT) mid-file and run again: no line lost, none duplicated', async () => {
    const file = join(fx.dir, 'access.log');
    const checkpoint = join(fx.dir, 'cp.json');
    const lines = bigLog(file, 60_000);
    const run1 = ship(file, fx.kinesis.endpoint, checkpoint);
    await waitFor(() => existsSync(checkpoint), 'a first checkpoint');
    run1.kill('SIGINT');
    expect(await run1.exit).toBe(0);
    const run2 = ship(file, fx.kinesis.endpoint, checkpoint);
    expect(await run2.exit).toBe(0);
    expect(run2.stderr()).toMatch(/resuming .*access\.log at byte [1-9]/);

    const { data } = await readStream(fx.client, 'logs');
    expect(data).toHaveLength(lines.length);
    expect(sorted(data.map(String))).toEqual(sorted(lines));
  });

  it('killed (SIGKILL) mid-file and run again: no line lost; at most the batches in flight are sent twice', async () => {
    const file = join(fx.dir, 'access.log');
    const checkpoint = join(fx.dir, 'cp.json');
    const lines = bigLog(file, 60_000);
    const run1 = ship(file, fx.kinesis.endpoint, checkpoint);
    await waitFor(() => existsSync(checkpoint), 'a first checkpoint');
    run1.kill('SIGKILL');
    await run1.exit;
    const run2 = ship(file, fx.kinesis.endpoint, checkpoint);
    expect(await run2.exit).toBe(0);

    const { data } = await readStream(fx.client, 'logs');
    const got = new Set(data.map(String));
    expect(lines.filter((l) => !got.has(l))).toEqual([]);
    // Two batches of 500 in flight at most: a crash after Kinesis accepted them but before the checkpoint.
    expect(data.length - lines.length).toBeLessThanOrEqual(1000);
  });
});

it('keeps retrying while the Kinesis endpoint is down or failing mid-run, and loses no line', async () => {
  const proxy = await startFaultProxy(fx.kinesis.endpoint);
  const client = kinesisClient({ endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 1 });
  try {
    const file = join(fx.dir, 'access.log');
    let text = '';
    for (let i = 0; i < 40_000; i++) text += `line ${i} ${'b'.repeat(100)}\n`;
    writeFileSync(file, text);
    const shipper = new Shipper({ client, streamName: 'logs', file, maxBufferSizeRecords: 200, retryMaxMillis: 200 });
    let outage: Promise<void> | undefined;
    shipper.on('progress', (s) => {
      if (s.recordsShipped >= 5_000 && !outage) {
        // The endpoint goes away for a second, comes back failing a few calls with 500s, then recovers.
        outage = (async () => {
          await proxy.down();
          await sleep(1_000);
          proxy.failNext(3, { status: 500, code: 'InternalFailure' });
          await proxy.up();
        })();
      }
    });
    const summary = await shipper.run();
    await outage;

    expect(summary.failedCalls).toBeGreaterThan(3);
    expect(proxy.counters.injectedErrors).toBe(3);
    const { data } = await readStream(fx.client, 'logs');
    const lines = linesOf(text);
    const got = new Set(data.map(String));
    expect(lines.filter((l) => !got.has(l))).toEqual([]);
    // Connections dropped mid-call: Kinesis may have stored a batch whose response never arrived, and re-sending it
    // is the only way not to lose it (at-least-once, as with the agent). At most the 2 calls in flight repeat.
    expect(got.size).toBe(lines.length);
    expect(data.length - lines.length).toBeLessThanOrEqual(2 * 200);
  } finally {
    client.destroy();
    await proxy.stop();
  }
});
