/**
 * Reading synthesized Terraform JSON (what `cdktf synth` writes to `cdk.tf.json`) as plain data: the policy rules
 * and the local runtime's stack reader share these, so both read nested blocks and references the same way.
 */

/** One resource or data-source body, or a nested block, as it appears in Terraform JSON. */
export type TerraformBlock = Readonly<Record<string, unknown>>;

/** The parts of a synthesized Terraform JSON document that are read here. */
export interface TerraformDocument {
  readonly resource?: Readonly<Record<string, Readonly<Record<string, TerraformBlock>>>>;
  readonly data?: Readonly<Record<string, Readonly<Record<string, TerraformBlock>>>>;
}

/** True for a JSON object (not null, not an array). */
export function isBlock(value: unknown): value is TerraformBlock {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  return isBlock(block) ? block : undefined;
}

/** A nested block list that Terraform JSON may hold as an object or as a list. */
export function blocks(value: unknown): TerraformBlock[] {
  if (value === undefined || value === null) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter(isBlock);
}
