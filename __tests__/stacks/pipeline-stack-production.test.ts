import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Testing } from 'cdktf';
import { rmSync } from 'node:fs';
import { AWS, blockAt, buildPipeline, LOCALSTACK, ref, statements, synthesized } from './pipeline-helpers';

function resources(doc: { resource: Record<string, Record<string, Record<string, unknown>>> }, type: string) {
  return Object.values(doc.resource[type] ?? {});
}

describe('the pipeline stacks with the production defaults', () => {
  it.each([AWS, LOCALSTACK])('$kind synthesizes through the policy aspect', (target) => {
    const outdir = Testing.fullSynth(buildPipeline(target));
    rmSync(outdir, { recursive: true, force: true });
  });

  it('fails synth with the rule, the construct and the fix when a construct breaks a rule', () => {
    const stack = buildPipeline(AWS);
    new S3Bucket(stack, 'stray-bucket', { bucket: 'stray-bucket' });
    expect(() => Testing.fullSynth(stack)).toThrow(
      /\[aws\/stray-bucket\] \[policy no-public-bucket\] aws_s3_bucket\.stray-bucket has no aws_s3_bucket_public_access_block/,
    );
  });

  it('encrypts the stream with KMS on AWS only', () => {
    expect(resources(synthesized(AWS).doc, 'aws_kinesis_stream')[0]).toMatchObject({
      encryption_type: 'KMS',
      kms_key_id: 'alias/aws/kinesis',
    });
    expect(resources(synthesized(LOCALSTACK).doc, 'aws_kinesis_stream')[0]?.encryption_type).toBeUndefined();
  });

  it('delivers GZIP on AWS and uncompressed on LocalStack', () => {
    const compression = (target: typeof AWS) =>
      (resources(synthesized(target).doc, 'aws_kinesis_firehose_delivery_stream')[0] as any).extended_s3_configuration
        .compression_format;
    expect([compression(AWS), compression(LOCALSTACK)]).toEqual(['GZIP', 'UNCOMPRESSED']);
  });

  it('protects the bucket on both targets, with lifecycle rules and the TLS-only policy on AWS only', () => {
    for (const target of [AWS, LOCALSTACK]) {
      const doc = synthesized(target).doc;
      expect(resources(doc, 'aws_s3_bucket_public_access_block')).toHaveLength(1);
      expect(resources(doc, 'aws_s3_bucket_server_side_encryption_configuration')).toHaveLength(1);
      expect(resources(doc, 'aws_s3_bucket_ownership_controls')).toHaveLength(1);
    }
    expect(resources(synthesized(AWS).doc, 'aws_s3_bucket_policy')).toHaveLength(1);
    expect(resources(synthesized(LOCALSTACK).doc, 'aws_s3_bucket_policy')).toHaveLength(0);
    expect(resources(synthesized(AWS).doc, 'aws_s3_bucket_lifecycle_configuration')).toHaveLength(1);
    expect(resources(synthesized(LOCALSTACK).doc, 'aws_s3_bucket_lifecycle_configuration')).toHaveLength(0);
  });

  it('expires logs when asked', () => {
    const [lifecycle] = resources(synthesized(AWS, { logExpirationDays: 400 }).doc, 'aws_s3_bucket_lifecycle_configuration');
    expect((lifecycle as any).rule[0].expiration).toEqual([{ days: 400 }]);
  });

  it('catalogs the logs under the delivery prefix on AWS, and on LocalStack only when asked', () => {
    const [table] = resources(synthesized(AWS, { prefix: 'web/' }).doc, 'aws_glue_catalog_table') as any[];
    expect(table.parameters['storage.location.template']).toMatch(/\/web\/\$\$\{datehour\}\/$/);
    expect(synthesized(AWS).doc.output).toHaveProperty('athena_workgroup');
    expect(resources(synthesized(LOCALSTACK).doc, 'aws_glue_catalog_table')).toHaveLength(0);
    expect(resources(synthesized(LOCALSTACK, { catalog: true }).doc, 'aws_athena_workgroup')).toHaveLength(1);
  });

  it('derives the table columns from the stack’s log format', () => {
    const format = '$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time';
    const [table] = resources(synthesized(AWS, { logFormat: format }).doc, 'aws_glue_catalog_table') as any[];
    expect(table.storage_descriptor.columns).toEqual(expect.arrayContaining([{ name: 'request_time', type: 'double' }]));
    expect(resources(synthesized(AWS, { logFormat: format }).doc, 'aws_athena_named_query').map((q) => q.name)).toContain(
      'slowest-requests',
    );
  });

  it('alarms on both targets and notifies an SNS topic when given an address', () => {
    expect(resources(synthesized(LOCALSTACK).doc, 'aws_cloudwatch_metric_alarm')).toHaveLength(9);
    const doc = synthesized(AWS, { alarmEmail: 'ops@example.com' }).doc;
    expect(resources(doc, 'aws_sns_topic_subscription')).toEqual([expect.objectContaining({ endpoint: 'ops@example.com' })]);
    expect(doc.output).toHaveProperty('alarm_topic_arn');
  });

  it('adds the web host with the agent profile and, with AGENT=kinesis-agent, the target’s agent.json only when asked', () => {
    expect(resources(synthesized(AWS).doc, 'aws_instance')).toHaveLength(0);
    const { doc, stack } = synthesized(LOCALSTACK, { webHost: true, agent: 'kinesis-agent' });
    expect(resources(doc, 'aws_s3_object')).toHaveLength(0);
    const [instance] = resources(doc, 'aws_instance') as any[];
    expect(instance.iam_instance_profile).toMatch(/^\$\{aws_iam_instance_profile\.[\w-]+\.name\}$/);
    expect(instance.user_data).toContain(JSON.stringify(stack.agentConfig.config, null, 2));
    expect(doc.output).toHaveProperty('web_host_instance_id');
  });

  it('tags every resource with the project through the provider', () => {
    expect(synthesized(AWS).doc.provider.aws?.[0]).toMatchObject({ default_tags: [{ tags: { project: 'nginx-access-logs' } }] });
  });
});

describe('the web host running our agent (the default)', () => {
  const synth = synthesized(AWS, { webHost: true });
  const { doc, stack } = synth;

  it('uploads the bundle under a content-hashed key in the log bucket', () => {
    const [object] = resources(doc, 'aws_s3_object') as any[];
    expect(object.key).toMatch(/^agent\/nginx-log-agent-[0-9a-f]{16}\.js$/);
    expect(object.bucket).toBe(ref(blockAt(synth, 'log-bucket/bucket').address, 'bucket'));
    expect(object.key).toBe(stack.agentBundle?.key);
  });

  it('lets the instance read exactly that object, write the stream, and put metrics only in the agent namespace', () => {
    const all = statements(synth, 'agent-access/document');
    expect(all.find((s) => s.sid === 'ReadAgentBundle')).toEqual({
      sid: 'ReadAgentBundle',
      actions: ['s3:GetObject'],
      resources: [`${ref(blockAt(synth, 'log-bucket/bucket').address, 'arn')}/${stack.agentBundle!.key}`],
    });
    expect(all.find((s) => s.sid === 'WriteLogStream')?.resources).toEqual([ref(blockAt(synth, 'log-stream/stream').address, 'arn')]);
    expect(all.find((s) => s.sid === 'PutAgentMetrics')?.condition).toEqual([
      { test: 'StringEquals', variable: 'cloudwatch:namespace', values: ['NginxLogAgent'] },
    ]);
  });

  it('gives the Kinesis Agent no S3 access and its own metrics namespace', () => {
    const ka = synthesized(AWS, { webHost: true, agent: 'kinesis-agent' });
    const all = statements(ka, 'agent-access/document');
    expect(all.map((s) => s.sid)).toEqual(['WriteLogStream', 'PutAgentMetrics']);
    expect(all[1]!.condition?.[0]?.values).toEqual(['AWSKinesisAgent']);
  });

  it('installs the bundle, the generated config and the systemd unit with Node from the AL2023 repositories', () => {
    const [instance] = resources(doc, 'aws_instance') as any[];
    expect(instance.user_data).toContain('dnf install -y nginx nodejs22 acl');
    expect(instance.user_data).toContain(`/${stack.agentBundle!.key} /opt/nginx-log-agent/nginx-log-agent.js`);
    expect(instance.user_data).toContain(JSON.stringify(stack.agentConfig.logAgentConfig, null, 2));
    expect(instance.user_data).toContain('systemctl enable --now nginx-log-agent');
    expect(instance.user_data).not.toContain('aws-kinesis-agent');
  });

  it('fails synth clearly when the bundle was not built', () => {
    expect(() => synthesized(AWS, { webHost: true, agentBundlePath: '/nonexistent/nginx-log-agent.js' })).toThrow(
      'agent bundle /nonexistent/nginx-log-agent.js does not exist: run `npm run build` first (it writes dist/agent/)',
    );
  });
});
