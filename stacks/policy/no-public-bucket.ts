import {
  blocks,
  dataSourcesOfType,
  PolicyRule,
  refersTo,
  resourcesOfType,
  TerraformBlock,
  TerraformDocument,
  Violation,
} from './types';

const RULE_ID = 'no-public-bucket';

/** The four switches of an S3 public access block; all must be on. */
export const PUBLIC_ACCESS_BLOCK_FLAGS = [
  'block_public_acls',
  'block_public_policy',
  'ignore_public_acls',
  'restrict_public_buckets',
] as const;

/** Canned ACLs that grant access outside the bucket owner's account. */
const PUBLIC_CANNED_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);

/** A block that targets `bucketAddress` through its `bucket` argument (a reference or the literal bucket name). */
function targets(block: TerraformBlock, bucketAddress: string, bucketName: unknown): boolean {
  return refersTo(block.bucket, bucketAddress) || (typeof bucketName === 'string' && block.bucket === bucketName);
}

/** True when a policy-document statement allows everyone (`*` principal) without any condition. */
function allowsEveryone(statement: TerraformBlock): boolean {
  if ((statement.effect ?? 'Allow') !== 'Allow' || blocks(statement.condition).length > 0) return false;
  return blocks(statement.principals).some(
    (p) => p.type === '*' || (Array.isArray(p.identifiers) && p.identifiers.includes('*')),
  );
}

function check(doc: TerraformDocument): Violation[] {
  const violations: Violation[] = [];
  const accessBlocks = resourcesOfType(doc, 'aws_s3_bucket_public_access_block').map(([, b]) => b);
  const acls = resourcesOfType(doc, 'aws_s3_bucket_acl').map(([, b]) => b);
  const policies = resourcesOfType(doc, 'aws_s3_bucket_policy').map(([, b]) => b);
  const documents = new Map(dataSourcesOfType(doc, 'aws_iam_policy_document'));

  for (const [address, bucket] of resourcesOfType(doc, 'aws_s3_bucket')) {
    const report = (message: string) => violations.push({ ruleId: RULE_ID, address, message });
    const guard = accessBlocks.find((b) => targets(b, address, bucket.bucket));
    if (guard === undefined) {
      report('has no aws_s3_bucket_public_access_block: add one with all four flags true');
    } else {
      const off = PUBLIC_ACCESS_BLOCK_FLAGS.filter((flag) => guard[flag] !== true);
      if (off.length > 0) report(`public access block leaves ${off.join(', ')} off: set them to true`);
    }
    const cannedAcls = [bucket.acl, ...acls.filter((a) => targets(a, address, bucket.bucket)).map((a) => a.acl)];
    const publicAcl = cannedAcls.find((acl) => typeof acl === 'string' && PUBLIC_CANNED_ACLS.has(acl));
    if (publicAcl !== undefined) report(`grants the public canned ACL "${publicAcl}": use "private"`);
    for (const policy of policies.filter((p) => targets(p, address, bucket.bucket))) {
      const statements = [...documents.entries()]
        .filter(([docAddress]) => refersTo(policy.policy, docAddress))
        .flatMap(([, body]) => blocks(body.statement));
      if (statements.some(allowsEveryone)) report('bucket policy allows principal "*" without a condition');
    }
  }
  return violations;
}

/** No S3 bucket may be readable or writable by the public: block public access, no public ACL or policy. */
export const noPublicBucket: PolicyRule = {
  id: RULE_ID,
  summary: 'S3 buckets block all public access and grant no public ACL or policy',
  targets: ['aws', 'localstack'],
  check,
};
