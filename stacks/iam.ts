import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { Construct } from 'constructs';

/** The JSON of a trust policy letting one AWS service principal assume a role. */
export function assumeRolePolicy(scope: Construct, id: string, service: string): string {
  return new DataAwsIamPolicyDocument(scope, id, {
    statement: [
      {
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'Service', identifiers: [service] }],
      },
    ],
  }).json;
}
