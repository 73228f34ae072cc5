import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3_LAYOUT } from '../../facts/s3-layout';
import { parseStackConfig, readStackConfig } from '../../pipeline/stack-config';
import { stackFixture } from './stack-fixture';

describe('parseStackConfig', () => {
  test('reads names, shards, prefixes and buffering hints', () => {
    const c = parseStackConfig(stackFixture({ shardCount: 2, bufferingSize: 64, bufferingInterval: 30 }));
    expect(c.region).toBe('ap-northeast-2');
    expect(c.stream).toMatchObject({ name: 'nginx-access-logs', shardCount: 2, onDemand: false, retentionHours: 24 });
    expect(c.stream.arn).toBe('arn:aws:kinesis:ap-northeast-2:000000000000:stream/nginx-access-logs');
    expect(c.bucket).toBe('nginx-access-logs-s3');
    expect(c.delivery).toMatchObject({
      name: 'nginx-logs-to-s3',
      prefix: 'nginx/',
      errorPrefix: S3_LAYOUT.errorPrefix,
      bufferingSizeMb: 64,
      bufferingIntervalSeconds: 30,
      compression: 'UNCOMPRESSED',
    });
  });

  test('reads the processor parameters and resolves the LambdaArn reference', () => {
    const c = parseStackConfig(stackFixture({ processorBufferMb: '0.5', processorIntervalSeconds: '5', retries: '2' }));
    expect(c.delivery.processor).toEqual({
      lambdaArn: 'arn:aws:lambda:ap-northeast-2:000000000000:function:nginx-access-log-parser:$LATEST',
      bufferSizeMb: 0.5,
      bufferIntervalSeconds: 5,
      numberOfRetries: 2,
    });
  });

  test("takes LOG_FORMAT from the Lambda's environment", () => {
    const c = parseStackConfig(stackFixture({ logFormat: '$remote_addr [$time_local] "$request" $status' }));
    expect(c.lambda?.name).toBe('nginx-access-log-parser');
    expect(c.lambda?.logFormat).toBe('$remote_addr [$time_local] "$request" $status');
  });

  test('no LOG_FORMAT means the parser defaults', () => {
    expect(parseStackConfig(stackFixture()).lambda?.logFormat).toBeUndefined();
  });

  test('on-demand streams have no shard count', () => {
    expect(parseStackConfig(stackFixture({ onDemand: true })).stream).toMatchObject({ onDemand: true, shardCount: undefined });
  });

  test('GZIP compression', () => {
    expect(parseStackConfig(stackFixture({ compression: 'GZIP' })).delivery.compression).toBe('GZIP');
  });

  test('no processing configuration means no processor', () => {
    expect(parseStackConfig(stackFixture({ processor: false })).delivery.processor).toBeUndefined();
  });

  test('accepts single blocks written as one-element arrays', () => {
    const json = stackFixture() as { resource: Record<string, Record<string, Record<string, unknown>>> };
    const fh = json.resource.aws_kinesis_firehose_delivery_stream!.delivery_stream_DEAD!;
    fh.extended_s3_configuration = [fh.extended_s3_configuration];
    fh.kinesis_source_configuration = [fh.kinesis_source_configuration];
    expect(parseStackConfig(json).delivery.prefix).toBe('nginx/');
  });

  test('fails without a delivery stream', () => {
    const json = stackFixture() as { resource: Record<string, unknown> };
    delete json.resource.aws_kinesis_firehose_delivery_stream;
    expect(() => parseStackConfig(json, 'x.json')).toThrow(
      'x.json: expected exactly one aws_kinesis_firehose_delivery_stream, found 0',
    );
  });

  test('fails on a provisioned stream without shards', () => {
    const json = stackFixture() as { resource: Record<string, Record<string, Record<string, unknown>>> };
    delete json.resource.aws_kinesis_stream!.stream_stream_C0FFEE!.shard_count;
    expect(() => parseStackConfig(json)).toThrow(/PROVISIONED but shard_count is undefined/);
  });

  test('fails on an unresolved buffering size', () => {
    expect(() => parseStackConfig(stackFixture({ bufferingSize: '${var.size}' as unknown as number }))).toThrow(
      /buffering_size is "\$\{var.size\}", expected a number/,
    );
  });

  test('fails on JSON that is not a stack', () => {
    expect(() => parseStackConfig([], 'x.json')).toThrow('x.json: expected a Terraform JSON object');
    expect(() => parseStackConfig({}, 'x.json')).toThrow(/no "resource" block/);
  });
});

describe('readStackConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stack-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('says to run npm run synth when the synth output is missing', () => {
    expect(() => readStackConfig({ projectDir: dir })).toThrow(/cdktf\.out\/stacks\/localstack\/cdk\.tf\.json does not exist: run `npm run synth`/);
  });

  test('reads cdktf.out/stacks/<name>/cdk.tf.json', () => {
    mkdirSync(join(dir, 'cdktf.out/stacks/aws'), { recursive: true });
    writeFileSync(join(dir, 'cdktf.out/stacks/aws/cdk.tf.json'), JSON.stringify(stackFixture({ compression: 'GZIP' })));
    const c = readStackConfig({ projectDir: dir, stack: 'aws' });
    expect(c.delivery.compression).toBe('GZIP');
    expect(c.source).toBe(join(dir, 'cdktf.out/stacks/aws/cdk.tf.json'));
  });

  test('reports invalid JSON', () => {
    mkdirSync(join(dir, 'cdktf.out/stacks/localstack'), { recursive: true });
    writeFileSync(join(dir, 'cdktf.out/stacks/localstack/cdk.tf.json'), '{');
    expect(() => readStackConfig({ projectDir: dir })).toThrow(/is not valid JSON/);
  });
});
