import { blocks, dataSourcesOfType, PolicyRule, resourcesOfType, TerraformDocument, Violation } from './types';

const RULE_ID = 'iam-no-wildcard-resource';

/**
 * Actions that support no resource-level permissions (AWS Service Authorization Reference: the "Resource types"
 * column is empty), so `Resource: "*"` is the only legal value. Each must still be given a recorded reason.
 */
export const UNSCOPABLE_ACTIONS: ReadonlySet<string> = new Set([
  'cloudwatch:PutMetricData',
  'cloudwatch:GetMetricData',
  'cloudwatch:ListMetrics',
  'kinesis:ListStreams',
  'firehose:ListDeliveryStreams',
  'lambda:ListFunctions',
  's3:ListAllMyBuckets',
  'kms:ListAliases',
  'kms:ListKeys',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:DescribeInstances',
  'ec2:DescribeTags',
]);

/** One IAM statement, normalised from a policy-document data source or a literal JSON policy. */
interface Statement {
  readonly address: string;
  readonly sid?: string;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly notResources: readonly string[];
}

const strings = (value: unknown): string[] =>
  (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v): v is string => typeof v === 'string');

function fromDocuments(doc: TerraformDocument): Statement[] {
  return dataSourcesOfType(doc, 'aws_iam_policy_document').flatMap(([address, body]) =>
    blocks(body.statement).map((s) => ({
      address,
      sid: typeof s.sid === 'string' ? s.sid : undefined,
      effect: typeof s.effect === 'string' ? s.effect : 'Allow',
      actions: strings(s.actions),
      resources: strings(s.resources),
      notResources: strings(s.not_resources),
    })),
  );
}

/** Literal JSON policies (`policy = "{...}"`); references to policy documents are checked at the document. */
function fromLiteralPolicies(doc: TerraformDocument): Statement[] {
  const types = ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_user_policy', 'aws_iam_group_policy'];
  return types.flatMap((type) =>
    resourcesOfType(doc, type).flatMap(([address, body]) => {
      if (typeof body.policy !== 'string' || !body.policy.trim().startsWith('{')) return [];
      let parsed: { Statement?: unknown };
      try {
        parsed = JSON.parse(body.policy) as { Statement?: unknown };
      } catch {
        return [];
      }
      return blocks(parsed.Statement).map((s) => ({
        address,
        sid: typeof s.Sid === 'string' ? s.Sid : undefined,
        effect: typeof s.Effect === 'string' ? s.Effect : 'Allow',
        actions: strings(s.Action),
        resources: strings(s.Resource),
        notResources: strings(s.NotResource),
      }));
    }),
  );
}

function check(doc: TerraformDocument, context: { readonly wildcardReasons?: ReadonlyMap<string, string> }): Violation[] {
  const violations: Violation[] = [];
  for (const s of [...fromDocuments(doc), ...fromLiteralPolicies(doc)]) {
    if (s.effect !== 'Allow') continue;
    const where = s.sid === undefined ? 'a statement without sid' : `statement "${s.sid}"`;
    const report = (message: string) => violations.push({ ruleId: RULE_ID, address: s.address, message });
    if (s.notResources.length > 0) {
      report(`${where} allows NotResource, which grants every other resource: list the exact ARNs instead`);
      continue;
    }
    if (!s.resources.includes('*')) continue;
    const scopable = s.actions.filter((a) => !UNSCOPABLE_ACTIONS.has(a));
    if (scopable.length > 0) {
      report(`${where} allows ${scopable.join(', ')} on Resource "*": scope it to the exact ARNs`);
    } else if (s.sid === undefined || !context.wildcardReasons?.has(`${s.address}#${s.sid}`)) {
      report(`${where} uses Resource "*" for ${s.actions.join(', ')} with no recorded reason: give it a sid and call allowWildcardResource(document, sid, reason)`);
    }
  }
  return violations;
}

/** IAM allows no `Resource: "*"` unless every action cannot be scoped and a reason is recorded for the statement. */
export const iamNoWildcardResource: PolicyRule = {
  id: RULE_ID,
  summary: 'IAM statements name exact resources; "*" only for unscopable actions with a recorded reason',
  targets: ['aws', 'localstack'],
  check,
};
