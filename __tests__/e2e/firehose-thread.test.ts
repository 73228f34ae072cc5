/**
 * The local Firehose's worker thread (`pipeline/firehose/thread.ts`): how it fails. Delivery through it is what
 * every `pipeline.test.ts` case runs (it is npm start's default). Needs `npm run synth` first (the worker script):
 * `npm run test:e2e` does that.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FirehoseThread, firehoseWorkerScript, type FirehoseThreadOptions } from '../../pipeline/firehose/thread';
import { readStackConfig } from '../../pipeline/stack-config';
import { bundlePath, root } from './pipeline-helpers';

let dir: string;
let options: FirehoseThreadOptions;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'e2e-firehose-thread-'));
  // Nothing listens on port 9 (discard): these cases end before the Firehose would call Kinesis.
  options = { script: firehoseWorkerScript(root), config: readStackConfig({ projectDir: root }), kinesisEndpoint: 'http://127.0.0.1:9', bundlePath };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a missing worker script says how to build it', async () => {
  await expect(FirehoseThread.open({ ...options, script: join(dir, 'nope.js') })).rejects.toThrow(/nope\.js is missing: run `npm run build` first/);
});

test('runs the embedded S3 until closed, and reports the Firehose\'s own errors to the caller', async () => {
  const { thread, s3 } = await FirehoseThread.open({ ...options, bundlePath: join(dir, 'no-parser.js') });
  expect(s3.embedded).toBe(true);
  expect(s3.endpoint).toBe(`http://127.0.0.1:${s3.port}`);
  expect((await fetch(`${s3.endpoint}/`)).status).toBeLessThan(500);
  await expect(thread.start()).rejects.toThrow(/no-parser\.js/);
  await expect(thread.stop()).resolves.toBeUndefined();
  await thread.close();
  await expect(fetch(`${s3.endpoint}/`)).rejects.toThrow();
});

test('with an S3 endpoint given, writes there and starts no S3 of its own', async () => {
  const { thread, s3 } = await FirehoseThread.open({ ...options, s3Endpoint: 'http://127.0.0.1:9' });
  expect(s3).toEqual({ endpoint: 'http://127.0.0.1:9', port: 9, embedded: false });
  await thread.close();
});

test('a thread that dies is an error, never a hang', async () => {
  const script = join(dir, 'dies.js');
  writeFileSync(script, 'process.exit(3);\n');
  await expect(FirehoseThread.open({ ...options, script })).rejects.toThrow('local Firehose thread exited (code 3) before it was closed');
});

test('a thread that throws is an error naming what it threw', async () => {
  const script = join(dir, 'throws.js');
  writeFileSync(script, "throw new Error('boom at load');\n");
  await expect(FirehoseThread.open({ ...options, script })).rejects.toThrow('local Firehose thread failed: boom at load');
});
