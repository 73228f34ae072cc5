import { FirehoseClient, DescribeDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { GetInstanceProfileCommand, GetPolicyCommand, GetPolicyVersionCommand, IAMClient } from '@aws-sdk/client-iam';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetBucketEncryptionCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMULATOR_CREDENTIALS } from '../../facts/emulator';
import { NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { kinesisClient, s3Client } from '../../pipeline/clients';
import { freePort, startMoto, type MotoServer } from '../support/moto';
import { prepareLocalStack, PROJECT_ROOT, synthesizeApp, type LocalStackWorkspace } from '../support/stack';
import { missingTools, MOTO_SERVER, TERRAFORM } from '../support/tools';

/**
 * `npm run test:terraform`: the localstack stack, synthesized by the real app and pointed at moto_server, goes through
 * terraform init/validate/plan/apply; the AWS SDK then checks what exists; destroy; moto is stopped by its PID.
 * terraform-regions.test.ts (two regions, the validate matrix) runs beside it in the other jest worker.
 */
const skipReason = missingTools([TERRAFORM, MOTO_SERVER]);
if (skipReason !== undefined) console.warn(`terraform.test.ts ${skipReason}`);
const suite = skipReason === undefined ? describe : describe.skip;

jest.setTimeout(240_000);

const credentials = { ...EMULATOR_CREDENTIALS };

suite('the localstack stack against moto_server', () => {
  let moto: MotoServer;
  let workDir: string;
  let ws: LocalStackWorkspace;
  let region: string;
  let outputs: Record<string, string>;
  let applied = false;

  beforeAll(async () => {
    // The web host's Session Manager access attaches an AWS-managed policy.
    moto = await startMoto({ awsManagedPolicies: true });
    workDir = mkdtempSync(join(tmpdir(), 'nginx-stack-tf-'));
    // Everything on, so terraform proves the optional parts too: catalog, alarm topic and web host with its own
    // HTTP security group (in moto's default VPC) and Session Manager access.
    ws = await prepareLocalStack(moto.endpoint, workDir, {
      CATALOG: 'on',
      WEB_HOST: 'on',
      WEB_HOST_HTTP_CIDR: '203.0.113.0/24',
      WEB_HOST_SSM: 'on',
      ALARM_EMAIL: 'ops@example.com',
    });
    region = ((ws.json.provider as { aws: Array<{ region: string }> }).aws[0]!).region;
  });

  afterAll(async () => {
    try {
      if (applied) {
        // moto 5.2.1 does not implement Athena DeleteNamedQuery (HTTP 500, which the provider retries for many
        // minutes): forget the named queries, whose existence was checked, before destroying the rest.
        const { stdout } = await ws.terraform(['state', 'list']);
        const queries = stdout.split('\n').filter((address) => address.startsWith('aws_athena_named_query.'));
        if (queries.length > 0) await ws.terraform(['state', 'rm', ...queries]);
        await ws.terraform(['destroy', '-auto-approve', '-no-color', '-input=false']);
      }
    } finally {
      await moto?.stop();
      if (workDir) rmSync(workDir, { recursive: true, force: true });
    }
  });

  it('points every provider endpoint at moto', () => {
    const endpoints = (ws.json.provider as { aws: Array<{ endpoints: Array<Record<string, string>> }> }).aws[0]!.endpoints[0]!;
    expect(new Set(Object.values(endpoints))).toEqual(new Set([moto.endpoint]));
  });

  it('inits (from the offline provider mirror where there is one) and validates', async () => {
    const init = await ws.terraform(['init', '-no-color', '-input=false']);
    expect(init.stdout).toMatch(/Installing hashicorp\/aws v5\.100\.0/);
    const validate = await ws.terraform(['validate', '-no-color', '-json']);
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, error_count: 0 });
  });

  it('plans to create every synthesized resource', async () => {
    const resources = Object.values(ws.json.resource as Record<string, Record<string, unknown>>).reduce(
      (count, blocks) => count + Object.keys(blocks).length,
      0,
    );
    // Saved, so that apply carries out this very plan instead of computing it again.
    const plan = await ws.terraform(['plan', '-no-color', '-input=false', '-detailed-exitcode', '-out=create.tfplan'], [2]);
    expect(plan.stdout).toContain(`Plan: ${resources} to add, 0 to change, 0 to destroy.`);
  });

  it('applies', async () => {
    await ws.terraform(['apply', '-auto-approve', '-no-color', '-input=false', 'create.tfplan']);
    applied = true;
    outputs = (await ws.outputs()) as Record<string, string>;
    expect(outputs).toMatchObject({
      stream_name: 'nginx-access-logs',
      bucket_name: 'nginx-access-logs-s3',
      delivery_stream_name: 'nginx-access-logs-to-s3',
      parser_function_name: 'nginx-access-logs-parser',
    });
  });

  it('created the stream with one shard and 24 h retention', async () => {
    const kinesis = kinesisClient({ endpoint: moto.endpoint, region, env: {} });
    const { StreamDescriptionSummary: s } = await kinesis.send(
      new DescribeStreamSummaryCommand({ StreamName: outputs.stream_name }),
    );
    expect([s?.StreamStatus, s?.OpenShardCount, s?.RetentionPeriodHours]).toEqual(['ACTIVE', 1, 24]);
  });

  it('created the bucket', async () => {
    const s3 = s3Client({ endpoint: moto.endpoint, region, env: {} });
    await expect(s3.send(new HeadBucketCommand({ Bucket: outputs.bucket_name }))).resolves.toBeDefined();
  });

  it('protected the bucket: public access blocked, SSE-S3 (the TLS-only policy is AWS-only: moto is plain http)', async () => {
    const s3 = s3Client({ endpoint: moto.endpoint, region, env: {} });
    const { PublicAccessBlockConfiguration: block } = await s3.send(
      new GetPublicAccessBlockCommand({ Bucket: outputs.bucket_name }),
    );
    expect(block).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const { ServerSideEncryptionConfiguration: sse } = await s3.send(
      new GetBucketEncryptionCommand({ Bucket: outputs.bucket_name }),
    );
    expect(sse?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBe('AES256');
  });

  it('created the catalog, the workgroup, the alarms with their dimensions and the web host', async () => {
    const { stdout } = await ws.terraform(['show', '-json', '-no-color']);
    const state = JSON.parse(stdout) as { values: { root_module: { resources: StateResource[] } } };
    const byType = (type: string) => state.values.root_module.resources.filter((r) => r.type === type);
    expect(byType('aws_glue_catalog_table')[0]?.values).toMatchObject({
      name: 'access_log',
      parameters: expect.objectContaining({
        'projection.datehour.format': 'yyyy/MM/dd/HH',
        'storage.location.template': 's3://nginx-access-logs-s3/nginx/${datehour}/',
      }),
    });
    expect(byType('aws_athena_workgroup')[0]?.values).toMatchObject({
      configuration: [expect.objectContaining({ enforce_workgroup_configuration: true })],
    });
    expect(byType('aws_athena_named_query')).toHaveLength(3);
    // The metric-math alarm carries its dimensions in its metric queries.
    const alarms = byType('aws_cloudwatch_metric_alarm');
    const dimensions = alarms.map((a) => Object.keys((a.values.dimensions as object | null) ?? {}));
    const stalled = alarms.find((a) => a.values.alarm_name === 'nginx-access-logs-firehose-not-reading');
    expect((stalled?.values.metric_query as Array<{ id: string }>).map((q) => q.id).sort()).toEqual(['incoming', 'read', 'stalled']);
    expect(byType('aws_cloudwatch_dashboard')[0]?.values).toMatchObject({ dashboard_name: `nginx-access-logs-${region}` });
    expect(byType('aws_security_group')[0]?.values).toMatchObject({
      ingress: [expect.objectContaining({ from_port: 80, cidr_blocks: ['203.0.113.0/24'] })],
    });
    expect(dimensions.flat().sort()).toEqual([
      'DeliveryStreamName',
      'DeliveryStreamName',
      'DeliveryStreamName',
      'FunctionName',
      'FunctionName',
      'StreamName',
      'StreamName',
      'StreamName',
    ]);
    expect(byType('aws_sns_topic_subscription')[0]?.values).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com' });
    expect(byType('aws_instance')[0]?.values).toMatchObject({ iam_instance_profile: `nginx-access-logs-agent-${region}` });
    expect(byType('aws_iam_role_policy_attachment').map((a) => a.values.policy_arn)).toContain(
      'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    );
  });

  it('created the function as configured', async () => {
    const lambda = new LambdaClient({ endpoint: moto.endpoint, region, credentials });
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: outputs.parser_function_name }));
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 120,
      MemorySize: 256,
      Architectures: ['arm64'],
      Environment: { Variables: { LOG_FORMAT: NGINX_MAIN_FORMAT } },
    });
  });

  it('created the delivery stream: stream source, bucket, prefixes, logging and the parser as processor', async () => {
    const firehose = new FirehoseClient({ endpoint: moto.endpoint, region, credentials });
    const { DeliveryStreamDescription: d } = await firehose.send(
      new DescribeDeliveryStreamCommand({ DeliveryStreamName: outputs.delivery_stream_name }),
    );
    expect(d?.Source?.KinesisStreamSourceDescription?.KinesisStreamARN).toMatch(/:stream\/nginx-access-logs$/);
    const s3 = d?.Destinations?.[0]?.ExtendedS3DestinationDescription;
    expect(s3).toMatchObject({
      BucketARN: 'arn:aws:s3:::nginx-access-logs-s3',
      Prefix: 'nginx/',
      ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/',
      BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 5 },
      CompressionFormat: 'UNCOMPRESSED',
      CloudWatchLoggingOptions: { Enabled: true, LogStreamName: 'DestinationDelivery' },
    });
    const [processor] = s3?.ProcessingConfiguration?.Processors ?? [];
    const parameters = Object.fromEntries((processor?.Parameters ?? []).map((p) => [p.ParameterName, p.ParameterValue]));
    expect(processor?.Type).toBe('Lambda');
    // The stack writes only the function (the rest are at Firehose's defaults); the API reports the effective values.
    expect(parameters).toMatchObject({
      LambdaArn: expect.stringMatching(/:function:nginx-access-logs-parser$/),
      NumberOfRetries: '3',
      BufferSizeInMBs: '1',
      BufferIntervalInSeconds: '60',
    });
  });

  it('created the agent policy scoped to the stream and the agent metrics namespace, on an instance profile', async () => {
    const iam = new IAMClient({ endpoint: moto.endpoint, region, credentials });
    const { Policy } = await iam.send(new GetPolicyCommand({ PolicyArn: outputs.agent_policy_arn }));
    const { PolicyVersion } = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: outputs.agent_policy_arn, VersionId: Policy?.DefaultVersionId }),
    );
    const document = JSON.parse(decodeURIComponent(PolicyVersion?.Document ?? '')) as {
      Statement: Array<{ Sid: string; Action: string | string[]; Resource: string | string[]; Condition?: unknown }>;
    };
    const bySid = Object.fromEntries(document.Statement.map((s) => [s.Sid, s]));
    // Exactly our agent's calls: PutRecords, its metrics, and reading its own bundle once at install.
    expect(document.Statement.flatMap((s) => s.Action).sort()).toEqual(['cloudwatch:PutMetricData', 'kinesis:PutRecords', 's3:GetObject']);
    expect(bySid.WriteLogStream).toMatchObject({
      Action: 'kinesis:PutRecords',
      Resource: expect.stringMatching(/^arn:aws:kinesis:[a-z0-9-]+:\d{12}:stream\/nginx-access-logs$/),
    });
    // The web host runs our agent (the default): its namespace, and read access to exactly its bundle object.
    expect(bySid.PutAgentMetrics).toMatchObject({
      Action: 'cloudwatch:PutMetricData',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'NginxLogAgent' } },
    });
    expect(bySid.ReadAgentBundle).toMatchObject({
      Action: 's3:GetObject',
      Resource: expect.stringMatching(/^arn:aws:s3:::nginx-access-logs-s3\/agent\/nginx-log-agent-[0-9a-f]{16}\.js$/),
    });
    const { InstanceProfile } = await iam.send(
      new GetInstanceProfileCommand({ InstanceProfileName: outputs.agent_instance_profile_name }),
    );
    expect(InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual([`nginx-access-logs-agent-${region}`]);
  });

  it('uploaded the agent bundle the web host installs, byte for byte', async () => {
    const s3 = s3Client({ endpoint: moto.endpoint, region, env: {} });
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: outputs.bucket_name, Prefix: 'agent/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([expect.stringMatching(/^agent\/nginx-log-agent-[0-9a-f]{16}\.js$/)]);
    const object = await s3.send(new GetObjectCommand({ Bucket: outputs.bucket_name, Key: listed.Contents![0]!.Key }));
    const body = Buffer.from(await object.Body!.transformToByteArray());
    expect(body.equals(readFileSync(join(PROJECT_ROOT, 'dist', 'agent', 'nginx-log-agent.js')))).toBe(true);
  });

  it('plans no change afterwards: nothing drifts, not even the processor parameters', async () => {
    await ws.terraform(['plan', '-no-color', '-input=false', '-out=after.tfplan'], [0]);
    const { stdout } = await ws.terraform(['show', '-json', '-no-color', 'after.tfplan']);
    const changes = (JSON.parse(stdout) as { resource_changes?: PlannedChange[] }).resource_changes ?? [];
    const changed = changes.filter((c) => !c.change.actions.every((a) => a === 'no-op' || a === 'read'));
    expect(changed.map((c) => `${c.type}.${c.name}: ${c.change.actions.join('+')}`)).toEqual([]);
  });
});

describe('the stack CLIs', () => {
  let workDir: string;
  const run = (script: string, args: string[], env: NodeJS.ProcessEnv) =>
    spawnSync(process.execPath, [join(PROJECT_ROOT, 'dist', 'app', 'bin', script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDKTF_OUTDIR: join(workDir, 'cdktf.out'), ...env },
      encoding: 'utf8',
    });

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'nginx-stack-cli-'));
    await synthesizeApp(join(workDir, 'cdktf.out'));
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('agent-config writes our agent\'s config of a target from its synthesized output', () => {
    const file = join(workDir, 'nginx-log-agent.json');
    const result = run('agent-config.js', ['aws', '--out', file], {});
    expect(result.status).toBe(0);
    const stack = JSON.parse(readFileSync(join(workDir, 'cdktf.out', 'stacks', 'aws', 'cdk.tf.json'), 'utf8')) as {
      output: { nginx_log_agent_json: { value: string } };
    };
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(stack.output.nginx_log_agent_json.value));
  });

  it('agent-config --agent kinesis-agent writes the agent.json of a target from its synthesized output', () => {
    const file = join(workDir, 'agent.json');
    const result = run('agent-config.js', ['aws', '--agent', 'kinesis-agent', '--out', file], {});
    expect(result.status).toBe(0);
    const stack = JSON.parse(readFileSync(join(workDir, 'cdktf.out', 'stacks', 'aws', 'cdk.tf.json'), 'utf8')) as {
      output: { agent_json: { value: string } };
    };
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(stack.output.agent_json.value));
  });

  it('agent-config names the targets when given another', () => {
    const result = run('agent-config.js', ['staging'], {});
    expect([result.status, result.stderr]).toEqual([1, expect.stringContaining('unknown target "staging": choose aws or localstack')]);
  });

  it('deploy-local fails clearly when LocalStack does not answer', async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}`;
    const result = run('deploy-local.js', [], { LOCALSTACK_ENDPOINT: endpoint });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`LocalStack does not answer at ${endpoint}/_localstack/health`);
  });

  it('deploy-local fails clearly when terraform is missing', () => {
    const result = run('deploy-local.js', [], { PATH: '/nonexistent' });
    expect([result.status, result.stderr]).toEqual([1, expect.stringContaining('terraform is not on PATH: install terraform')]);
  });
});

interface StateResource {
  type: string;
  values: Record<string, unknown>;
}

interface PlannedChange {
  type: string;
  name: string;
  change: { actions: string[] };
}
