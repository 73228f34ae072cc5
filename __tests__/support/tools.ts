import { findExecutable, TERRAFORM_INSTALL_HINT } from '../../bin/lib/terraform';

export interface Tool {
  readonly command: string;
  /** How to get it, shown when it is missing. */
  readonly install: string;
}

export const TERRAFORM: Tool = { command: 'terraform', install: TERRAFORM_INSTALL_HINT };
export const AWS_CLI: Tool = {
  command: 'aws',
  install: 'install the AWS CLI (https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html, or `pip install awscli`)',
};
export const MOTO_SERVER: Tool = {
  command: 'moto_server',
  install: 'install moto with its server: `pip install "moto[server]==5.2.1"` (provides moto_server)',
};

/**
 * Undefined when every tool is on PATH; otherwise the exact skip message naming each missing tool and how to install
 * it. With CI=true a missing tool is an error instead (CI installs them), so this throws.
 */
export function missingTools(tools: readonly Tool[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = tools.filter((tool) => findExecutable(tool.command, env.PATH) === undefined);
  if (missing.length === 0) return undefined;
  const message = missing.map((tool) => `${tool.command} is not on PATH: ${tool.install}`).join('; ');
  if (env.CI === 'true') throw new Error(`CI=true and required tools are missing: ${message}`);
  return `skipped: ${message}`;
}
