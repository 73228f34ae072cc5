/**
 * Writes the Kinesis Agent's agent.json for a target from the synthesized stack's `agent_json` output.
 *
 *   npm run agent-config -- <aws|localstack> [--out FILE]
 *
 * The output is literal JSON in cdktf.out/stacks/<target>/cdk.tf.json, so no terraform run is needed.
 * Default file: cdktf.out/stacks/<target>/agent.json; copy it to /etc/aws-kinesis/agent.json on the web host.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { STACK_NAMES, stackJsonFile } from '../facts/synth-output';

const USAGE = 'usage: npm run agent-config -- <aws|localstack> [--out FILE]';

function main(argv: readonly string[]): void {
  const [target, ...rest] = argv;
  if (!STACK_NAMES.includes(target as (typeof STACK_NAMES)[number])) {
    throw new Error(`${USAGE}\nunknown target ${JSON.stringify(target ?? '')}: choose ${STACK_NAMES.join(' or ')}`);
  }
  const outIndex = rest.indexOf('--out');
  if (rest.length > 0 && (outIndex !== 0 || rest.length !== 2)) throw new Error(USAGE);
  const stackFile = stackJsonFile(process.cwd(), target!);
  if (!existsSync(stackFile)) throw new Error(`${stackFile} is missing: run \`npm run synth\` first`);

  const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as { output?: Record<string, { value?: unknown }> };
  const value = stack.output?.agent_json?.value;
  if (typeof value !== 'string') throw new Error(`${stackFile} has no agent_json output`);
  JSON.parse(value); // the output must be complete JSON, not a Terraform expression

  const file = resolve(outIndex === 0 ? rest[1]! : join(dirname(stackFile), 'agent.json'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${value}\n`);
  console.log(`wrote ${file} (Kinesis Agent configuration for the ${target} stack)`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
