import { iamNoWildcardResource } from '../../../stacks/policy/iam-wildcard-resource';
import { TerraformDocument } from '../../../stacks/policy/types';

const policyDoc = (statement: Record<string, unknown>): TerraformDocument => ({
  data: { aws_iam_policy_document: { agent: { statement: [statement] } } },
});
const putMetrics = { sid: 'PutMetrics', effect: 'Allow', actions: ['cloudwatch:PutMetricData'], resources: ['*'] };
const reasons = new Map([['data.aws_iam_policy_document.agent#PutMetrics', 'PutMetricData has no resource types']]);

describe('iam-no-wildcard-resource', () => {
  it('passes a statement scoped to an exact ARN', () => {
    const doc = policyDoc({ actions: ['kinesis:PutRecords'], resources: ['${aws_kinesis_stream.s.arn}'] });
    expect(iamNoWildcardResource.check(doc, { target: 'aws' })).toEqual([]);
  });

  it('reports a scopable action on Resource "*"', () => {
    const doc = policyDoc({ sid: 'Put', actions: ['kinesis:PutRecords'], resources: ['*'] });
    expect(iamNoWildcardResource.check(doc, { target: 'aws', wildcardReasons: reasons })).toEqual([
      {
        ruleId: 'iam-no-wildcard-resource',
        address: 'data.aws_iam_policy_document.agent',
        message: 'statement "Put" allows kinesis:PutRecords on Resource "*": scope it to the exact ARNs',
      },
    ]);
  });

  it('passes an unscopable action on "*" with a recorded reason', () => {
    expect(iamNoWildcardResource.check(policyDoc(putMetrics), { target: 'aws', wildcardReasons: reasons })).toEqual([]);
  });

  it('reports an unscopable action on "*" without a recorded reason', () => {
    const [violation] = iamNoWildcardResource.check(policyDoc(putMetrics), { target: 'aws' });
    expect(violation?.message).toMatch(/no recorded reason.*allowWildcardResource/);
  });

  it('ignores Deny statements on "*"', () => {
    const doc = policyDoc({ effect: 'Deny', actions: ['s3:*'], resources: ['*'] });
    expect(iamNoWildcardResource.check(doc, { target: 'aws' })).toEqual([]);
  });

  it('reports NotResource', () => {
    const doc = policyDoc({ actions: ['s3:GetObject'], not_resources: ['arn:aws:s3:::x/*'] });
    expect(iamNoWildcardResource.check(doc, { target: 'aws' })[0]?.message).toMatch(/NotResource/);
  });

  it('reads literal JSON policies on IAM resources too', () => {
    const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] });
    const doc: TerraformDocument = { resource: { aws_iam_role_policy: { p: { policy } } } };
    expect(iamNoWildcardResource.check(doc, { target: 'localstack' })).toEqual([
      expect.objectContaining({ address: 'aws_iam_role_policy.p', message: expect.stringMatching(/s3:GetObject on Resource "\*"/) }),
    ]);
  });
});
