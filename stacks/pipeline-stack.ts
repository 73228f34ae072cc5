import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Aspects, LocalBackend, S3Backend, type S3BackendConfig, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { accountWideNames, awsBucketName, DEFAULT_NAMES, physicalNames } from '../facts/names';
import { AGENT_METRICS } from '../pipeline/agent/defaults';
import { AgentAccess } from './agent-access';
import { AgentBundle } from './agent-bundle';
import { AgentConfig } from './agent-config';
import { DELIVERY_DEFAULTS } from './defaults';
import { DeliveryStream } from './delivery-stream';
import { LogBucket } from './log-bucket';
import { LogCatalog } from './log-catalog';
import { LogQueries } from './log-queries';
import { LogStream, type StreamCapacityMode } from './log-stream';
import { ParserFunction } from './parser-function';
import { PipelineAlarms } from './pipeline-alarms';
import { PipelineDashboard } from './pipeline-dashboard';
import { PolicyAspect } from './policy/policy-aspect';
import { providerSettings, type DeploymentTarget } from './target';
import type { WebHostAgent } from './config';
import { checkBucketName } from './validate';
import { WebHost, type WebHostNetwork } from './web-host';

/** One pipeline for one target; every optional prop defaults to the original setup's value. */
export interface PipelineStackProps {
  /** AWS, or LocalStack at an endpoint. */
  readonly target: DeploymentTarget;
  /** Directory of the parser Lambda bundle (`npm run bundle` writes dist/nginx-parser). */
  readonly bundleDir: string;
  /**
   * Region of every resource.
   * @default - "ap-northeast-2", the original setup's region
   */
  readonly region?: string;
  /**
   * Prefix of every physical name: stream <prefix>, bucket <prefix>-s3, function <prefix>-parser,
   * delivery stream <prefix>-to-s3, agent role <prefix>-agent. Lowercase letters, digits and hyphens.
   * @default - "nginx-access-logs"
   */
  readonly namePrefix?: string;
  /**
   * Name of the log bucket.
   * @default - "<prefix>-s3" on LocalStack (the original setup's name); "<prefix>-s3-<account id>-<region>" on AWS, because
   * bucket names are global and the original name is surely taken
   */
  readonly bucketName?: string;
  /**
   * nginx `log_format` of the access log.
   * @default - nginx's stock `main` format
   */
  readonly logFormat?: string;
  /** Stream capacity (see LogStreamProps). @default - "provisioned" */
  readonly capacityMode?: StreamCapacityMode;
  /** Provisioned shards. @default - 1 shard when provisioned */
  readonly shardCount?: number;
  /** Stream retention. @default - 24 hours */
  readonly retentionHours?: number;
  /** Batch size Firehose hands the parser (see DeliveryStreamProps). @default - 1 MB */
  readonly processorBufferSizeMBs?: number;
  /** Firehose flush interval to S3. @default - 60 seconds */
  readonly bufferingIntervalSeconds?: number;
  /** Firehose flush size to S3. @default - 5 MB */
  readonly bufferingSizeMBs?: number;
  /** Firehose's source-record backup of every raw line under "raw/" (see DeliveryStreamProps). @default - false */
  readonly rawBackup?: boolean;
  /** Static S3 key prefix of the parsed logs. @default - "nginx/" */
  readonly prefix?: string;
  /** Days after which log objects expire. @default - never */
  readonly logExpirationDays?: number;
  /**
   * ARN of a customer-managed KMS key for the bucket's default encryption (SSE-KMS with an S3 Bucket Key); Firehose's
   * role gets kms:GenerateDataKey/Decrypt on it only via S3 in this region and only for this bucket.
   * @default - SSE-S3
   */
  readonly bucketKmsKeyArn?: string;
  /**
   * Glue table (partition projection) and Athena workgroup with named queries over the logs.
   * @default - true on AWS; false on LocalStack, whose Community edition has no Glue or Athena
   */
  readonly catalog?: boolean;
  /** Address subscribed to an SNS topic the alarms notify. @default - alarms without notifications */
  readonly alarmEmail?: string;
  /** An EC2 web host running nginx and a log agent (our agent by default, see `agent`). @default - false */
  readonly webHost?: boolean;
  /**
   * The agent the web host runs: ours (many lines per record, installed from `agentBundlePath`) or the Kinesis Agent.
   * @default - "nginx-log-agent"
   */
  readonly agent?: WebHostAgent;
  /** Our agent's bundle (`npm run build` writes dist/agent/nginx-log-agent.js); needed for a web host running it. */
  readonly agentBundlePath?: string;
  /** Minutes without a record on the stream before the stuck-agent alarm fires. @default - 15 */
  readonly noRecordsAlarmMinutes?: number;
  /** Where the web host runs and who may reach it. @default - the default VPC, no ingress, no Session Manager */
  readonly webHostNetwork?: WebHostNetwork;
  /**
   * Keep Terraform state in S3 (Terraform's S3 backend with its S3-native lock file) instead of a local file.
   * @default - a local file per stack and region at the project root
   */
  readonly stateBackend?: StateBackend;
}

/** Where a team keeps Terraform state: one S3 object per stack and region, locked by Terraform's `.tflock` object. */
export interface StateBackend {
  /** The (existing, versioned) state bucket. */
  readonly bucket: string;
  /** @default - the stack's region */
  readonly region?: string;
  /**
   * Prefix of the state keys; the key is `<keyPrefix>/<stack>/<region>/terraform.tfstate`.
   * @default - the name prefix
   */
  readonly keyPrefix?: string;
}

/**
 * The whole pipeline for one target: stream → Firehose (parser Lambda) → bucket, plus the agent's access and config.
 */
export class PipelineStack extends TerraformStack {
  public readonly logStream: LogStream;
  public readonly logBucket: LogBucket;
  public readonly parser: ParserFunction;
  public readonly delivery: DeliveryStream;
  public readonly agentAccess: AgentAccess;
  /** Our agent's bundle in the log bucket, when the web host runs it. */
  public readonly agentBundle?: AgentBundle;
  public readonly agentConfig: AgentConfig;
  public readonly alarms: PipelineAlarms;
  public readonly dashboard: PipelineDashboard;
  public readonly catalog?: LogCatalog;
  public readonly queries?: LogQueries;
  public readonly webHost?: WebHost;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id);
    const region = props.region ?? DEFAULT_NAMES.region;
    const prefix = props.namePrefix ?? DEFAULT_NAMES.prefix;
    checkNamePrefix(prefix);
    const names = physicalNames(prefix);
    const accountWide = accountWideNames(prefix, region);

    const aws = props.target.kind === 'aws';
    // On AWS every resource carries the project tag, for cost allocation. Not on emulators: moto drops the tags of a
    // new Kinesis stream, so every later plan would show a change.
    new AwsProvider(this, 'aws', {
      ...providerSettings(props.target, region),
      ...(aws ? { defaultTags: [{ tags: { project: prefix } }] } : {}),
    });
    // Synth fails on a public or unencrypted bucket or stream, a "*" IAM resource without reason, or endless logs.
    Aspects.of(this).add(new PolicyAspect({ target: props.target.kind }));
    this.configureState(id, region, prefix, props.stateBackend);

    this.logStream = new LogStream(this, 'log-stream', {
      streamName: names.stream,
      capacityMode: props.capacityMode,
      shardCount: props.shardCount,
      retentionHours: props.retentionHours,
      // KMS on AWS; LocalStack stores records unencrypted whatever the setting.
      encrypted: aws,
    });
    this.logBucket = new LogBucket(this, 'log-bucket', {
      bucketName: props.bucketName ?? this.defaultBucketName(props.target, prefix, region),
      kmsKeyArn: props.bucketKmsKeyArn,
      // A local emulator's bucket is scratch data; on AWS the logs outlive the stack.
      forceDestroy: props.target.kind === 'localstack',
      expirationDays: props.logExpirationDays,
      // Storage classes and expiry mean nothing on an emulator, and the rule costs every apply a ~55 s consistency wait.
      lifecycle: aws,
      // Emulators answer on plain http://localhost: a TLS-only policy (which moto enforces) would deny every request.
      tlsOnly: aws,
    });
    this.parser = new ParserFunction(this, 'parser-function', {
      bundleDir: props.bundleDir,
      functionName: names.parserFunction,
      // IAM names are account-wide: the region keeps a second region's deployment from colliding.
      roleName: accountWide.parserRole,
      logFormat: props.logFormat,
    });
    this.delivery = new DeliveryStream(this, 'delivery-stream', {
      source: this.logStream,
      destination: this.logBucket,
      processor: this.parser,
      deliveryStreamName: names.deliveryStream,
      roleName: accountWide.firehoseRole,
      prefix: props.prefix,
      processorBufferSizeMBs: props.processorBufferSizeMBs,
      bufferingIntervalSeconds: props.bufferingIntervalSeconds,
      bufferingSizeMBs: props.bufferingSizeMBs,
      // GZIP on AWS: Athena reads .gz natively, and storage and scans shrink several-fold. LocalStack ignores it.
      compressionFormat: aws ? 'GZIP' : 'UNCOMPRESSED',
      rawBackupPrefix: props.rawBackup ? DELIVERY_DEFAULTS.rawBackupPrefix : undefined,
    });
    const ours = props.webHost === true && (props.agent ?? 'nginx-log-agent') === 'nginx-log-agent';
    if (ours && props.agentBundlePath === undefined) {
      throw new Error('a web host running nginx-log-agent needs agentBundlePath (dist/agent/nginx-log-agent.js from npm run build), got none');
    }
    this.agentBundle = ours
      ? new AgentBundle(this, 'agent-bundle', { bucket: this.logBucket, bundlePath: props.agentBundlePath as string })
      : undefined;
    this.agentAccess = new AgentAccess(this, 'agent-access', {
      stream: this.logStream,
      name: accountWide.agent,
      ...(this.agentBundle ? { metricsNamespace: AGENT_METRICS.namespace, bundleObjectArn: this.agentBundle.objectArn } : {}),
    });
    this.agentConfig = new AgentConfig(this, 'agent-config', {
      target: props.target,
      region,
      streamName: names.stream,
      logFormat: props.logFormat,
    });
    this.alarms = new PipelineAlarms(this, 'pipeline-alarms', {
      stream: this.logStream,
      delivery: this.delivery,
      parser: this.parser,
      namePrefix: prefix,
      createTopic: props.alarmEmail !== undefined,
      notificationEmail: props.alarmEmail,
      noRecordsMinutes: props.noRecordsAlarmMinutes,
    });
    this.dashboard = new PipelineDashboard(this, 'dashboard', {
      names: { stream: this.logStream.streamName, deliveryStream: this.delivery.deliveryStreamName, fn: this.parser.functionName },
      region,
      alarmArns: this.alarms.alarms.map((alarm) => alarm.arn),
      dashboardName: accountWide.dashboard,
    });
    if (props.catalog ?? aws) {
      this.catalog = new LogCatalog(this, 'log-catalog', {
        bucket: this.logBucket,
        prefix: props.prefix,
        databaseName: names.glueDatabase,
        logFormat: props.logFormat,
      });
      this.queries = new LogQueries(this, 'log-queries', {
        catalog: this.catalog,
        resultsBucket: this.logBucket,
        workgroupName: names.athenaWorkgroup,
        tags: { project: prefix },
      });
    }
    if (props.webHost) {
      this.webHost = new WebHost(this, 'web-host', {
        agentAccess: this.agentAccess,
        agentConfig: this.agentConfig.config,
        logAgent: this.agentBundle
          ? { config: this.agentConfig.logAgentConfig, bundleBucket: this.agentBundle.bucketName, bundleKey: this.agentBundle.key }
          : undefined,
        name: names.webHost,
        ...props.webHostNetwork,
      });
    }

    const outputs: Record<string, string> = {
      stream_name: this.logStream.streamName,
      bucket_name: this.logBucket.bucketName,
      delivery_stream_name: this.delivery.deliveryStreamName,
      parser_function_name: this.parser.functionName,
      agent_policy_arn: this.agentAccess.policy.arn,
      agent_instance_profile_name: this.agentAccess.instanceProfile.name,
      dashboard_url: this.dashboard.url,
      ...(this.catalog && this.queries
        ? {
            glue_table: `${this.catalog.databaseName}.${this.catalog.tableName}`,
            athena_workgroup: this.queries.workgroupName,
          }
        : {}),
      ...(this.alarms.topic ? { alarm_topic_arn: this.alarms.topic.arn } : {}),
      ...(this.webHost ? { web_host_instance_id: this.webHost.instance.id } : {}),
    };
    for (const [name, value] of Object.entries(outputs)) {
      new TerraformOutput(this, name, { value }).overrideLogicalId(name);
    }
  }

  /**
   * State per stack and region, so the same stack deployed to a second region from one checkout never takes over the
   * first region's state: a local file next to the output folder (the project root by default; a fresh synth never
   * loses it), or an S3 key with Terraform's S3-native locking (`use_lockfile`, Terraform ≥ 1.10).
   */
  private configureState(id: string, region: string, prefix: string, backend: StateBackend | undefined): void {
    if (backend === undefined) {
      new LocalBackend(this, { path: `../../../${localStateFile(id, region)}` });
      return;
    }
    // Terraform reads backend settings literally (no interpolation): a name that is not a bucket name fails here.
    checkBucketName(backend.bucket, 'TF_STATE_BUCKET');
    // cdktf 0.21 predates `use_lockfile` (Terraform 1.10) and writes the backend's props snake-cased as given.
    const config: S3BackendConfig & { readonly useLockfile: boolean } = {
      bucket: backend.bucket,
      key: `${backend.keyPrefix ?? prefix}/${id}/${region}/terraform.tfstate`,
      region: backend.region ?? region,
      encrypt: true,
      useLockfile: true,
    };
    new S3Backend(this, config);
  }

  private defaultBucketName(target: DeploymentTarget, prefix: string, region: string): string {
    if (target.kind === 'localstack') return physicalNames(prefix).bucket;
    const account = new DataAwsCallerIdentity(this, 'account');
    return awsBucketName(prefix, account.accountId, region);
  }
}

/** Every physical name derives from the prefix, so it must suit the strictest of them (bucket and IAM names). */
function checkNamePrefix(prefix: string): void {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/.test(prefix)) {
    throw new Error(
      `name prefix must be 1–32 lowercase letters, digits or inner hyphens (it starts bucket, stream, function and ` +
        `role names), got "${prefix}"`,
    );
  }
}

/** The local state file of a stack in a region, relative to the project root. */
export function localStateFile(stack: string, region: string): string {
  return `terraform.${stack}.${region}.tfstate`;
}
