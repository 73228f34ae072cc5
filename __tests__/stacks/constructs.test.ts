import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Testing } from 'cdktf';
import { LogBucket } from '../../stacks/log-bucket';
import { LogStream } from '../../stacks/log-stream';
import { ParserFunction } from '../../stacks/parser-function';
import { FIXTURE_BUNDLE } from './pipeline-helpers';

describe('constructs on their own', () => {
  it('LogStream takes a shard count and retention', () => {
    const json = Testing.synthScope((scope) => new LogStream(scope, 'log-stream', { shardCount: 4, retentionHours: 48 }));
    expect(json).toHaveResourceWithProperties(KinesisStream, { shard_count: 4, retention_period: 48 });
  });

  it('LogBucket keeps objects on destroy by default', () => {
    const json = Testing.synthScope((scope) => new LogBucket(scope, 'log-bucket'));
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: 'nginx-access-logs-s3', force_destroy: false });
  });

  it('ParserFunction takes memory and timeout', () => {
    const json = Testing.synthScope(
      (scope) => new ParserFunction(scope, 'parser', { bundleDir: FIXTURE_BUNDLE, memorySizeMB: 512, timeoutSeconds: 299 }),
    );
    expect(json).toHaveResourceWithProperties(LambdaFunction, { memory_size: 512, timeout: 299 });
  });

  it('fails for a parser timeout under 60 seconds', () => {
    expect(() =>
      Testing.synthScope((scope) => new ParserFunction(scope, 'parser', { bundleDir: FIXTURE_BUNDLE, timeoutSeconds: 30 })),
    ).toThrow(/parser timeoutSeconds must be a whole number 60–299 seconds .*got 30/);
  });

  it('fails for a parser timeout of 5 minutes, where Firehose gives up', () => {
    expect(() =>
      Testing.synthScope((scope) => new ParserFunction(scope, 'parser', { bundleDir: FIXTURE_BUNDLE, timeoutSeconds: 300 })),
    ).toThrow(/got 300/);
  });

  it('fails for parser memory under Lambda’s 128 MB', () => {
    expect(() =>
      Testing.synthScope((scope) => new ParserFunction(scope, 'parser', { bundleDir: FIXTURE_BUNDLE, memorySizeMB: 64 })),
    ).toThrow(/parser memorySizeMB must be a whole number 128–10240 MB/);
  });
});
