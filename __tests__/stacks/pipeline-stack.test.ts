import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { NGINX_COMBINED_FORMAT, NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { INGRESS_NGINX_FORMAT } from '../../functions/nginx-parser/presets';
import { createHash } from 'node:crypto';
import { zipDirectory } from '../../stacks/bundle-archive';
import { processorParameters as buildProcessorParameters } from '../../stacks/delivery-stream';
import { parseStackConfig } from '../../pipeline/stack-config';
import { ERROR_LAYOUT_FIXTURE, fixtureErrorKey } from '../facts/error-layout-fixture';
import { AWS, blockAt, buildPipeline, FIXTURE_BUNDLE, LOCALSTACK, ref, statements, synthesized, synthPipeline } from './pipeline-helpers';

const local = () => synthesized(LOCALSTACK);
const processorParameters = (synth: ReturnType<typeof synthesized>) => {
  const { body } = blockAt(synth, 'delivery-stream/delivery-stream');
  const config = body.extended_s3_configuration as {
    processing_configuration: { processors: Array<{ parameters: Array<{ parameter_name: string; parameter_value: string }> }> };
  };
  const [processor] = config.processing_configuration.processors;
  return Object.fromEntries(processor!.parameters.map((p) => [p.parameter_name, p.parameter_value]));
};

describe('log stream', () => {
  it('is the original stream with one provisioned shard and 24 h retention', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(KinesisStream, {
      name: 'nginx-access-logs',
      shard_count: 1,
      retention_period: 24,
      stream_mode_details: { stream_mode: 'PROVISIONED' },
    });
  });

  it('can be on-demand, with no shard count', () => {
    const { body } = blockAt(synthesized(LOCALSTACK, { capacityMode: 'on-demand' }), 'log-stream/stream');
    expect(body.stream_mode_details).toEqual({ stream_mode: 'ON_DEMAND' });
    expect(body.shard_count).toBeUndefined();
  });
});

describe('log bucket', () => {
  it('keeps the original name on LocalStack and lets terraform destroy empty it', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(S3Bucket, {
      bucket: 'nginx-access-logs-s3',
      force_destroy: true,
    });
  });

  it('is suffixed with the account id and region on AWS, so a fresh account does not collide', () => {
    const doc = synthesized(AWS);
    const { body } = blockAt(doc, 'log-bucket/bucket');
    expect(body.bucket).toBe('nginx-access-logs-s3-${data.aws_caller_identity.account.account_id}-ap-northeast-2');
    expect(body.force_destroy).toBe(false);
  });

  it('takes an explicit name on either target', () => {
    expect(synthPipeline(AWS, { bucketName: 'my-nginx-logs' })).toHaveResourceWithProperties(S3Bucket, {
      bucket: 'my-nginx-logs',
    });
  });
});

describe('parser function', () => {
  it('runs the bundle on nodejs22.x arm64 with index.handler, explicit memory and a timeout of 60 s to 5 min', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(LambdaFunction, {
      function_name: 'nginx-access-logs-parser',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      architectures: ['arm64'],
      memory_size: 256,
      timeout: 120,
    });
  });

  it('gets the log format as LOG_FORMAT, nginx main by default', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(LambdaFunction, {
      environment: { variables: { LOG_FORMAT: NGINX_MAIN_FORMAT } },
    });
    expect(synthPipeline(LOCALSTACK, { logFormat: NGINX_COMBINED_FORMAT })).toHaveResourceWithProperties(LambdaFunction, {
      environment: { variables: { LOG_FORMAT: NGINX_COMBINED_FORMAT } },
    });
  });

  it('resolves a preset name into the format string the function gets as LOG_FORMAT', () => {
    expect(synthPipeline(LOCALSTACK, { logFormat: 'ingress-nginx' })).toHaveResourceWithProperties(LambdaFunction, {
      environment: { variables: { LOG_FORMAT: INGRESS_NGINX_FORMAT } },
    });
  });

  it("escapes what Terraform would interpolate in LOG_FORMAT, and the local runtime reads the user's text back", () => {
    const format = `\${remote_addr} - $remote_user [$time_local] "$request" $status \${body_bytes_sent}b "%{x}" '\\"'`;
    const synth = synthesized(LOCALSTACK, { logFormat: format });
    const { body } = blockAt(synth, 'parser-function/function');
    const written = (body.environment as { variables: { LOG_FORMAT: string } }).variables.LOG_FORMAT;
    expect(written).toBe(`$\${remote_addr} - $remote_user [$time_local] "$request" $status $\${body_bytes_sent}b "%%{x}" '\\"'`);
    expect(parseStackConfig(synth.doc).lambda?.logFormat).toBe(format);
  });

  it('deploys a reproducible zip of the bundle directory, hashed for Lambda', () => {
    const { body } = blockAt(local(), 'parser-function/function');
    const zip = zipDirectory(FIXTURE_BUNDLE);
    const sha256 = createHash('sha256').update(zip).digest();
    const md5 = createHash('md5').update(zip).digest('hex').toUpperCase();
    expect(body.filename).toMatch(new RegExp(`^assets/parser-function_bundle_[0-9A-F]+/${md5}/${sha256.toString('hex')}\\.zip$`));
    expect(body.source_code_hash).toBe(sha256.toString('base64'));
  });

  it('has a log group with retention, created before the function', () => {
    const doc = local();
    const group = blockAt(doc, 'parser-function/log-group');
    expect(group.body).toMatchObject({ name: '/aws/lambda/nginx-access-logs-parser', retention_in_days: 14 });
    const fn = blockAt(doc, 'parser-function/function');
    expect(fn.body.depends_on).toContain(group.address);
  });

  it("may only write its own log group", () => {
    const doc = local();
    const group = blockAt(doc, 'parser-function/log-group');
    expect(statements(doc, 'parser-function/write-own-logs')).toEqual([
      {
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${ref(group.address, 'arn')}:*`],
      },
    ]);
    expect(statements(doc, 'parser-function/assume-role')[0]!.principals).toEqual([
      { type: 'Service', identifiers: ['lambda.amazonaws.com'] },
    ]);
  });
});

describe('delivery stream', () => {
  it('reads the log stream and writes the log bucket through extended S3', () => {
    const doc = local();
    const stream = blockAt(doc, 'log-stream/stream');
    const bucket = blockAt(doc, 'log-bucket/bucket');
    const { body } = blockAt(doc, 'delivery-stream/delivery-stream');
    expect(body.destination).toBe('extended_s3');
    expect(body.kinesis_source_configuration).toMatchObject({ kinesis_stream_arn: ref(stream.address, 'arn') });
    expect(body.extended_s3_configuration).toMatchObject({ bucket_arn: ref(bucket.address, 'arn') });
  });

  it('writes under a static nginx/ (Firehose adds YYYY/MM/dd/HH/) and an explicit error layout apart', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(KinesisFirehoseDeliveryStream, {
      name: 'nginx-access-logs-to-s3',
      extended_s3_configuration: expect.objectContaining({
        prefix: 'nginx/',
        error_output_prefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
        compression_format: 'UNCOMPRESSED',
      }),
    });
  });

  it("deploys the error prefix whose keys are the fixture's, on both targets", () => {
    const F = ERROR_LAYOUT_FIXTURE;
    for (const target of [AWS, LOCALSTACK]) {
      const { body } = blockAt(synthesized(target), 'delivery-stream/delivery-stream');
      const s3 = body.extended_s3_configuration as { error_output_prefix: string };
      expect(fixtureErrorKey(s3.error_output_prefix)).toBe(F.key);
    }
  });

  it('buffers 60 s or 5 MB before writing to S3', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(KinesisFirehoseDeliveryStream, {
      extended_s3_configuration: expect.objectContaining({ buffering_interval: 60, buffering_size: 5 }),
    });
  });

  it('calls the parser with its function ARN and leaves Firehose-default processor parameters out', () => {
    const fn = blockAt(local(), 'parser-function/function');
    expect(processorParameters(synthesized(LOCALSTACK))).toEqual({ LambdaArn: ref(fn.address, 'arn') });
  });

  it('writes a configured processor buffer that differs from the Firehose default', () => {
    expect(processorParameters(synthesized(LOCALSTACK, { processorBufferSizeMBs: 0.5 }))).toMatchObject({
      BufferSizeInMBs: '0.5',
    });
  });

  it('writes every processor setting that differs from its Firehose default, and only those', () => {
    expect(
      buildProcessorParameters('arn:fn', { NumberOfRetries: 5, BufferSizeInMBs: 1, BufferIntervalInSeconds: 30 }),
    ).toEqual([
      { parameterName: 'LambdaArn', parameterValue: 'arn:fn' },
      { parameterName: 'NumberOfRetries', parameterValue: '5' },
      { parameterName: 'BufferIntervalInSeconds', parameterValue: '30' },
    ]);
  });

  it('logs delivery errors to its own log group with retention', () => {
    const doc = local();
    const group = blockAt(doc, 'delivery-stream/error-log-group');
    const stream = blockAt(doc, 'delivery-stream/error-log-stream');
    expect(group.body).toMatchObject({ name: '/aws/kinesisfirehose/nginx-access-logs-to-s3', retention_in_days: 14 });
    const { body } = blockAt(doc, 'delivery-stream/delivery-stream');
    expect(body.extended_s3_configuration).toMatchObject({
      cloudwatch_logging_options: {
        enabled: true,
        log_group_name: ref(group.address, 'name'),
        log_stream_name: ref(stream.address, 'name'),
      },
    });
  });

  it('has a role that may read that stream, write that bucket, invoke that function and log, nothing else', () => {
    const doc = local();
    const stream = blockAt(doc, 'log-stream/stream').address;
    const bucket = blockAt(doc, 'log-bucket/bucket').address;
    const fn = blockAt(doc, 'parser-function/function').address;
    const logStream = blockAt(doc, 'delivery-stream/error-log-stream').address;
    const scope = Object.fromEntries(statements(doc, 'delivery-stream/access').map((s) => [s.sid, s.resources]));
    expect(scope).toEqual({
      ReadLogStream: [ref(stream, 'arn')],
      WriteLogBucket: [ref(bucket, 'arn'), `${ref(bucket, 'arn')}/*`],
      // The versions and aliases too, so a console edit of the processor ARN (":$LATEST", ":1") keeps delivering.
      InvokeParser: [ref(fn, 'arn'), `${ref(fn, 'arn')}:*`],
      LogDeliveryErrors: [ref(logStream, 'arn')],
    });
  });

  it('may be assumed only by Firehose acting for this account (the external id Firehose passes)', () => {
    const doc = local();
    const [trust] = statements(doc, 'delivery-stream/assume-role');
    const account = blockAt(doc, 'delivery-stream/account').address;
    expect(trust).toMatchObject({
      principals: [{ type: 'Service', identifiers: ['firehose.amazonaws.com'] }],
      condition: [{ test: 'StringEquals', variable: 'sts:ExternalId', values: [ref(account, 'account_id')] }],
    });
  });

  it('uses a customer-managed bucket key only via S3 in its region and only for this bucket', () => {
    const key = 'arn:aws:kms:ap-northeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const synth = synthesized(AWS, { bucketKmsKeyArn: key });
    const bucket = blockAt(synth, 'log-bucket/bucket').address;
    const region = blockAt(synth, 'log-bucket/region').address;
    const kms = statements(synth, 'delivery-stream/access').find((s) => s.sid === 'EncryptWithBucketKey');
    expect(kms).toEqual({
      sid: 'EncryptWithBucketKey',
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key],
      condition: [
        { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${ref(region, 'name')}.amazonaws.com`] },
        { test: 'StringEquals', variable: 'kms:EncryptionContext:aws:s3:arn', values: [ref(bucket, 'arn')] },
      ],
    });
    expect(statements(local(), 'delivery-stream/access').some((s) => s.sid === 'EncryptWithBucketKey')).toBe(false);
  });

  it('fails for a bucket key that is not a key ARN', () => {
    expect(() => buildPipeline(AWS, { bucketKmsKeyArn: 'alias/logs' })).toThrow(
      /bucket kmsKeyArn must be a KMS key ARN .* got "alias\/logs" \(set BUCKET_KMS_KEY_ARN\)/,
    );
  });

  it('is created after its role policy, which Firehose checks at creation', () => {
    const doc = local();
    const policy = blockAt(doc, 'delivery-stream/role-policy');
    const { body } = blockAt(doc, 'delivery-stream/delivery-stream');
    expect(body.depends_on).toEqual([policy.address]);
  });
});

describe('agent access', () => {
  it('holds exactly the calls the Kinesis Agent makes: PutRecords on the log stream and PutMetricData', () => {
    const doc = local();
    const stream = blockAt(doc, 'log-stream/stream').address;
    const policy = statements(doc, 'agent-access/document');
    expect(policy.flatMap((s) => s.actions).sort()).toEqual(['cloudwatch:PutMetricData', 'kinesis:PutRecords']);
    expect(policy.find((s) => s.actions.includes('kinesis:PutRecords'))).toEqual({
      sid: 'WriteLogStream',
      actions: ['kinesis:PutRecords'],
      resources: [ref(stream, 'arn')],
    });
  });

  it('may put metrics only into the AWSKinesisAgent namespace', () => {
    const metrics = statements(local(), 'agent-access/document').find((s) => s.sid === 'PutAgentMetrics');
    expect(metrics).toEqual({
      sid: 'PutAgentMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      condition: [{ test: 'StringEquals', variable: 'cloudwatch:namespace', values: ['AWSKinesisAgent'] }],
    });
  });

  it('is an EC2 role with an instance profile carrying the policy', () => {
    const doc = local();
    const role = blockAt(doc, 'agent-access/role');
    const policy = blockAt(doc, 'agent-access/policy');
    expect(statements(doc, 'agent-access/assume-role')[0]!.principals).toEqual([
      { type: 'Service', identifiers: ['ec2.amazonaws.com'] },
    ]);
    expect(blockAt(doc, 'agent-access/role-policy').body).toMatchObject({
      role: ref(role.address, 'name'),
      policy_arn: ref(policy.address, 'arn'),
    });
    expect(synthPipeline(LOCALSTACK)).toHaveResourceWithProperties(IamInstanceProfile, {
      name: 'nginx-access-logs-agent-ap-northeast-2',
      role: ref(role.address, 'name'),
    });
  });
});

describe('agent config output', () => {
  const agentJson = (synth: ReturnType<typeof synthesized>) =>
    JSON.parse(synth.doc.output.agent_json!.value as string) as Record<string, unknown>;

  it('points the agent at LocalStack with dummy keys and metrics off', () => {
    expect(agentJson(synthesized(LOCALSTACK))).toMatchObject({
      'kinesis.endpoint': 'http://localhost:4566',
      'cloudwatch.emitMetrics': false,
      awsAccessKeyId: 'test',
      flows: [{ filePattern: '/var/log/nginx/access.log*', kinesisStream: 'nginx-access-logs', maxBufferAgeMillis: 1000 }],
    });
  });

  it('points the agent at the regional endpoints on AWS, with metrics and no keys', () => {
    const config = agentJson(synthesized(AWS));
    expect(config).toMatchObject({
      'kinesis.endpoint': 'kinesis.ap-northeast-2.amazonaws.com',
      'cloudwatch.endpoint': 'monitoring.ap-northeast-2.amazonaws.com',
      'cloudwatch.emitMetrics': true,
      flows: [{ kinesisStream: 'nginx-access-logs', maxBufferAgeMillis: 60000 }],
    });
    expect(config).not.toHaveProperty('awsAccessKeyId');
  });
});

describe('names', () => {
  it('fit AWS limits at the longest prefix and region, with the region in every account-wide name', () => {
    const prefix = `n${'-x'.repeat(15)}9`;
    const region = 'ap-southeast-5';
    const { doc } = synthesized(AWS, { namePrefix: prefix, region, webHost: true });
    const named = (type: string, key = 'name') =>
      Object.values(doc.resource[type] ?? {}).map((r) => r[key] as string);
    const iam = [...named('aws_iam_role'), ...named('aws_iam_policy'), ...named('aws_iam_instance_profile')];
    expect(iam).toHaveLength(5);
    for (const name of named('aws_iam_role')) expect(name.length).toBeLessThanOrEqual(64);
    for (const name of [...iam, ...named('aws_cloudwatch_dashboard', 'dashboard_name')]) expect(name).toMatch(/-ap-southeast-5$/);
    // The AWS bucket default is <prefix>-s3-<12-digit account>-<region>: at most S3's 63 characters.
    expect(`${prefix}-s3-123456789012-${region}`.length).toBeLessThanOrEqual(63);
  });

  it('derive from one prefix', () => {
    const json = synthPipeline(LOCALSTACK, { namePrefix: 'web-logs' });
    expect(json).toHaveResourceWithProperties(KinesisStream, { name: 'web-logs' });
    expect(json).toHaveResourceWithProperties(S3Bucket, { bucket: 'web-logs-s3' });
    expect(json).toHaveResourceWithProperties(LambdaFunction, { function_name: 'web-logs-parser' });
    expect(json).toHaveResourceWithProperties(KinesisFirehoseDeliveryStream, { name: 'web-logs-to-s3' });
    expect(json).toHaveResourceWithProperties(CloudwatchLogGroup, { name: '/aws/lambda/web-logs-parser' });
  });
});

describe('dashboard', () => {
  it('is named with the region (dashboards are account-wide) and its URL is an output', () => {
    const synth = synthesized(AWS);
    const dashboard = blockAt(synth, 'dashboard/dashboard');
    expect(dashboard.body.dashboard_name).toBe('nginx-access-logs-ap-northeast-2');
    expect(synth.doc.output.dashboard_url!.value).toBe(
      `https://ap-northeast-2.console.aws.amazon.com/cloudwatch/home?region=ap-northeast-2#dashboards/dashboard/${ref(dashboard.address, 'dashboard_name')}`,
    );
  });
});

describe('provider and state', () => {
  it('pins hashicorp/aws 5.100.0, the version of the offline mirror', () => {
    expect(local().doc.terraform.required_providers).toEqual({ aws: { source: 'aws', version: '5.100.0' } });
  });

  it('keeps state beside the output folder per stack and region, with a path that is the same on every machine', () => {
    expect(local().doc.terraform.backend).toEqual({
      local: { path: '../../../terraform.localstack.ap-northeast-2.tfstate' },
    });
    expect(synthesized(LOCALSTACK, { region: 'eu-west-1' }).doc.terraform.backend).toEqual({
      local: { path: '../../../terraform.localstack.eu-west-1.tfstate' },
    });
  });

  it('keeps state in S3 with S3-native locking when a state bucket is given', () => {
    const synth = synthesized(AWS, { stateBackend: { bucket: 'team-tf-state' } });
    expect(synth.doc.terraform.backend).toEqual({
      s3: {
        bucket: 'team-tf-state',
        key: 'nginx-access-logs/aws/ap-northeast-2/terraform.tfstate',
        region: 'ap-northeast-2',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it('configures LocalStack endpoints only in the localstack stack', () => {
    expect(synthPipeline(LOCALSTACK)).toHaveProviderWithProperties(AwsProvider, {
      s3_use_path_style: true,
      endpoints: [expect.objectContaining({ kinesis: 'http://localhost:4566' })],
    });
    expect(synthesized(AWS).doc.provider.aws).toEqual([
      { region: 'ap-northeast-2', default_tags: [{ tags: { project: 'nginx-access-logs' } }] },
    ]);
  });
});
