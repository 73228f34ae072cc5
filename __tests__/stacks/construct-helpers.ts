import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Testing, TerraformStack } from 'cdktf';

/** The synthesized Terraform JSON of a stack, as plain objects. */
export interface SynthesizedStack {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
}

/** A fresh stack with an AWS provider, for building one construct under test. */
export function testStack(): TerraformStack {
  const stack = new TerraformStack(Testing.app(), 'test');
  new AwsProvider(stack, 'aws', { region: 'ap-northeast-2' });
  return stack;
}

/** Synthesizes `stack` (aspects included) and parses the JSON. */
export function synth(stack: TerraformStack): SynthesizedStack {
  return JSON.parse(Testing.synth(stack)) as SynthesizedStack;
}

/** The bodies of every resource of one type. */
export function resourcesOf(json: SynthesizedStack, type: string): Array<Record<string, unknown>> {
  return Object.values(json.resource[type] ?? {});
}

/** The body of the only resource of a type; fails the test if there is not exactly one. */
export function onlyResource(json: SynthesizedStack, type: string): Record<string, unknown> {
  const all = resourcesOf(json, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0] as Record<string, unknown>;
}
