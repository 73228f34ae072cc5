import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';

/** Where these machines keep the hashicorp/aws 5.100.0 provider; the public registry is unreachable offline. */
export const DEFAULT_PLUGIN_MIRROR = '/opt/tf-plugins';

export const TERRAFORM_INSTALL_HINT =
  'install terraform 1.x (https://developer.hashicorp.com/terraform/install, e.g. `apt-get install terraform` ' +
  'from the HashiCorp apt repository) and put it on PATH';

/** The absolute path of an executable on PATH, or undefined. */
export function findExecutable(name: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * A Terraform CLI configuration that installs hashicorp/* providers from a filesystem mirror and nothing from the
 * registry, so `terraform init` works offline.
 */
export function mirrorCliConfig(mirror: string): string {
  return [
    'provider_installation {',
    '  filesystem_mirror {',
    `    path    = ${JSON.stringify(mirror)}`,
    '    include = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '  direct {',
    '    exclude = ["registry.terraform.io/hashicorp/*"]',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Writes the mirror CLI config to `file` and returns its path (for TF_CLI_CONFIG_FILE). */
export function writeMirrorCliConfig(file: string, mirror = DEFAULT_PLUGIN_MIRROR): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, mirrorCliConfig(mirror));
  return file;
}

/** The mirror to use: TF_PLUGIN_MIRROR, else /opt/tf-plugins when present, else none (use the registry). */
export function pluginMirror(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.TF_PLUGIN_MIRROR) return env.TF_PLUGIN_MIRROR;
  return existsSync(DEFAULT_PLUGIN_MIRROR) ? DEFAULT_PLUGIN_MIRROR : undefined;
}

export interface TerraformOptions {
  /** The synthesized stack folder, e.g. cdktf.out/stacks/localstack. */
  readonly cwd: string;
  /** TF_CLI_CONFIG_FILE for the child; unset keeps the caller's. */
  readonly cliConfigFile?: string;
  /** Stream output to this process (CLIs) instead of capturing it (tests). */
  readonly inherit?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

export class TerraformError extends Error {
  constructor(
    message: string,
    public readonly exitCode: number | null,
    public readonly output: string,
  ) {
    super(message);
  }
}

/**
 * Runs `terraform <args>` non-interactively and resolves with its captured stdout (empty when inherited).
 * Rejects with the command, the exit code and the output tail; `allowExitCodes` accepts e.g. plan's 2.
 */
export function terraform(
  args: readonly string[],
  options: TerraformOptions,
  allowExitCodes: readonly number[] = [0],
): Promise<{ stdout: string; exitCode: number }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
  };
  if (options.cliConfigFile) env.TF_CLI_CONFIG_FILE = options.cliConfigFile;
  return new Promise((resolve, reject) => {
    const child = spawn('terraform', [...args], {
      cwd: options.cwd,
      env,
      stdio: options.inherit ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error) =>
      reject(new TerraformError(`terraform ${args[0]} could not start: ${error.message}; ${TERRAFORM_INSTALL_HINT}`, null, '')),
    );
    child.on('close', (code) => {
      if (code !== null && allowExitCodes.includes(code)) {
        resolve({ stdout, exitCode: code });
        return;
      }
      const tail = output.length > 6000 ? `…${output.slice(-6000)}` : output;
      reject(new TerraformError(`terraform ${args.join(' ')} exited with ${code} in ${options.cwd}\n${tail}`, code, output));
    });
  });
}

/** `terraform output -json` as name → value. */
export async function terraformOutputs(options: TerraformOptions): Promise<Record<string, unknown>> {
  const { stdout } = await terraform(['output', '-json', '-no-color'], { ...options, inherit: false });
  const parsed = JSON.parse(stdout) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(parsed).map(([name, o]) => [name, o.value]));
}

/**
 * Stops a deploy that would start from empty state while the state of the earlier layout (`terraform.<stack>.tfstate`,
 * before state was kept per region) sits beside it: terraform would try to create every resource a second time.
 * `stackJson` is the synthesized Terraform JSON, `stackDir` its folder. Throws with the move that fixes it.
 */
export function checkLegacyLocalState(stackJson: unknown, stackDir: string): void {
  const backend = (stackJson as { terraform?: { backend?: { local?: { path?: unknown } } } }).terraform?.backend?.local;
  const path = typeof backend?.path === 'string' ? backend.path : undefined;
  const layout = path === undefined ? null : /^(.*\/)?terraform\.([^./]+)\.[a-z0-9-]+\.tfstate$/.exec(path);
  if (path === undefined || layout === null) return;
  const current = resolve(stackDir, path);
  const legacy = resolve(stackDir, `${layout[1] ?? ''}terraform.${layout[2]}.tfstate`);
  if (existsSync(legacy) && !existsSync(current)) {
    throw new Error(
      `${legacy} holds this stack's state from before state was kept per region; terraform would now start from ` +
        `${current}, which does not exist, and create everything again. Move it once: mv ${legacy} ${current}`,
    );
  }
}
