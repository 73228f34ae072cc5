import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginMirror, terraform, writeMirrorCliConfig } from '../../bin/lib/terraform';
import { EMULATOR_CREDENTIALS } from '../../facts/emulator';
import { STACK_NAMES } from '../../facts/synth-output';
import { startMoto, type MotoServer } from '../support/moto';
import { synthesizeApp } from '../support/stack';
import { missingTools, MOTO_SERVER, TERRAFORM } from '../support/tools';

/**
 * Part of `npm run test:terraform`, in its own file so that jest runs it beside terraform.test.ts (one worker each):
 * the same NAME_PREFIX applied to moto_server in two regions from one checkout, and `terraform validate` of both
 * stacks over a matrix of configurations.
 */
const skipReason = missingTools([TERRAFORM, MOTO_SERVER]);
if (skipReason !== undefined) console.warn(`terraform-regions.test.ts ${skipReason}`);
const suite = skipReason === undefined ? describe : describe.skip;

jest.setTimeout(240_000);

const credentials = { ...EMULATOR_CREDENTIALS };

suite('one NAME_PREFIX in two regions of one account, from one checkout', () => {
  const regions = ['eu-west-1', 'ap-southeast-2'] as const;
  let moto: MotoServer;
  let workDir: string;
  let cliConfigFile: string | undefined;
  const applied = new Set<string>();
  /** The region cdktf.out and the stack folder's backend are set up for. */
  let current: string | undefined;

  // Both regions synthesize into the same cdktf.out, as `AWS_REGION=… npm run synth` does in one checkout; only the
  // bucket is named per region here, because the localstack stack keeps the seed's (global) bucket name on purpose.
  const synth = (region: string) =>
    synthesizeApp(join(workDir, 'cdktf.out'), {
      AWS_REGION: region,
      LOCALSTACK_ENDPOINT: moto.endpoint,
      BUCKET_NAME: `nginx-access-logs-s3-${region}`,
      CATALOG: 'off',
    });
  const tf = (args: string[], allow: number[] = [0]) =>
    terraform(args, { cwd: join(workDir, 'cdktf.out', 'stacks', 'localstack'), cliConfigFile }, allow);

  beforeAll(async () => {
    moto = await startMoto();
    workDir = mkdtempSync(join(tmpdir(), 'nginx-stack-regions-'));
    const mirror = pluginMirror();
    cliConfigFile = mirror === undefined ? undefined : writeMirrorCliConfig(join(workDir, 'terraform.rc'), mirror);
  });

  /** Synthesizes the region into the shared cdktf.out and points the stack folder at its state. */
  const switchTo = async (region: string) => {
    await synth(region);
    // The stack folder is shared by both regions: -reconfigure switches to this region's state without migrating.
    await tf(['init', '-reconfigure', '-no-color', '-input=false']);
    current = region;
  };

  afterAll(async () => {
    try {
      // The region set up last first, so only the other one is synthesized again.
      for (const region of [...applied].sort((a, b) => Number(b === current) - Number(a === current))) {
        if (region !== current) await switchTo(region);
        await tf(['destroy', '-auto-approve', '-no-color', '-input=false']);
      }
    } finally {
      await moto?.stop();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    }
  });

  it.each(regions)('applies in %s without colliding with the other region or taking over its state', async (region) => {
    await switchTo(region);
    const plan = await tf(['plan', '-no-color', '-input=false', '-detailed-exitcode', `-out=${region}.tfplan`], [2]);
    // Nothing to change or destroy: the other region's resources are in the other region's state file.
    expect(plan.stdout).toMatch(/Plan: \d+ to add, 0 to change, 0 to destroy\./);
    await tf(['apply', '-auto-approve', '-no-color', '-input=false', `${region}.tfplan`]);
    applied.add(region);
    expect(existsSync(join(workDir, `terraform.localstack.${region}.tfstate`))).toBe(true);
  });

  it('has the account-wide names of both regions side by side', async () => {
    const iam = new IAMClient({ endpoint: moto.endpoint, region: regions[0], credentials });
    const { Roles = [] } = await iam.send(new ListRolesCommand({}));
    for (const region of regions) {
      expect(Roles.map((r) => r.RoleName)).toEqual(
        expect.arrayContaining([
          `nginx-access-logs-agent-${region}`,
          `nginx-access-logs-parser-${region}`,
          `nginx-access-logs-to-s3-firehose-${region}`,
        ]),
      );
    }
  });
});

suite('terraform validate over a matrix of configurations', () => {
  let workDir: string;
  let initDir: string;
  let cliConfigFile: string | undefined;

  // Two broad configurations rather than one per concern: every optional part on, at the longest allowed names, with a
  // LOG_FORMAT that holds every character Terraform or JSON could misread, proves what four narrower ones did.
  const matrix: Array<[string, NodeJS.ProcessEnv]> = [
    ['defaults', {}],
    [
      'everything on, at the longest allowed names, with a LOG_FORMAT holding ${…}, %{…}, quotes and backslashes',
      {
        NAME_PREFIX: `n${'-x'.repeat(15)}9`,
        AWS_REGION: 'ap-southeast-5',
        CATALOG: 'on',
        ALARM_EMAIL: 'ops@example.com',
        WEB_HOST: 'on',
        WEB_HOST_SUBNET_ID: 'subnet-0123456789abcdef0',
        WEB_HOST_SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
        WEB_HOST_HTTP_CIDR: '203.0.113.0/24',
        WEB_HOST_SSM: 'on',
        BUCKET_KMS_KEY_ARN: 'arn:aws:kms:ap-southeast-5:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        STREAM_SHARDS: 'on-demand',
        TF_STATE_BUCKET: 'team-terraform-state',
        LOG_FORMAT: `\${remote_addr} - $remote_user [$time_local] "$request" $status \${body_bytes_sent}b "%{x}" '\\\\"' "$http_user_agent"`,
      },
    ],
  ];
  const outdir = (env: NodeJS.ProcessEnv) => join(workDir, `out-${matrix.findIndex(([, e]) => e === env)}`);

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'nginx-stack-validate-'));
    initDir = join(workDir, 'init');
    mkdirSync(initDir);
    const mirror = pluginMirror();
    cliConfigFile = mirror === undefined ? undefined : writeMirrorCliConfig(join(workDir, 'terraform.rc'), mirror);
    // One provider install for every configuration (each stack folder links to it), made while the app synthesizes.
    writeFileSync(
      join(initDir, 'main.tf.json'),
      JSON.stringify({ terraform: { required_providers: { aws: { source: 'aws', version: '5.100.0' } } } }),
    );
    await Promise.all([
      terraform(['init', '-backend=false', '-no-color', '-input=false'], { cwd: initDir, cliConfigFile }),
      ...matrix.map(([, env]) => synthesizeApp(outdir(env), env)),
    ]);
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it.each(matrix)('%s: both stacks synthesize and validate', async (_name, env) => {
    // Both stacks at once (validate is mostly the provider's schema load, one core each), each in its own folder.
    const results = await Promise.all(
      STACK_NAMES.map(async (stack) => {
        const dir = join(outdir(env), 'stacks', stack);
        if (env.LOG_FORMAT !== undefined) expect(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')).toContain('$${remote_addr}');
        symlinkSync(join(initDir, '.terraform'), join(dir, '.terraform'));
        copyFileSync(join(initDir, '.terraform.lock.hcl'), join(dir, '.terraform.lock.hcl'));
        const { stdout } = await terraform(['validate', '-no-color', '-json'], { cwd: dir, cliConfigFile });
        return [stack, JSON.parse(stdout) as unknown];
      }),
    );
    for (const result of results) {
      expect(result).toEqual([result[0], expect.objectContaining({ valid: true, error_count: 0 })]);
    }
  });
});
