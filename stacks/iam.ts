import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatementCondition,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { Construct } from 'constructs';

/**
 * The JSON of a trust policy letting one AWS service principal assume a role, optionally only under `conditions`
 * (e.g. the confused-deputy conditions a service documents).
 */
export function assumeRolePolicy(
  scope: Construct,
  id: string,
  service: string,
  conditions: readonly DataAwsIamPolicyDocumentStatementCondition[] = [],
): string {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: [service] }],
        ...(conditions.length === 0 ? {} : { condition: [...conditions] }),
      },
    ],
  }).json;
}

/**
 * The name of an account-wide resource (an IAM role, policy or instance profile; a CloudWatch dashboard) for a
 * regional deployment: `<base>-<region>`, so the same name prefix deployed in a second region of the account does
 * not collide with the first (`EntityAlreadyExists`).
 */
export function accountWideName(base: string, region: string): string {
  return `${base}-${region}`;
}
