/**
 * Shared shapes for the policy rules: a synthesized stack as plain Terraform JSON, and what a rule reports.
 *
 * Rules read the resolved Terraform JSON (the same document `cdktf synth` writes), never constructs, so each rule is
 * a pure function that can be tested with a literal object and can also be run on a `cdk.tf.json` file.
 */

/** Deployment target the rules are evaluated for: some rules apply to AWS only (LocalStack ignores encryption). */
export type PolicyTarget = 'aws' | 'localstack';

/** One resource or data-source body, as it appears in Terraform JSON. */
export type TerraformBlock = Readonly<Record<string, unknown>>;

/** The part of a synthesized Terraform JSON document the rules read. */
export interface TerraformDocument {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, TerraformBlock>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, TerraformBlock>>>>;
}

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

/** Every block of one resource type, as `[address, body]` pairs. */
export function resourcesOfType(doc: TerraformDocument, type: string): Array<[string, TerraformBlock]> {
  return Object.entries(doc.resource?.[type] ?? {}).map(([name, body]) => [`${type}.${name}`, body]);
}

/** Every block of one data-source type, as `[address, body]` pairs. */
export function dataSourcesOfType(doc: TerraformDocument, type: string): Array<[string, TerraformBlock]> {
  return Object.entries(doc.data?.[type] ?? {}).map(([name, body]) => [`data.${type}.${name}`, body]);
}

/**
 * True when `value` is a Terraform reference to the resource at `address` (any attribute), e.g.
 * `${aws_s3_bucket.logs.id}` for `aws_s3_bucket.logs`.
 */
export function refersTo(value: unknown, address: string): boolean {
  return typeof value === 'string' && value.includes(`\${${address}.`);
}

/** A nested block that Terraform JSON may hold as an object or as a one-element list. */
export function firstBlock(value: unknown): TerraformBlock | undefined {
  const block = Array.isArray(value) ? value[0] : value;
  return block !== null && typeof block === 'object' ? (block as TerraformBlock) : undefined;
}

/** A nested block list that Terraform JSON may hold as an object or as a list. */
export function blocks(value: unknown): TerraformBlock[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((b): b is TerraformBlock => b !== null && typeof b === 'object');
}
