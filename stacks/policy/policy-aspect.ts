import { IConstruct } from 'constructs';
import { Annotations, IAspect, TerraformStack } from 'cdktf';
import { bucketEncrypted } from './bucket-encryption';
import { iamNoWildcardResource } from './iam-wildcard-resource';
import { logGroupRetention } from './log-group-retention';
import { noPublicBucket } from './no-public-bucket';
import { streamEncrypted } from './stream-encryption';
import { PolicyRule, PolicyTarget, RuleContext, TerraformDocument, Violation } from './types';
import { constructAt, wildcardReasons } from './wildcard-reason';

/** The rules every stack of this app must pass. */
export const DEFAULT_RULES: readonly PolicyRule[] = [
  noPublicBucket,
  bucketEncrypted,
  streamEncrypted,
  iamNoWildcardResource,
  logGroupRetention,
];

/** Runs the rules that apply to `context.target` over a synthesized document; pure. */
export function checkPolicy(
  doc: TerraformDocument,
  context: RuleContext,
  rules: readonly PolicyRule[] = DEFAULT_RULES,
): Violation[] {
  return rules.filter((rule) => rule.targets.includes(context.target)).flatMap((rule) => rule.check(doc, context));
}

/** One line per violation, as printed when synth fails. */
export function formatViolation(v: Violation): string {
  return `[policy ${v.ruleId}] ${v.address} ${v.message}`;
}

export interface PolicyAspectProps {
  /** The stack's deployment target: encryption rules apply to `aws` only. */
  readonly target: PolicyTarget;
  /**
   * Rules to run.
   *
   * @default - DEFAULT_RULES (public bucket, bucket and stream encryption, IAM wildcard, log retention)
   */
  readonly rules?: readonly PolicyRule[];
}

/**
 * Fails synth when a stack breaks a policy rule.
 *
 * When it visits a stack it resolves the stack to Terraform JSON, runs the rules, and adds one error annotation per
 * violation on the offending construct; cdktf then refuses to write the stack and prints every message. Add it with
 * `Aspects.of(stack).add(new PolicyAspect({ target }))`; use `checkPolicy` directly to inspect a document.
 */
export class PolicyAspect implements IAspect {
  /** Violations found at the last visit (empty when compliant), for tests and tooling. */
  public violations: readonly Violation[] = [];

  constructor(private readonly props: PolicyAspectProps) {}

  visit(node: IConstruct): void {
    if (!TerraformStack.isStack(node)) return;
    const doc = node.toTerraform() as TerraformDocument;
    this.violations = checkPolicy(doc, { target: this.props.target, wildcardReasons: wildcardReasons(node) }, this.props.rules);
    for (const violation of this.violations) {
      Annotations.of(constructAt(node, violation.address) ?? node).addError(formatViolation(violation));
    }
  }
}
