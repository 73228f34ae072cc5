import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { createHandler } from '../../functions/nginx-parser/handler';
import { createParser, parseLine } from '../../functions/nginx-parser/parse';
import { kinesisClient, s3Client } from '../../pipeline/clients';
import { startKinesis, startS3, type Emulator, type S3Emulator } from '../../pipeline/emulators';
import { LocalFirehose, type TransformationHandler } from '../../pipeline/firehose/firehose';
import { builtInLines } from '../../pipeline/demo-log';
import { keyPattern, listingPrefix } from '../../facts/s3-layout';
import { parseErrorRecord, redrive, type RedriveOptions } from '../../pipeline/query/redrive';
import { parseStackConfig, type PipelineConfig } from '../../pipeline/stack-config';
import { getObject, listKeys, objectText } from '../../pipeline/verify';
import { physicalNames } from '../../facts/names';
import { createStream } from '../pipeline/kinesis-helpers';
import { AWS, LOCALSTACK, synthesized } from '../stacks/pipeline-helpers';

const ROOT = resolve(__dirname, '..', '..');
/** A format none of the demo lines fit: every line goes to the error prefix. */
const WRONG_FORMAT = 'time=$time_iso8601 addr=$remote_addr "$request"';

/**
 * The stacks the CLI reads, synthesized in-process: the localstack stack (uncompressed) and the aws stack (GZIP), the
 * latter with a bucket name given, as `npm run redrive -- --stack aws` needs one known before apply.
 */
const TARGETS = [
  { stack: 'localstack', target: LOCALSTACK, overrides: {}, compression: 'UNCOMPRESSED' },
  { stack: 'aws', target: AWS, overrides: { bucketName: physicalNames().bucket }, compression: 'GZIP' },
] as const;

/**
 * Re-drive end to end: lines shipped to the embedded Kinesis, the local Firehose with a wrong LOG_FORMAT (every line
 * to the error prefix), then `npm run redrive`'s CLI with the right one, killed half-way and run again.
 */
describe.each(TARGETS)('re-drive ($stack stack, $compression)', ({ stack, target, overrides, compression }) => {
  const stackJson = synthesized(target, overrides).doc;
  let kinesis: Emulator;
  let s3: S3Emulator;
  let client: S3Client;
  let config: PipelineConfig;
  const lines = [...builtInLines(1500, 5, 3)].join('').split('\n').slice(0, -1);
  const good = createParser(parseStackConfig(stackJson).lambda?.logFormat);
  /** What each line becomes with the right format, or undefined when it still fails (or is empty: dropped). */
  const expected = lines.map((l) => {
    if (l.trim() === '') return undefined;
    const r = parseLine(good, l);
    return r.ok ? r.json : undefined;
  });
  const expectedOk = expected.filter((j): j is string => j !== undefined).sort();
  const stillFailing = lines.filter((l, i) => l.trim() !== '' && expected[i] === undefined).sort();

  beforeAll(async () => {
    kinesis = await startKinesis();
    // Small buffers (below what the stack may set): many error objects, so the crash below lands between two of them.
    const synthesizedConfig = parseStackConfig(stackJson);
    const { delivery } = synthesizedConfig;
    config = {
      ...synthesizedConfig,
      delivery: { ...delivery, bufferingSizeMBs: 0.02, processor: delivery.processor && { ...delivery.processor, bufferSizeMBs: 0.2 } },
    };
    s3 = await startS3({ buckets: [config.bucket] });
    client = s3Client({ endpoint: s3.endpoint, region: 'us-east-1' });
    const kc = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1' });
    await createStream(kc, config.stream.name);
    for (let i = 0; i < lines.length; i += 500) {
      const batch = lines.slice(i, i + 500).map((l, j) => ({ Data: Buffer.from(`${l}\n`), PartitionKey: String(i + j) }));
      await kc.send(new PutRecordsCommand({ StreamName: config.stream.name, Records: batch }));
    }
    const wrong = createHandler(createParser(WRONG_FORMAT), { log: () => undefined }) as unknown as TransformationHandler;
    const fh = new LocalFirehose({ config, kinesis: kc, s3: client, handler: wrong, pollIntervalMs: 20 });
    await fh.start();
    await fh.drain();
    kc.destroy();
  }, 60_000);

  afterAll(async () => {
    client?.destroy();
    await kinesis?.stop();
    await s3?.stop();
  });

  const options = (): RedriveOptions => ({
    s3: client,
    bucket: config.bucket,
    from: config.delivery.errorOutputPrefix,
    to: config.delivery.prefix,
    deliveryStreamName: config.delivery.name,
    compressionFormat: config.delivery.compressionFormat,
  });
  const linesUnder = async (prefix: string): Promise<string[]> => {
    const out: string[] = [];
    for (const key of await listKeys(client, config.bucket, prefix)) {
      out.push(...objectText(await getObject(client, config.bucket, key)).split('\n').filter((l) => l !== ''));
    }
    return out.sort();
  };
  const snapshot = async (): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const key of await listKeys(client, config.bucket, '')) out[key] = (await getObject(client, config.bucket, key)).toString('base64');
    return out;
  };

  test('the wrong format sent every line to the error prefix', async () => {
    expect(config.delivery.compressionFormat).toBe(compression);
    expect(await listKeys(client, config.bucket, config.delivery.prefix)).toEqual([]);
    const errors = await linesUnder(listingPrefix(config.delivery.errorOutputPrefix));
    expect(errors.length).toBe(lines.filter((l) => l.trim() !== '').length);
    expect((await listKeys(client, config.bucket, listingPrefix(config.delivery.errorOutputPrefix))).length).toBeGreaterThan(5);
  });

  test('a crash mid-run (SIGKILL) and a rerun lose and duplicate nothing; a second run changes nothing', async () => {
    const errorObjects = (await listKeys(client, config.bucket, listingPrefix(config.delivery.errorOutputPrefix))).length;
    // The CLI as `npm run redrive` runs it, in a project folder of its own holding the fixture stack.
    const dir = join(ROOT, '.tmp', `redrive-test-${process.pid}-${compression}`);
    const outdir = join(dir, 'cdktf.out');
    const stackDir = join(outdir, 'stacks', stack);
    mkdirSync(stackDir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{}');
    writeFileSync(join(dir, 'cdktf.json'), '{}');
    writeFileSync(join(stackDir, 'cdk.tf.json'), JSON.stringify(stackJson));
    const cli = join(dir, 'dist', 'app', 'bin', 'redrive.js');
    buildSync({ entryPoints: [join(ROOT, 'bin', 'redrive.ts')], outfile: cli, bundle: true, packages: 'external', platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
    const env = { ...process.env, AWS_REGION: 'us-east-1', CDKTF_OUTDIR: outdir };
    const args = [cli, '--endpoint', s3.endpoint, '--stack', stack];
    try {
      // First run: killed once a few error objects are done.
      const killedAfter = Math.max(2, Math.floor(errorObjects / 3));
      const first = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let done = 0;
      let killed = false;
      first.stderr.on('data', (chunk: Buffer) => {
        done += (chunk.toString().match(/^(redriven|partial)/gm) ?? []).length;
        if (done >= killedAfter && !killed) {
          killed = true;
          first.kill('SIGKILL');
        }
      });
      const [code, signal] = (await new Promise((r) => first.once('close', (c, s) => r([c, s])))) as [number | null, string | null];
      expect(signal).toBe('SIGKILL');
      expect(code).toBeNull();
      // Killed half-way: some lines delivered, the rest still under errors/.
      const between = await linesUnder(config.delivery.prefix);
      expect(between.length).toBeGreaterThan(0);
      expect(between.length).toBeLessThan(expectedOk.length);

      const rerun = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      rerun.stdout.on('data', (c: Buffer) => (out += c.toString()));
      expect(await new Promise((r) => rerun.once('close', r))).toBe(0);
      expect(JSON.parse(out)).toMatchObject({ refused: 0, stillFailing: stillFailing.length });

      expect(await linesUnder(config.delivery.prefix)).toEqual(expectedOk);
      const left = await linesUnder(listingPrefix(config.delivery.errorOutputPrefix));
      expect(left.map((l) => (parseErrorRecord(l) as { rawData: Buffer }).rawData.toString().replace(/\n$/, '')).sort()).toEqual(stillFailing);
      const pattern = keyPattern(config.delivery.prefix, config.delivery.name);
      for (const key of await listKeys(client, config.bucket, config.delivery.prefix)) expect(key).toMatch(pattern);

      const before = await snapshot();
      const again = await redrive(options());
      expect(again.delivered).toBe(0);
      expect(await snapshot()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test('an object under the error prefix that is not error records is refused with its key and left as it is', async () => {
    const key = `${listingPrefix(config.delivery.errorOutputPrefix)}processing-failed/2026/01/01/00/stray-object`;
    await client.send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: '{"host":"1.2.3.4"}\n' }));
    const report = await redrive(options());
    expect(report.refused).toBe(1);
    expect(report.objects.find((o) => o.key === key)).toMatchObject({ result: 'refused', reason: expect.stringMatching(/line 1 is not a Firehose error record/) });
    expect((await getObject(client, config.bucket, key)).toString()).toBe('{"host":"1.2.3.4"}\n');
  });
});
