import { firstBlock, PolicyRule, refersTo, resourcesOfType, TerraformDocument, Violation } from './types';

const RULE_ID = 'log-group-retention';

/**
 * True when a Lambda function's log group is declared in the stack. Without one, Lambda creates
 * `/aws/lambda/<name>` itself on first invocation, with logs kept forever.
 */
function hasDeclaredLogGroup(doc: TerraformDocument, address: string, fn: Readonly<Record<string, unknown>>): boolean {
  const groups = resourcesOfType(doc, 'aws_cloudwatch_log_group');
  const custom = firstBlock(fn.logging_config)?.log_group;
  if (typeof custom === 'string') {
    return groups.some(([groupAddress, g]) => refersTo(custom, groupAddress) || g.name === custom);
  }
  const expected = typeof fn.function_name === 'string' ? `/aws/lambda/${fn.function_name}` : undefined;
  return groups.some(([, g]) => {
    const name = g.name;
    if (typeof name !== 'string') return false;
    return name === expected || (name.startsWith('/aws/lambda/') && refersTo(name, address));
  });
}

function check(doc: TerraformDocument): Violation[] {
  const violations: Violation[] = [];
  for (const [address, group] of resourcesOfType(doc, 'aws_cloudwatch_log_group')) {
    const days = group.retention_in_days;
    if (typeof days !== 'number' || days <= 0) {
      violations.push({
        ruleId: RULE_ID,
        address,
        message: `retention_in_days must be set to a positive number of days (0 or unset keeps logs forever), got ${JSON.stringify(days)}`,
      });
    }
  }
  for (const [address, fn] of resourcesOfType(doc, 'aws_lambda_function')) {
    if (!hasDeclaredLogGroup(doc, address, fn)) {
      violations.push({
        ruleId: RULE_ID,
        address,
        message: 'has no declared log group (/aws/lambda/<function_name> or logging_config.log_group): Lambda would create one that never expires',
      });
    }
  }
  return violations;
}

/** Every log group, including the one Lambda would create implicitly, has a finite retention. */
export const logGroupRetention: PolicyRule = {
  id: RULE_ID,
  summary: 'CloudWatch log groups have a finite retention, and every Lambda function has a declared log group',
  targets: ['aws', 'localstack'],
  check,
};
