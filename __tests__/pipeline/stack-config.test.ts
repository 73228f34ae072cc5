import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FIREHOSE_API_DEFAULTS } from '../../facts/aws-defaults';
import { EMULATOR_ACCOUNT_ID } from '../../facts/emulator';
import { DEFAULT_NAMES, physicalNames } from '../../facts/names';
import { NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { parseStackConfig, readStackConfig, stackJsonPath } from '../../pipeline/stack-config';
import { DELIVERY_DEFAULTS, STREAM_DEFAULTS } from '../../stacks/defaults';
import { AWS, LOCALSTACK, synthesized, type TerraformJson } from '../stacks/pipeline-helpers';

/**
 * The local runtime's reader fed the stack as the synth writes it: the stack classes synthesized in-process, so a
 * change on either side of the synth ↔ local contract fails here, not only end to end.
 */
type Overrides = Parameters<typeof synthesized>[1];

/** A stack with every setting the reader takes changed from its default (one synth, shared by the tests). */
const CUSTOM = {
  namePrefix: 'web-logs',
  region: 'eu-west-1',
  shardCount: 2,
  bufferingSizeMBs: 64,
  bufferingIntervalSeconds: 30,
  processorBufferSizeMBs: 0.5,
  prefix: 'web/',
  logFormat: '$remote_addr [$time_local] "$request" $status',
} as const;

/** A private copy of the synthesized localstack stack (the synth is memoized and shared). */
function stackJson(overrides: Overrides = {}, target = LOCALSTACK): TerraformJson {
  return structuredClone(synthesized(target, overrides).doc);
}

/** The body of the only resource of a type in a synthesized stack. */
function only(json: TerraformJson, type: string): Record<string, unknown> {
  const bodies = Object.values(json.resource[type] ?? {});
  if (bodies.length !== 1) throw new Error(`expected one ${type}, found ${bodies.length}`);
  return bodies[0]!;
}

describe('parseStackConfig on the synthesized stack', () => {
  test('reads the names, capacity, prefixes, buffering and processor the stack defines', () => {
    const names = physicalNames();
    const region = DEFAULT_NAMES.region;
    const c = parseStackConfig(stackJson());
    expect(c.region).toBe(region);
    expect(c.stream).toEqual({
      name: names.stream,
      arn: `arn:aws:kinesis:${region}:${EMULATOR_ACCOUNT_ID}:stream/${names.stream}`,
      shardCount: STREAM_DEFAULTS.shardCount,
      onDemand: false,
      retentionHours: STREAM_DEFAULTS.retentionHours,
    });
    expect(c.bucket).toBe(names.bucket);
    expect(c.delivery).toEqual({
      name: names.deliveryStream,
      arn: `arn:aws:firehose:${region}:${EMULATOR_ACCOUNT_ID}:deliverystream/${names.deliveryStream}`,
      prefix: DELIVERY_DEFAULTS.prefix,
      errorOutputPrefix: DELIVERY_DEFAULTS.errorOutputPrefix,
      bufferingSizeMBs: DELIVERY_DEFAULTS.bufferingSizeMBs,
      bufferingIntervalSeconds: DELIVERY_DEFAULTS.bufferingIntervalSeconds,
      compressionFormat: 'UNCOMPRESSED',
      fileExtension: undefined,
      processor: {
        lambdaArn: `arn:aws:lambda:${region}:${EMULATOR_ACCOUNT_ID}:function:${names.parserFunction}`,
        bufferSizeMBs: DELIVERY_DEFAULTS.processorBufferSizeMBs,
        bufferIntervalSeconds: DELIVERY_DEFAULTS.processorBufferIntervalSeconds,
        retries: DELIVERY_DEFAULTS.processorRetries,
      },
    });
    expect(c.lambda).toMatchObject({
      name: names.parserFunction,
      arn: `arn:aws:lambda:${region}:${EMULATOR_ACCOUNT_ID}:function:${names.parserFunction}`,
      logFormat: NGINX_MAIN_FORMAT,
    });
  });

  test("follows the stack's settings: prefix, region, shards, buffering, processor buffer, log format", () => {
    const c = parseStackConfig(stackJson(CUSTOM));
    const names = physicalNames(CUSTOM.namePrefix);
    expect(c.region).toBe(CUSTOM.region);
    expect(c.stream).toMatchObject({ name: names.stream, shardCount: 2 });
    expect(c.bucket).toBe(names.bucket);
    expect(c.delivery).toMatchObject({ name: names.deliveryStream, prefix: 'web/', bufferingSizeMBs: 64, bufferingIntervalSeconds: 30 });
    expect(c.delivery.processor).toMatchObject({ lambdaArn: expect.stringMatching(new RegExp(`:function:${names.parserFunction}$`)), bufferSizeMBs: 0.5 });
    expect(c.lambda).toMatchObject({ name: names.parserFunction, logFormat: CUSTOM.logFormat });
  });

  test("takes Firehose's defaults for the processor parameters the stack leaves out", () => {
    const processors = (only(stackJson(), 'aws_kinesis_firehose_delivery_stream').extended_s3_configuration as {
      processing_configuration: { processors: Array<{ parameters: Array<{ parameter_name: string }> }> };
    }).processing_configuration.processors;
    // The stack writes only LambdaArn when every setting equals Firehose's default (the provider's advice).
    expect(processors[0]!.parameters.map((p) => p.parameter_name)).toEqual(['LambdaArn']);
    expect(parseStackConfig(stackJson()).delivery.processor).toMatchObject({
      bufferSizeMBs: FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs,
      bufferIntervalSeconds: FIREHOSE_API_DEFAULTS.processor.BufferIntervalInSeconds,
      retries: FIREHOSE_API_DEFAULTS.processor.NumberOfRetries,
    });
  });

  test('on-demand streams have no shard count', () => {
    expect(parseStackConfig(stackJson({ capacityMode: 'on-demand', shardCount: undefined })).stream).toMatchObject({
      onDemand: true,
      shardCount: undefined,
    });
  });

  test('reads the aws stack: GZIP compression', () => {
    expect(parseStackConfig(stackJson({}, AWS)).delivery.compressionFormat).toBe('GZIP');
  });

  test('no processing configuration means no processor', () => {
    const json = stackJson();
    delete (only(json, 'aws_kinesis_firehose_delivery_stream').extended_s3_configuration as Record<string, unknown>).processing_configuration;
    expect(parseStackConfig(json).delivery.processor).toBeUndefined();
  });

  test('accepts single blocks written as one-element arrays', () => {
    const json = stackJson();
    const fh = only(json, 'aws_kinesis_firehose_delivery_stream');
    fh.extended_s3_configuration = [fh.extended_s3_configuration];
    fh.kinesis_source_configuration = [fh.kinesis_source_configuration];
    expect(parseStackConfig(json).delivery.prefix).toBe(DELIVERY_DEFAULTS.prefix);
  });

  test('fails without a delivery stream', () => {
    const json = stackJson() as { resource: Record<string, unknown> };
    delete json.resource.aws_kinesis_firehose_delivery_stream;
    expect(() => parseStackConfig(json, 'x.json')).toThrow('x.json: expected exactly one aws_kinesis_firehose_delivery_stream, found 0');
  });

  test('fails on a provisioned stream without shards', () => {
    const json = stackJson();
    delete only(json, 'aws_kinesis_stream').shard_count;
    expect(() => parseStackConfig(json)).toThrow(/PROVISIONED but shard_count is undefined/);
  });

  test('fails on an unresolved buffering size', () => {
    const json = stackJson();
    (only(json, 'aws_kinesis_firehose_delivery_stream').extended_s3_configuration as Record<string, unknown>).buffering_size = '${var.size}';
    expect(() => parseStackConfig(json)).toThrow(/buffering_size is "\$\{var.size\}", expected a number/);
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

  const write = (outdir: string, stack: string, text: string): void => {
    mkdirSync(join(dir, outdir, 'stacks', stack), { recursive: true });
    writeFileSync(join(dir, outdir, 'stacks', stack, 'cdk.tf.json'), text);
  };

  test('says to run npm run synth when the synth output is missing', () => {
    expect(() => readStackConfig({ projectDir: dir, env: {} })).toThrow(
      /cdktf\.out\/stacks\/localstack\/cdk\.tf\.json does not exist: run `npm run synth`/,
    );
  });

  test('reads cdktf.out/stacks/<name>/cdk.tf.json', () => {
    write('cdktf.out', 'aws', JSON.stringify(stackJson({}, AWS)));
    const c = readStackConfig({ projectDir: dir, stack: 'aws', env: {} });
    expect(c.delivery.compressionFormat).toBe('GZIP');
    expect(c.source).toBe(join(dir, 'cdktf.out/stacks/aws/cdk.tf.json'));
  });

  test('reads the folder CDKTF_OUTDIR names, relative to the project or absolute, as the synth writes it', () => {
    write('elsewhere', 'localstack', JSON.stringify(stackJson(CUSTOM)));
    write('cdktf.out', 'localstack', JSON.stringify(stackJson()));
    expect(readStackConfig({ projectDir: dir, env: { CDKTF_OUTDIR: 'elsewhere' } }).stream.name).toBe(CUSTOM.namePrefix);
    expect(readStackConfig({ projectDir: dir, env: { CDKTF_OUTDIR: join(dir, 'elsewhere') } }).stream.name).toBe(CUSTOM.namePrefix);
    expect(readStackConfig({ projectDir: dir, env: {} }).stream.name).toBe(DEFAULT_NAMES.prefix);
    expect(stackJsonPath({ projectDir: dir, env: { CDKTF_OUTDIR: 'out' } })).toBe(join(dir, 'out/stacks/localstack/cdk.tf.json'));
    expect(() => readStackConfig({ projectDir: dir, env: { CDKTF_OUTDIR: 'missing' } })).toThrow(
      /missing\/stacks\/localstack\/cdk\.tf\.json does not exist: run `npm run synth` first \(it writes CDKTF_OUTDIR\/stacks/,
    );
  });

  test('reports invalid JSON', () => {
    write('cdktf.out', 'localstack', '{');
    expect(() => readStackConfig({ projectDir: dir, env: {} })).toThrow(/is not valid JSON/);
  });
});
