import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Aspects } from 'cdktf';
import { BucketProtection, BucketProtectionProps } from '../../stacks/bucket-protection';
import { PolicyAspect } from '../../stacks/policy/policy-aspect';
import { onlyResource, resourcesOf, synth, testStack } from './construct-helpers';

function protectedBucket(props: Partial<BucketProtectionProps> = {}) {
  const stack = testStack();
  const bucket = new S3Bucket(stack, 'bucket', { bucket: 'logs-bucket' });
  new BucketProtection(stack, 'protection', { bucket, ...props });
  const aspect = new PolicyAspect({ target: 'aws' });
  Aspects.of(stack).add(aspect);
  return { json: synth(stack) as any, aspect };
}

describe('BucketProtection', () => {
  it('passes the no-public-bucket and bucket-encrypted policy rules', () => {
    expect(protectedBucket().aspect.violations).toEqual([]);
  });

  it('blocks all public access', () => {
    expect(onlyResource(protectedBucket().json, 'aws_s3_bucket_public_access_block')).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it('disables ACLs (bucket owner enforced)', () => {
    expect(onlyResource(protectedBucket().json, 'aws_s3_bucket_ownership_controls')).toMatchObject({
      rule: { object_ownership: 'BucketOwnerEnforced' },
    });
  });

  it('encrypts with SSE-S3 by default', () => {
    expect(onlyResource(protectedBucket().json, 'aws_s3_bucket_server_side_encryption_configuration')).toMatchObject({
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: 'AES256' } }],
    });
  });

  it('encrypts with SSE-KMS and a bucket key when given a key', () => {
    const json = protectedBucket({ kmsKeyArn: 'arn:aws:kms:ap-northeast-2:111122223333:key/k' }).json;
    expect(onlyResource(json, 'aws_s3_bucket_server_side_encryption_configuration')).toMatchObject({
      rule: [
        {
          apply_server_side_encryption_by_default: { sse_algorithm: 'aws:kms', kms_master_key_id: 'arn:aws:kms:ap-northeast-2:111122223333:key/k' },
          bucket_key_enabled: true,
        },
      ],
    });
  });

  it('denies every request that does not use TLS', () => {
    const json = protectedBucket().json;
    const statements = (Object.values(json.data.aws_iam_policy_document)[0] as any).statement;
    expect(statements).toEqual([
      expect.objectContaining({
        effect: 'Deny',
        actions: ['s3:*'],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      }),
    ]);
    expect(onlyResource(json, 'aws_s3_bucket_policy').policy).toMatch(/^\$\{data\.aws_iam_policy_document\.[\w-]+\.json\}$/);
  });

  it('leaves the TLS-only policy out for emulators on plain http', () => {
    const { json, aspect } = protectedBucket({ tlsOnly: false });
    expect(resourcesOf(json, 'aws_s3_bucket_policy')).toEqual([]);
    expect(aspect.violations).toEqual([]);
  });

  it('moves objects to Standard-IA after 30 days and aborts stale multipart uploads after 7, expiring nothing by default', () => {
    const rules = (onlyResource(protectedBucket().json, 'aws_s3_bucket_lifecycle_configuration') as any).rule;
    expect(rules).toEqual([
      expect.objectContaining({ id: 'logs-to-infrequent-access', transition: [{ days: 30, storage_class: 'STANDARD_IA' }] }),
      expect.objectContaining({ id: 'abort-incomplete-multipart-uploads', abort_incomplete_multipart_upload: [{ days_after_initiation: 7 }] }),
    ]);
    expect(rules[0].expiration).toBeUndefined();
  });

  it('expires objects when asked', () => {
    const rules = (onlyResource(protectedBucket({ expirationDays: 365 }).json, 'aws_s3_bucket_lifecycle_configuration') as any).rule;
    expect(rules[0].expiration).toEqual([{ days: 365 }]);
  });

  it('has no versioning by default and versions (expiring old versions) when asked', () => {
    expect(resourcesOf(protectedBucket().json, 'aws_s3_bucket_versioning')).toEqual([]);
    const json = protectedBucket({ versioned: true }).json;
    expect(onlyResource(json, 'aws_s3_bucket_versioning')).toMatchObject({ versioning_configuration: { status: 'Enabled' } });
    const rules = (onlyResource(json, 'aws_s3_bucket_lifecycle_configuration') as any).rule;
    expect(rules[0].noncurrent_version_expiration).toEqual([{ noncurrent_days: 90 }]);
  });

  it('fails for an expiry before the transition to Standard-IA', () => {
    expect(() => protectedBucket({ expirationDays: 10 })).toThrow(
      'bucket expirationDays must be a whole number 31–36500 days (after the transition to Standard-IA), got 10',
    );
  });

  it('fails for a transition sooner than S3 allows', () => {
    expect(() => protectedBucket({ infrequentAccessAfterDays: 7 })).toThrow(/bucket infrequentAccessAfterDays must be a whole number 30–36500 days/);
  });
});
