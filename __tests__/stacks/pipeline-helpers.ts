import { TerraformDataSource, Testing } from 'cdktf';
// Declares the cdktf matchers (toHaveResourceWithProperties, …) on jest's Matchers type.
import type {} from 'cdktf/lib/testing/adapters/jest';
import { join } from 'node:path';
import { PipelineStack, type PipelineStackProps } from '../../stacks/pipeline-stack';
import type { DeploymentTarget } from '../../stacks/target';

Testing.setupJest();

/** A stand-in Lambda bundle, so synth tests do not depend on `npm run bundle`. */
export const FIXTURE_BUNDLE = join(__dirname, 'fixtures', 'nginx-parser');
/** A stand-in agent bundle, so synth tests do not depend on `npm run build`. */
export const FIXTURE_AGENT_BUNDLE = join(__dirname, 'fixtures', 'agent', 'nginx-log-agent.js');

export const AWS: DeploymentTarget = { kind: 'aws' };
export const LOCALSTACK: DeploymentTarget = { kind: 'localstack', endpoint: 'http://localhost:4566' };

type Overrides = Partial<Omit<PipelineStackProps, 'target'>>;

/** Builds a pipeline stack for a target in a fresh test app (throws what the constructs' validation throws). */
export function buildPipeline(target: DeploymentTarget, overrides: Overrides = {}): PipelineStack {
  return new PipelineStack(Testing.app(), target.kind, {
    target,
    bundleDir: FIXTURE_BUNDLE,
    agentBundlePath: FIXTURE_AGENT_BUNDLE,
    ...overrides,
  });
}

export interface Synthesized {
  readonly stack: PipelineStack;
  /** The Terraform JSON as `Testing.synth` returns it, for the cdktf matchers. */
  readonly json: string;
  readonly doc: TerraformJson;
}

const cache = new Map<string, Synthesized>();

/** A synthesized pipeline stack, memoized per target and overrides: tests only read it. */
export function synthesized(target: DeploymentTarget, overrides: Overrides = {}): Synthesized {
  const key = JSON.stringify([target, overrides]);
  let result = cache.get(key);
  if (result === undefined) {
    const stack = buildPipeline(target, overrides);
    const json = Testing.synth(stack);
    result = { stack, json, doc: JSON.parse(json) as TerraformJson };
    cache.set(key, result);
  }
  return result;
}

/** The synthesized Terraform JSON of a pipeline stack (memoized). */
export function synthPipeline(target: DeploymentTarget, overrides: Overrides = {}): string {
  return synthesized(target, overrides).json;
}

export type Block = Record<string, unknown>;
export interface TerraformJson {
  provider: Record<string, Block[]>;
  terraform: Block;
  resource: Record<string, Record<string, Block>>;
  data: Record<string, Record<string, Block>>;
  output: Record<string, { value: unknown }>;
}

/**
 * The Terraform address and body of the resource or data source at a construct path below the stack
 * (e.g. "delivery-stream/access"): tests name constructs by the ids we chose, never by generated logical ids.
 */
export function blockAt(synth: Synthesized, path: string): { address: string; body: Block } {
  const element = synth.stack.node.findAll().find((node) => node.node.path === `${synth.stack.node.id}/${path}`);
  if (element === undefined) throw new Error(`no construct at ${path}`);
  const { terraformResourceType: type, friendlyUniqueId: name } = element as unknown as {
    terraformResourceType: string;
    friendlyUniqueId: string;
  };
  const isData = TerraformDataSource.isTerraformDataSource(element);
  const body = (isData ? synth.doc.data : synth.doc.resource)[type]?.[name];
  if (body === undefined) throw new Error(`${path} (${type}) is not in the synthesized stack`);
  return { address: `${isData ? 'data.' : ''}${type}.${name}`, body };
}

/** A `${address.attribute}` reference as cdktf writes it. */
export function ref(address: string, attribute: string): string {
  return `\${${address}.${attribute}}`;
}

export interface Statement {
  sid?: string;
  actions: string[];
  resources: string[];
  condition?: Array<{ test: string; variable: string; values: string[] }>;
  principals?: Array<{ type: string; identifiers: string[] }>;
}

/** Statements of the IAM policy document at a construct path. */
export function statements(synth: Synthesized, path: string): Statement[] {
  return blockAt(synth, path).body.statement as Statement[];
}
