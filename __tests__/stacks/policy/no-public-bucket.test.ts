import { noPublicBucket } from '../../../stacks/policy/no-public-bucket';
import { TerraformDocument } from '../../../stacks/policy/types';

const ctx = { target: 'aws' as const };
const guarded = {
  bucket: '${aws_s3_bucket.logs.id}',
  block_public_acls: true,
  block_public_policy: true,
  ignore_public_acls: true,
  restrict_public_buckets: true,
};

describe('no-public-bucket', () => {
  it('passes a bucket with all four public-access-block flags on', () => {
    const doc: TerraformDocument = {
      resource: { aws_s3_bucket: { logs: { bucket: 'logs' } }, aws_s3_bucket_public_access_block: { pab: guarded } },
    };
    expect(noPublicBucket.check(doc, ctx)).toEqual([]);
  });

  it('reports a bucket with no public access block', () => {
    const doc: TerraformDocument = { resource: { aws_s3_bucket: { logs: { bucket: 'logs' } } } };
    expect(noPublicBucket.check(doc, ctx)).toEqual([
      expect.objectContaining({ address: 'aws_s3_bucket.logs', message: expect.stringMatching(/no aws_s3_bucket_public_access_block/) }),
    ]);
  });

  it('names the flags left off', () => {
    const doc: TerraformDocument = {
      resource: {
        aws_s3_bucket: { logs: { bucket: 'logs' } },
        aws_s3_bucket_public_access_block: { pab: { ...guarded, restrict_public_buckets: false } },
      },
    };
    expect(noPublicBucket.check(doc, ctx)[0]?.message).toMatch(/restrict_public_buckets off/);
  });

  it('reports a public canned ACL', () => {
    const doc: TerraformDocument = {
      resource: {
        aws_s3_bucket: { logs: { bucket: 'logs' } },
        aws_s3_bucket_public_access_block: { pab: guarded },
        aws_s3_bucket_acl: { acl: { bucket: '${aws_s3_bucket.logs.id}', acl: 'public-read' } },
      },
    };
    expect(noPublicBucket.check(doc, ctx)[0]?.message).toMatch(/public canned ACL "public-read"/);
  });

  it('reports a bucket policy that allows principal * without a condition', () => {
    const doc: TerraformDocument = {
      resource: {
        aws_s3_bucket: { logs: { bucket: 'logs' } },
        aws_s3_bucket_public_access_block: { pab: guarded },
        aws_s3_bucket_policy: { p: { bucket: '${aws_s3_bucket.logs.id}', policy: '${data.aws_iam_policy_document.open.json}' } },
      },
      data: {
        aws_iam_policy_document: {
          open: { statement: [{ effect: 'Allow', actions: ['s3:GetObject'], principals: [{ type: '*', identifiers: ['*'] }] }] },
        },
      },
    };
    expect(noPublicBucket.check(doc, ctx)[0]?.message).toMatch(/allows principal "\*"/);
  });

  it('accepts a TLS-only deny statement for principal *', () => {
    const doc: TerraformDocument = {
      resource: {
        aws_s3_bucket: { logs: { bucket: 'logs' } },
        aws_s3_bucket_public_access_block: { pab: guarded },
        aws_s3_bucket_policy: { p: { bucket: '${aws_s3_bucket.logs.id}', policy: '${data.aws_iam_policy_document.tls.json}' } },
      },
      data: {
        aws_iam_policy_document: {
          tls: {
            statement: [
              {
                effect: 'Deny',
                actions: ['s3:*'],
                principals: [{ type: '*', identifiers: ['*'] }],
                condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
              },
            ],
          },
        },
      },
    };
    expect(noPublicBucket.check(doc, ctx)).toEqual([]);
  });
});
