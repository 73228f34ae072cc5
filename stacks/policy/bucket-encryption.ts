import { blocks, firstBlock, PolicyRule, refersTo, resourcesOfType, TerraformDocument, Violation } from './types';

const RULE_ID = 'bucket-encrypted';

/** Server-side encryption algorithms S3 accepts as a bucket default. */
export const S3_SSE_ALGORITHMS = ['AES256', 'aws:kms', 'aws:kms:dsse'] as const;

function check(doc: TerraformDocument): Violation[] {
  const configurations = resourcesOfType(doc, 'aws_s3_bucket_server_side_encryption_configuration').map(([, b]) => b);
  const violations: Violation[] = [];
  for (const [address, bucket] of resourcesOfType(doc, 'aws_s3_bucket')) {
    const configuration = configurations.find(
      (c) => refersTo(c.bucket, address) || (typeof bucket.bucket === 'string' && c.bucket === bucket.bucket),
    );
    const algorithms = blocks(configuration?.rule).map(
      (rule) => firstBlock(rule.apply_server_side_encryption_by_default)?.sse_algorithm,
    );
    if (configuration === undefined) {
      violations.push({
        ruleId: RULE_ID,
        address,
        message: 'has no aws_s3_bucket_server_side_encryption_configuration: add one (AES256 or aws:kms)',
      });
    } else if (!algorithms.some((a) => (S3_SSE_ALGORITHMS as readonly unknown[]).includes(a))) {
      violations.push({
        ruleId: RULE_ID,
        address,
        message: `default encryption algorithm must be one of ${S3_SSE_ALGORITHMS.join(', ')}, got ${JSON.stringify(algorithms)}`,
      });
    }
  }
  return violations;
}

/** Every S3 bucket on AWS declares default server-side encryption (SSE-S3 or SSE-KMS). */
export const bucketEncrypted: PolicyRule = {
  id: RULE_ID,
  summary: 'S3 buckets declare default server-side encryption',
  targets: ['aws'],
  check,
};
