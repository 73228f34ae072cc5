import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import { Testing } from 'cdktf';
import { parseStackConfig } from '../../pipeline/stack-config';
import { AWS, blockAt, buildPipeline, LOCALSTACK, synthesized, synthPipeline } from './pipeline-helpers';

describe('RAW_BACKUP: Firehose source-record backup', () => {
  test('is off by default', () => {
    const body = blockAt(synthesized(AWS), 'delivery-stream/delivery-stream').body as { extended_s3_configuration: Record<string, unknown> };
    expect(body.extended_s3_configuration.s3_backup_mode).toBeUndefined();
    expect(body.extended_s3_configuration.s3_backup_configuration).toBeUndefined();
  });

  test('writes every raw record under raw/ of the same bucket, with the delivery buffering and compression', () => {
    expect(synthPipeline(AWS, { rawBackup: true })).toHaveResourceWithProperties(KinesisFirehoseDeliveryStream, {
      extended_s3_configuration: expect.objectContaining({
        s3_backup_mode: 'Enabled',
        s3_backup_configuration: expect.objectContaining({
          prefix: 'raw/',
          compression_format: 'GZIP',
          buffering_interval: 60,
          buffering_size: 5,
          bucket_arn: expect.stringMatching(/^\$\{aws_s3_bucket\..+\.arn\}$/),
          role_arn: expect.stringMatching(/^\$\{aws_iam_role\..+\.arn\}$/),
        }),
      }),
    });
  });

  test("the local runtime reads it from the synthesized stack", () => {
    const config = parseStackConfig(synthesized(LOCALSTACK, { rawBackup: true }).doc);
    expect(config.delivery.backup).toEqual({ prefix: 'raw/', bufferingSizeMBs: 5, bufferingIntervalSeconds: 60, compressionFormat: 'UNCOMPRESSED' });
    expect(parseStackConfig(synthesized(LOCALSTACK).doc).delivery.backup).toBeUndefined();
  });

  test('fails when the backup prefix is the data prefix', () => {
    expect(() => Testing.synth(buildPipeline(AWS, { rawBackup: true, prefix: 'raw/' }))).toThrow(
      /rawBackupPrefix must differ from prefix and errorOutputPrefix, got "raw\/"/,
    );
  });
});
