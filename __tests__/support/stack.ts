import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pluginMirror, terraform, terraformOutputs, writeMirrorCliConfig } from '../../bin/lib/terraform';

export const PROJECT_ROOT = resolve(__dirname, '..', '..');
const APP = join(PROJECT_ROOT, 'dist', 'app', 'main.js');

/**
 * Runs the real app (dist/app/main.js, as `npm run synth` does) writing into `outdir`, with extra environment
 * (e.g. LOCALSTACK_ENDPOINT). Needs `npm run build` first.
 */
export function synthesizeApp(outdir: string, env: NodeJS.ProcessEnv = {}): Promise<void> {
  if (!existsSync(APP)) throw new Error(`${APP} is missing: run \`npm run build\` first`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [APP], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env, CDKTF_OUTDIR: outdir },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolvePromise() : reject(new Error(`synth exited with ${code}:\n${stderr}`)),
    );
  });
}

export interface LocalStackWorkspace {
  /** cdktf.out/stacks/localstack inside the work folder: the plain Terraform JSON and its assets. */
  readonly dir: string;
  /** The mirror CLI config (TF_CLI_CONFIG_FILE), or undefined where no mirror exists and the registry is used. */
  readonly cliConfigFile: string | undefined;
  /** The synthesized Terraform JSON. */
  readonly json: Record<string, unknown>;
  /** Runs terraform in `dir` with the mirror CLI config, capturing output. */
  terraform(args: readonly string[], allowExitCodes?: readonly number[]): Promise<{ stdout: string; exitCode: number }>;
  outputs(): Promise<Record<string, unknown>>;
}

/**
 * Synthesizes the localstack stack pointed at `endpoint` into `workDir` and writes a Terraform CLI config there that
 * installs the AWS provider from the offline mirror (TF_PLUGIN_MIRROR, or /opt/tf-plugins when present). State lands in `workDir` too (the stack's backend
 * path is relative to its output folder), so the repository's cdktf.out and state are never touched.
 */
export async function prepareLocalStack(
  endpoint: string,
  workDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<LocalStackWorkspace> {
  const outdir = join(workDir, 'cdktf.out');
  await synthesizeApp(outdir, { ...env, LOCALSTACK_ENDPOINT: endpoint });
  const dir = join(outdir, 'stacks', 'localstack');
  const mirror = pluginMirror();
  const cliConfigFile = mirror === undefined ? undefined : writeMirrorCliConfig(join(workDir, 'terraform.rc'), mirror);
  const options = { cwd: dir, cliConfigFile };
  return {
    dir,
    cliConfigFile,
    json: JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as Record<string, unknown>,
    terraform: (args, allowExitCodes) => terraform(args, options, allowExitCodes),
    outputs: () => terraformOutputs(options),
  };
}

/**
 * Synthesizes, inits and applies the localstack stack against an emulator (moto or LocalStack); for data-path tests
 * that need the real stack in place. Call `destroy()` when done.
 */
export async function applyLocalStack(
  endpoint: string,
  workDir: string,
  env: NodeJS.ProcessEnv = {},
): Promise<LocalStackWorkspace & { destroy(): Promise<void> }> {
  const workspace = await prepareLocalStack(endpoint, workDir, env);
  await workspace.terraform(['init', '-no-color', '-input=false']);
  await workspace.terraform(['apply', '-auto-approve', '-no-color', '-input=false']);
  return {
    ...workspace,
    destroy: async () => {
      await workspace.terraform(['destroy', '-auto-approve', '-no-color', '-input=false']);
    },
  };
}
