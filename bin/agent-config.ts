/**
 * Writes an agent's configuration for a target from the synthesized stack's outputs: our agent's (`nginx_log_agent_json`,
 * the default) or the Kinesis Agent's agent.json (`agent_json`, with `--agent kinesis-agent`).
 *
 *   npm run agent-config -- <aws|localstack> [--agent nginx-log-agent|kinesis-agent] [--out FILE]
 *
 * The output is literal JSON in cdktf.out/stacks/<target>/cdk.tf.json, so no terraform run is needed.
 * Default file: cdktf.out/stacks/<target>/nginx-log-agent.json (copy it to /etc/nginx-log-agent/config.json) or
 * agent.json (copy it to /etc/aws-kinesis/agent.json).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { STACK_NAMES, stackJsonFile } from '../facts/synth-output';
import { fromTerraformLiteral } from '../facts/terraform-literal';

const USAGE = 'usage: npm run agent-config -- <aws|localstack> [--agent nginx-log-agent|kinesis-agent] [--out FILE]';
const AGENTS = {
  'nginx-log-agent': { output: 'nginx_log_agent_json', file: 'nginx-log-agent.json', what: 'our agent (/etc/nginx-log-agent/config.json)' },
  'kinesis-agent': { output: 'agent_json', file: 'agent.json', what: 'Kinesis Agent (/etc/aws-kinesis/agent.json)' },
} as const;

function main(argv: readonly string[]): void {
  const [target, ...args] = argv;
  if (!STACK_NAMES.includes(target as (typeof STACK_NAMES)[number])) {
    throw new Error(`${USAGE}\nunknown target ${JSON.stringify(target ?? '')}: choose ${STACK_NAMES.join(' or ')}`);
  }
  const agentAt = args.indexOf('--agent');
  const agentName = agentAt === -1 ? 'nginx-log-agent' : args[agentAt + 1];
  if (!(agentName !== undefined && agentName in AGENTS)) {
    throw new Error(`${USAGE}\nunknown agent ${JSON.stringify(agentName ?? '')}: choose ${Object.keys(AGENTS).join(' or ')}`);
  }
  const agent = AGENTS[agentName as keyof typeof AGENTS];
  const rest = agentAt === -1 ? args : [...args.slice(0, agentAt), ...args.slice(agentAt + 2)];
  const outIndex = rest.indexOf('--out');
  if (rest.length > 0 && (outIndex !== 0 || rest.length !== 2)) throw new Error(USAGE);
  const stackFile = stackJsonFile(process.cwd(), target!);
  if (!existsSync(stackFile)) throw new Error(`${stackFile} is missing: run \`npm run synth\` first`);

  const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as { output?: Record<string, { value?: unknown }> };
  const written = stack.output?.[agent.output]?.value;
  if (typeof written !== 'string') throw new Error(`${stackFile} has no ${agent.output} output: run \`npm run synth\` again`);
  // What Terraform outputs: the stack escapes the user's log format so Terraform keeps its ${…} and %{…} literally.
  const value = fromTerraformLiteral(written);
  JSON.parse(value); // the output must be complete JSON, not a Terraform expression

  const file = resolve(outIndex === 0 ? rest[1]! : join(dirname(stackFile), agent.file));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${value}\n`);
  console.log(`wrote ${file} (${agent.what} configuration for the ${target} stack)`);
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
