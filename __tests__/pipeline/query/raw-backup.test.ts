import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import { createHandler } from '../../../functions/nginx-parser/handler';
import { createParser, parseLine } from '../../../functions/nginx-parser/parse';
import { kinesisClient, s3Client } from '../../../pipeline/clients';
import { builtInLines } from '../../../pipeline/demo-log';
import { startKinesis, startS3, type Emulator, type S3Emulator } from '../../../pipeline/emulators';
import { LocalFirehose, type TransformationHandler } from '../../../pipeline/firehose/firehose';
import { keyPattern } from '../../../facts/s3-layout';
import { redrive } from '../../../pipeline/query/redrive';
import { parseStackConfig, type PipelineConfig } from '../../../pipeline/stack-config';
import { getObject, listKeys, objectText } from '../../../pipeline/verify';
import { LOCALSTACK, synthesized } from '../../stacks/pipeline-helpers';
import { createStream } from '../kinesis-helpers';

/** RAW_BACKUP=on, locally: the local Firehose writes the source records under raw/, and re-drive re-parses them. */
describe('source-record backup', () => {
  let kinesis: Emulator;
  let s3: S3Emulator;
  let client: S3Client;
  let config: PipelineConfig;
  const lines = [...builtInLines(300, 10, 9)].join('').split('\n').slice(0, -1);
  const parser = createParser();

  beforeAll(async () => {
    config = parseStackConfig(synthesized(LOCALSTACK, { rawBackup: true }).doc);
    kinesis = await startKinesis();
    s3 = await startS3({ buckets: [config.bucket] });
    client = s3Client({ endpoint: s3.endpoint, region: config.region });
    const kc = kinesisClient({ endpoint: kinesis.endpoint, region: config.region });
    await createStream(kc, config.stream.name);
    await kc.send(new PutRecordsCommand({ StreamName: config.stream.name, Records: lines.map((l, i) => ({ Data: Buffer.from(`${l}\n`), PartitionKey: String(i) })) }));
    const handler = createHandler(parser, { log: () => undefined }) as unknown as TransformationHandler;
    const fh = new LocalFirehose({ config, kinesis: kc, s3: client, handler, pollIntervalMs: 20 });
    await fh.start();
    await fh.drain();
    kc.destroy();
  }, 30_000);

  afterAll(async () => {
    client?.destroy();
    await kinesis?.stop();
    await s3?.stop();
  });

  const text = async (prefix: string): Promise<string[]> => {
    const out: string[] = [];
    for (const key of await listKeys(client, config.bucket, prefix)) out.push(objectText(await getObject(client, config.bucket, key)));
    return out;
  };

  test('keeps every record as it arrived, hostile and empty lines too, under raw/ in Firehose key layout', async () => {
    expect((await text('raw/')).join('')).toBe(lines.map((l) => `${l}\n`).join(''));
    for (const key of await listKeys(client, config.bucket, 'raw/')) expect(key).toMatch(keyPattern('raw/', config.delivery.name));
  });

  test('re-drive re-parses the backup into a new prefix, keeps the backup, and a rerun changes nothing', async () => {
    const options = {
      s3: client,
      bucket: config.bucket,
      from: 'raw/',
      to: 'nginx-v2/',
      deliveryStreamName: config.delivery.name,
      compressionFormat: config.delivery.compressionFormat,
      source: 'raw' as const,
    };
    const before = await text('raw/');
    const report = await redrive(options);
    const expected = lines.flatMap((l) => {
      const r = l.trim() === '' ? undefined : parseLine(parser, l);
      return r?.ok ? [r.json] : [];
    });
    expect(report.delivered).toBe(expected.length);
    const v2 = (await text('nginx-v2/')).join('').split('\n').filter((l) => l !== '');
    expect(v2.sort()).toEqual([...expected].sort());
    // The same lines the Firehose delivered under nginx/ the first time.
    expect((await text('nginx/')).join('').split('\n').filter((l) => l !== '').sort()).toEqual([...expected].sort());
    expect(await text('raw/')).toEqual(before);
    const keys = await listKeys(client, config.bucket, 'nginx-v2/');
    await redrive(options);
    expect(await listKeys(client, config.bucket, 'nginx-v2/')).toEqual(keys);
  });
});
