/**
 * Deploys the synthesized `localstack` stack to a running LocalStack with plain terraform.
 *
 *   npm run deploy:local              # synth, then terraform init + apply -auto-approve
 *   npm run deploy:local -- --destroy # terraform destroy -auto-approve
 *
 * LOCALSTACK_ENDPOINT (default http://localhost:4566) must be the same for the synth and the deploy; the npm script
 * runs both with your environment. Uses the offline provider mirror (TF_PLUGIN_MIRROR, or /opt/tf-plugins when it
 * exists) through a project-local CLI config; elsewhere terraform installs hashicorp/aws from the registry.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_NAMES } from '../facts/names';
import { DEFAULT_LOCAL_STACK, stackDir } from '../facts/synth-output';
import { LOCALSTACK_SERVICES } from '../stacks/target';
import { checkLegacyLocalState, findExecutable, pluginMirror, terraform, TERRAFORM_INSTALL_HINT, writeMirrorCliConfig } from './lib/terraform';


async function main(argv: readonly string[]): Promise<void> {
  const destroy = argv.includes('--destroy');
  const unknown = argv.filter((arg) => arg !== '--destroy');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(' ')}; usage: npm run deploy:local [-- --destroy]`);
  if (findExecutable('terraform') === undefined) throw new Error(`terraform is not on PATH: ${TERRAFORM_INSTALL_HINT}`);

  const endpoint = (process.env.LOCALSTACK_ENDPOINT ?? DEFAULT_NAMES.localstackEndpoint).replace(/\/+$/, '');
  await checkLocalStack(endpoint);

  const dir = stackDir(process.cwd(), DEFAULT_LOCAL_STACK);
  if (!existsSync(join(dir, 'cdk.tf.json'))) throw new Error(`${dir}/cdk.tf.json is missing: run \`npm run synth\` first`);
  const synthesizedEndpoint = readEndpoint(join(dir, 'cdk.tf.json'));
  if (synthesizedEndpoint !== endpoint) {
    throw new Error(
      `the localstack stack was synthesized for ${synthesizedEndpoint}, not ${endpoint}: run \`npm run synth\` with ` +
        `the same LOCALSTACK_ENDPOINT`,
    );
  }

  checkLegacyLocalState(JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')), dir);
  const mirror = pluginMirror();
  const cliConfigFile = mirror ? writeMirrorCliConfig(resolve('.tmp', 'terraform.rc'), mirror) : undefined;
  const options = { cwd: dir, cliConfigFile, inherit: true };
  console.log(`terraform in ${dir} against ${endpoint}${mirror ? ` (providers from ${mirror})` : ''}`);
  await terraform(['init', '-input=false'], options);
  if (destroy) {
    await terraform(['destroy', '-auto-approve', '-input=false'], options);
    return;
  }
  await terraform(['apply', '-auto-approve', '-input=false'], options);
  console.log('\ndeployed: `npm run agent-config -- localstack` writes the agent.json for this stack');
}

/** Fails with what to do when LocalStack is not up, and warns about services it does not run. */
async function checkLocalStack(endpoint: string): Promise<void> {
  const url = `${endpoint}/_localstack/health`;
  let health: { services?: Record<string, string> };
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    health = (await response.json()) as { services?: Record<string, string> };
  } catch (error) {
    throw new Error(
      `LocalStack does not answer at ${url} (${(error as Error).message}): start it with \`localstack/run.sh up\`, ` +
        'or set LOCALSTACK_ENDPOINT to where it runs',
      { cause: error },
    );
  }
  const unavailable = LOCALSTACK_SERVICES.filter((service) => {
    const state = health.services?.[service];
    return state === undefined || state === 'disabled' || state === 'error';
  });
  if (unavailable.length > 0) {
    console.warn(`warning: LocalStack reports these services unavailable: ${unavailable.join(', ')} (SERVICES=…)`);
  }
}

function readEndpoint(file: string): string | undefined {
  const stack = JSON.parse(readFileSync(file, 'utf8')) as {
    provider?: { aws?: Array<{ endpoints?: Array<Record<string, string>> }> };
  };
  return stack.provider?.aws?.[0]?.endpoints?.[0]?.kinesis;
}

main(process.argv.slice(2)).catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
