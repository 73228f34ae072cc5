import { Aspects, Testing, TerraformStack } from 'cdktf';
import { rmSync } from 'node:fs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { PolicyAspect } from '../../../stacks/policy/policy-aspect';
import { PolicyTarget } from '../../../stacks/policy/types';
import { allowWildcardResource } from '../../../stacks/policy/wildcard-reason';

function stackWith(target: PolicyTarget, build: (stack: TerraformStack) => void): { stack: TerraformStack; aspect: PolicyAspect } {
  const stack = new TerraformStack(Testing.app(), 'policy');
  new AwsProvider(stack, 'aws', { region: 'ap-northeast-2' });
  build(stack);
  const aspect = new PolicyAspect({ target });
  Aspects.of(stack).add(aspect);
  return { stack, aspect };
}

function guardedBucket(stack: TerraformStack): S3Bucket {
  const bucket = new S3Bucket(stack, 'Bucket', { bucket: 'logs' });
  new S3BucketPublicAccessBlock(stack, 'Block', {
    bucket: bucket.id,
    blockPublicAcls: true,
    blockPublicPolicy: true,
    ignorePublicAcls: true,
    restrictPublicBuckets: true,
  });
  return bucket;
}

describe('PolicyAspect', () => {
  it('fails synth naming the rule, the construct and the fix', () => {
    const { stack } = stackWith('localstack', (s) => new S3Bucket(s, 'Bucket', { bucket: 'logs' }));
    expect(() => Testing.fullSynth(stack)).toThrow(
      /\[policy\/Bucket\] \[policy no-public-bucket\] aws_s3_bucket\.Bucket has no aws_s3_bucket_public_access_block/,
    );
  });

  it('lets a compliant stack synthesize', () => {
    const { stack, aspect } = stackWith('localstack', guardedBucket);
    rmSync(Testing.fullSynth(stack), { recursive: true, force: true });
    expect(aspect.violations).toEqual([]);
  });

  it('applies the encryption rules on the aws target only', () => {
    const build = (s: TerraformStack) => {
      guardedBucket(s);
      new KinesisStream(s, 'Stream', { name: 'logs', streamModeDetails: { streamMode: 'ON_DEMAND' } });
    };
    const aws = stackWith('aws', build);
    Testing.synth(aws.stack);
    expect(aws.aspect.violations.map((v) => v.ruleId).sort()).toEqual(['bucket-encrypted', 'stream-encrypted']);
    const local = stackWith('localstack', build);
    Testing.synth(local.stack);
    expect(local.aspect.violations).toEqual([]);
  });

  it('accepts Resource "*" for an unscopable action once a reason is recorded', () => {
    const { stack, aspect } = stackWith('aws', (s) => {
      const doc = new DataAwsIamPolicyDocument(s, 'AgentPolicy', {
        statement: [{ sid: 'PutMetrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'] }],
      });
      allowWildcardResource(doc, 'PutMetrics', 'PutMetricData supports no resource types; limited by namespace');
    });
    Testing.synth(stack);
    expect(aspect.violations).toEqual([]);
  });

  it('reports Resource "*" for an unscopable action without a reason', () => {
    const { stack, aspect } = stackWith('aws', (s) => {
      new DataAwsIamPolicyDocument(s, 'AgentPolicy', {
        statement: [{ sid: 'PutMetrics', actions: ['cloudwatch:PutMetricData'], resources: ['*'] }],
      });
    });
    Testing.synth(stack);
    expect(aspect.violations).toEqual([expect.objectContaining({ address: 'data.aws_iam_policy_document.AgentPolicy' })]);
  });

  it('fails allowWildcardResource with a reason too short to be one', () => {
    const stack = new TerraformStack(Testing.app(), 's');
    const doc = new DataAwsIamPolicyDocument(stack, 'D', { statement: [] });
    expect(() => allowWildcardResource(doc, 'PutMetrics', 'needed')).toThrow(/must say why the action cannot be scoped/);
  });
});
