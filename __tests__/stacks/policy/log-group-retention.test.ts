import { logGroupRetention } from '../../../stacks/policy/log-group-retention';
import { TerraformDocument } from '../../../stacks/policy/types';

const ctx = { target: 'localstack' as const };

describe('log-group-retention', () => {
  it('passes a log group with finite retention', () => {
    const doc: TerraformDocument = { resource: { aws_cloudwatch_log_group: { g: { name: '/x', retention_in_days: 14 } } } };
    expect(logGroupRetention.check(doc, ctx)).toEqual([]);
  });

  it('reports a log group without retention', () => {
    const doc: TerraformDocument = { resource: { aws_cloudwatch_log_group: { g: { name: '/x' } } } };
    expect(logGroupRetention.check(doc, ctx)).toEqual([
      expect.objectContaining({ address: 'aws_cloudwatch_log_group.g', message: expect.stringMatching(/got undefined/) }),
    ]);
  });

  it('reports retention 0 (never expire)', () => {
    const doc: TerraformDocument = { resource: { aws_cloudwatch_log_group: { g: { name: '/x', retention_in_days: 0 } } } };
    expect(logGroupRetention.check(doc, ctx)).toHaveLength(1);
  });

  it('passes a Lambda function whose /aws/lambda log group is declared', () => {
    const doc: TerraformDocument = {
      resource: {
        aws_lambda_function: { f: { function_name: 'parser' } },
        aws_cloudwatch_log_group: { g: { name: '/aws/lambda/parser', retention_in_days: 14 } },
      },
    };
    expect(logGroupRetention.check(doc, ctx)).toEqual([]);
  });

  it('passes a Lambda function with logging_config pointing at a declared group', () => {
    const doc: TerraformDocument = {
      resource: {
        aws_lambda_function: { f: { function_name: 'parser', logging_config: { log_group: '${aws_cloudwatch_log_group.g.name}', log_format: 'Text' } } },
        aws_cloudwatch_log_group: { g: { name: '/custom', retention_in_days: 14 } },
      },
    };
    expect(logGroupRetention.check(doc, ctx)).toEqual([]);
  });

  it('reports a Lambda function with no declared log group', () => {
    const doc: TerraformDocument = { resource: { aws_lambda_function: { f: { function_name: 'parser' } } } };
    expect(logGroupRetention.check(doc, ctx)[0]?.message).toMatch(/never expires/);
  });
});
