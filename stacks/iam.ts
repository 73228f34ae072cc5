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
