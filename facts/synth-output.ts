/**
 * Where `npm run synth` writes the stacks, and what they are called: the contract between the synth and everything
 * that reads its output (`npm start`, `verify`, `ship`, `agent-config`, `deploy:local`, the benchmarks).
 */
import { join, resolve } from 'node:path';

/** The two stacks main.ts synthesizes. */
export const STACK_NAMES = ['aws', 'localstack'] as const;
export type StackName = (typeof STACK_NAMES)[number];

/** The stack the local runtime reads when none is named. */
export const DEFAULT_LOCAL_STACK: StackName = 'localstack';

/** cdktf's output folder when `CDKTF_OUTDIR` is unset (and cdktf.json's `output`). */
export const DEFAULT_SYNTH_OUTDIR = 'cdktf.out';

/**
 * The synth's output folder: `CDKTF_OUTDIR` when set (cdktf's own variable, which the App honours), else
 * `cdktf.out`; relative to the project root, where npm scripts run the synth.
 */
export function synthOutdir(projectDir: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const outdir = env.CDKTF_OUTDIR?.trim();
  return resolve(projectDir, outdir ? outdir : DEFAULT_SYNTH_OUTDIR);
}

/** The folder of one synthesized stack: `<outdir>/stacks/<name>`. */
export function stackDir(projectDir: string, stack: string, env?: Readonly<Record<string, string | undefined>>): string {
  return join(synthOutdir(projectDir, env), 'stacks', stack);
}

/** The Terraform JSON of one synthesized stack: `<outdir>/stacks/<name>/cdk.tf.json`. */
export function stackJsonFile(projectDir: string, stack: string, env?: Readonly<Record<string, string | undefined>>): string {
  return join(stackDir(projectDir, stack, env), 'cdk.tf.json');
}
