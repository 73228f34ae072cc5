import { IConstruct } from 'constructs';
import { TerraformDataSource, TerraformStack } from 'cdktf';

/** Construct metadata type under which wildcard-resource reasons are recorded (visible in the construct tree). */
export const WILDCARD_REASON_METADATA = 'policy:wildcard-resource-reason';

/** Shortest reason accepted: long enough to say which action and why it cannot be scoped. */
const MIN_REASON_LENGTH = 20;

interface WildcardReason {
  readonly sid: string;
  readonly reason: string;
}

/**
 * Records why statement `sid` of an IAM policy document must use `Resource: "*"`.
 *
 * The `iam-no-wildcard-resource` rule accepts such a statement only when every action in it supports no
 * resource-level permissions and a reason was recorded here, next to the statement, for reviewers to read.
 */
export function allowWildcardResource(document: TerraformDataSource, sid: string, reason: string): void {
  if (!/^[A-Za-z0-9]+$/.test(sid)) {
    throw new Error(`allowWildcardResource: sid must be alphanumeric (IAM Sid rules), got "${sid}"`);
  }
  if (reason.trim().length < MIN_REASON_LENGTH) {
    throw new Error(
      `allowWildcardResource: the reason for statement "${sid}" must say why the action cannot be scoped ` +
        `(at least ${MIN_REASON_LENGTH} characters), got "${reason}"`,
    );
  }
  const entry: WildcardReason = { sid, reason: reason.trim() };
  document.node.addMetadata(WILDCARD_REASON_METADATA, entry);
}

/** Every recorded reason in a stack, keyed by `data.<type>.<logical id>#<sid>` as the rule expects. */
export function wildcardReasons(stack: TerraformStack): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const node of stack.node.findAll()) {
    if (!TerraformDataSource.isTerraformDataSource(node)) continue;
    for (const entry of node.node.metadata) {
      if (entry.type !== WILDCARD_REASON_METADATA) continue;
      const { sid, reason } = entry.data as WildcardReason;
      reasons.set(`data.${node.terraformResourceType}.${node.friendlyUniqueId}#${sid}`, reason);
    }
  }
  return reasons;
}

/** The construct behind a Terraform address, for annotating the right node; undefined when not found. */
export function constructAt(stack: TerraformStack, address: string): IConstruct | undefined {
  return stack.node.findAll().find((node) => {
    if (TerraformDataSource.isTerraformDataSource(node)) {
      return address === `data.${node.terraformResourceType}.${node.friendlyUniqueId}`;
    }
    const resource = node as Partial<{ terraformResourceType: string; friendlyUniqueId: string }>;
    return typeof resource.terraformResourceType === 'string' && address === `${resource.terraformResourceType}.${resource.friendlyUniqueId}`;
  });
}
