/**
 * Shared shapes for the policy rules: a synthesized stack as plain Terraform JSON, and what a rule reports.
 *
 * Rules read the resolved Terraform JSON (the same document `cdktf synth` writes), never constructs, so each rule is
 * a pure function that can be tested with a literal object and can also be run on a `cdk.tf.json` file.
 */

/** Deployment target the rules are evaluated for: some rules apply to AWS only (LocalStack ignores encryption). */
export type PolicyTarget = 'aws' | 'localstack';

import type { TerraformDocument } from '../../facts/terraform-json';

export {
  blocks,
  dataSourcesOfType,
  firstBlock,
  refersTo,
  resourcesOfType,
  type TerraformBlock,
  type TerraformDocument,
} from '../../facts/terraform-json';

/** A broken rule: the Terraform address of the offending block and a message that says how to fix it. */
export interface Violation {
  readonly ruleId: string;
  /** Terraform address, e.g. `aws_s3_bucket.LogBucket_Bucket_1A2B3C` or `data.aws_iam_policy_document.x`. */
  readonly address: string;
  readonly message: string;
}

/** What a rule knows besides the document. */
export interface RuleContext {
  readonly target: PolicyTarget;
  /**
   * Reasons recorded for IAM statements that must use `Resource: "*"`, keyed by `<address>#<sid>`.
   *
   * @default - none recorded
   */
  readonly wildcardReasons?: ReadonlyMap<string, string>;
}

/** A policy rule: an id, a one-line summary, the targets it applies to, and a pure check. */
export interface PolicyRule {
  readonly id: string;
  readonly summary: string;
  readonly targets: readonly PolicyTarget[];
  check(doc: TerraformDocument, context: RuleContext): Violation[];
}
