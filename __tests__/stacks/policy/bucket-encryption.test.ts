import { bucketEncrypted } from '../../../stacks/policy/bucket-encryption';
import { TerraformDocument } from '../../../stacks/policy/types';

const ctx = { target: 'aws' as const };
const sse = (algorithm: string) => ({
  bucket: '${aws_s3_bucket.logs.id}',
  rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: algorithm } }],
});

describe('bucket-encrypted', () => {
  it('passes a bucket with SSE-S3 default encryption', () => {
    const doc: TerraformDocument = {
      resource: { aws_s3_bucket: { logs: {} }, aws_s3_bucket_server_side_encryption_configuration: { e: sse('AES256') } },
    };
    expect(bucketEncrypted.check(doc, ctx)).toEqual([]);
  });

  it('passes a bucket with SSE-KMS default encryption', () => {
    const doc: TerraformDocument = {
      resource: { aws_s3_bucket: { logs: {} }, aws_s3_bucket_server_side_encryption_configuration: { e: sse('aws:kms') } },
    };
    expect(bucketEncrypted.check(doc, ctx)).toEqual([]);
  });

  it('reports a bucket with no encryption configuration', () => {
    const doc: TerraformDocument = { resource: { aws_s3_bucket: { logs: {} } } };
    expect(bucketEncrypted.check(doc, ctx)).toEqual([
      expect.objectContaining({ address: 'aws_s3_bucket.logs', message: expect.stringMatching(/no aws_s3_bucket_server_side_encryption/) }),
    ]);
  });

  it('reports an unknown algorithm', () => {
    const doc: TerraformDocument = {
      resource: { aws_s3_bucket: { logs: {} }, aws_s3_bucket_server_side_encryption_configuration: { e: sse('ROT13') } },
    };
    expect(bucketEncrypted.check(doc, ctx)[0]?.message).toMatch(/must be one of AES256, aws:kms/);
  });

  it('applies to the AWS target only', () => {
    expect(bucketEncrypted.targets).toEqual(['aws']);
  });
});
