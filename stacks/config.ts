import { FIREHOSE_LIMITS } from '../facts/aws-limits';
import { accountWideNames, DEFAULT_NAMES, physicalNames } from '../facts/names';
import { PROCESSOR_BUFFER_SAFE_MAX_MB } from '../functions/nginx-parser/limits';
import { NGINX_MAIN_FORMAT } from '../functions/nginx-parser/log-format';
import { ALARM_DEFAULTS } from './alarm-specs';
import { DELIVERY_DEFAULTS, STREAM_DEFAULTS } from './defaults';
import type { StreamCapacityMode } from './log-stream';

/** Everything main.ts takes from the environment, typed, with the defaults applied. */
export interface AppConfig {
  readonly region: string;
  readonly localstackEndpoint: string;
  readonly namePrefix: string;
  /** Unset: each stack picks its default (the original setup's name on LocalStack, suffixed with account and region on AWS). */
  readonly bucketName?: string;
  /** An nginx `log_format` string or a preset name, resolved by the parser function and the catalog. */
  readonly logFormat: string;
  readonly capacityMode: StreamCapacityMode;
  /** Unset for on-demand capacity. */
  readonly shardCount?: number;
  readonly processorBufferSizeMBs: number;
  readonly bufferingIntervalSeconds: number;
  /** Unset: each stack picks its default (a catalog on AWS, none on LocalStack). */
  readonly catalog?: boolean;
  readonly webHost: boolean;
  readonly rawBackup: boolean;
  /** Which agent the web host runs. */
  readonly agent: WebHostAgent;
  /** Unset: the alarm's default (15 minutes). */
  readonly noRecordsAlarmMinutes?: number;
  readonly alarmEmail?: string;
  readonly logExpirationDays?: number;
  readonly bucketKmsKeyArn?: string;
  readonly webHostSubnetId?: string;
  readonly webHostSecurityGroupIds?: readonly string[];
  readonly webHostHttpCidr?: string;
  readonly webHostSsm: boolean;
  /** Set: Terraform state in this S3 bucket with S3-native locking; unset: local files per stack and region. */
  readonly stateBucket?: string;
  readonly stateRegion?: string;
}

/** One environment variable main.ts reads: its default and meaning, as Markdown (the README's table shows them). */
export interface EnvVarDoc {
  readonly default: string;
  readonly meaning: string;
}

const names = physicalNames();
const scheme = physicalNames('<p>');
const accountWide = accountWideNames('<p>', '<region>');

/**
 * The environment variables main.ts reads, with their default and meaning. The README's configuration table is
 * {@link configurationTable}'s output (a test compares them).
 */
export const ENV_VARS = Object.freeze({
  AWS_REGION: { default: `\`${DEFAULT_NAMES.region}\``, meaning: "region of both stacks (the original setup's)" },
  LOCALSTACK_ENDPOINT: {
    default: `\`${DEFAULT_NAMES.localstackEndpoint}\``,
    meaning: 'endpoint of the `localstack` stack and of its agent.json',
  },
  NAME_PREFIX: {
    default: `\`${DEFAULT_NAMES.prefix}\``,
    meaning:
      `stream name; bucket \`${scheme.bucket}\`, function \`${scheme.parserFunction}\`, delivery stream ` +
      `\`${scheme.deliveryStream}\`; account-wide (IAM, dashboard) names end in the region: agent policy/role/profile ` +
      `\`${accountWide.agent}\`, dashboard \`${accountWide.dashboard}\``,
  },
  BUCKET_NAME: {
    default: `LocalStack \`${names.bucket}\`; AWS \`${names.bucket}-<account>-<region>\``,
    meaning: 'log bucket (on AWS the account and region keep a fresh deploy from colliding with a global name)',
  },
  LOG_FORMAT: {
    default: 'nginx `main` (the parser also accepts `combined` lines then)',
    meaning:
      'a preset (`main`, `combined`, `ingress-nginx`, `json`) or any nginx `log_format` string, incl. ' +
      '`escape=json\\|default\\|none`; checked at synth',
  },
  STREAM_SHARDS: { default: `\`${STREAM_DEFAULTS.shardCount}\``, meaning: 'provisioned shard count, or `on-demand`' },
  PROCESSOR_BUFFER_MB: {
    default: `\`${DELIVERY_DEFAULTS.processorBufferSizeMBs}\``,
    meaning:
      `Firehose batch size for the parser, ${FIREHOSE_LIMITS.processorBufferMinMBs}–${FIREHOSE_LIMITS.processorBufferMaxMBs} ` +
      `(a warning above ${PROCESSOR_BUFFER_SAFE_MAX_MB}, see the response cap below)`,
  },
  BUFFER_INTERVAL_SECONDS: {
    default: `\`${DELIVERY_DEFAULTS.bufferingIntervalSeconds}\``,
    meaning: `S3 buffering interval, 0–${FIREHOSE_LIMITS.bufferingIntervalMaxSeconds}`,
  },
  CATALOG: {
    default: 'on for AWS, off for LocalStack',
    meaning: 'Glue table and Athena workgroup (LocalStack Community has no Glue/Athena)',
  },
  WEB_HOST: { default: '`off`', meaning: 'an EC2 web host with nginx and a log agent (see `AGENT`)' },
  AGENT: {
    default: '`nginx-log-agent`',
    meaning: 'what the web host runs: our agent (many lines per record), or `kinesis-agent` as in the original setup',
  },
  NO_RECORDS_ALARM_MINUTES: {
    default: `\`${ALARM_DEFAULTS.noRecordsMinutes}\``,
    meaning: 'minutes without a record on the stream before the stuck-agent alarm fires, 1–1440',
  },
  RAW_BACKUP: {
    default: '`off`',
    meaning:
      `Firehose's source-record backup: every raw line also under \`${DELIVERY_DEFAULTS.rawBackupPrefix}\`, so ` +
      '`npm run redrive -- --raw` can re-parse history with a new parser or format',
  },
  ALARM_EMAIL: { default: 'none', meaning: 'subscribes an address to an SNS topic the alarms notify' },
  LOG_EXPIRATION_DAYS: { default: 'never', meaning: 'days before log objects expire' },
  BUCKET_KMS_KEY_ARN: {
    default: 'none: SSE-S3',
    meaning:
      'customer-managed KMS key ARN for the log bucket: SSE-KMS with a Bucket Key; Firehose may use the key only via ' +
      'S3 in this region and for this bucket',
  },
  WEB_HOST_SUBNET_ID: {
    default: 'a default-VPC subnet',
    meaning: 'subnet of the web host; needed in a region or account without a default VPC',
  },
  WEB_HOST_SECURITY_GROUP_IDS: {
    default: "the VPC's default group",
    meaning: 'comma-separated security groups of the web host',
  },
  WEB_HOST_HTTP_CIDR: {
    default: 'none',
    meaning: 'CIDR admitted to the web host on port 80, through a security group the stack creates',
  },
  WEB_HOST_SSM: { default: '`off`', meaning: 'SSM Session Manager access to the web host (to debug the agent)' },
  TF_STATE_BUCKET: {
    default: 'none: a local file per stack and region',
    meaning: "existing S3 bucket for Terraform state, locked by Terraform's S3-native lock file (`use_lockfile`)",
  },
  TF_STATE_REGION: { default: '`AWS_REGION`', meaning: 'region of `TF_STATE_BUCKET`' },
} satisfies Record<string, EnvVarDoc>);

/** The README's configuration table: one row per {@link ENV_VARS} entry. */
export function configurationTable(): string {
  return [
    '| variable | default | meaning |',
    '|---|---|---|',
    ...Object.entries(ENV_VARS).map(([name, doc]: [string, EnvVarDoc]) => `| \`${name}\` | ${doc.default} | ${doc.meaning} |`),
  ].join('\n');
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the frozen app config from an environment map (main.ts passes process.env; tests pass literals).
 *
 * Only the syntax is checked here (numbers are numbers, the endpoint is a URL); ranges are the constructs' job,
 * so a stack built in a test gets the same checks.
 */
export function configFromEnv(env: Env): AppConfig {
  const value = (name: keyof typeof ENV_VARS): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const shards = value('STREAM_SHARDS') ?? String(STREAM_DEFAULTS.shardCount);
  const onDemand = shards.toLowerCase() === 'on-demand';
  const config: AppConfig = {
    region: value('AWS_REGION') ?? DEFAULT_NAMES.region,
    localstackEndpoint: endpoint(value('LOCALSTACK_ENDPOINT') ?? DEFAULT_NAMES.localstackEndpoint),
    namePrefix: value('NAME_PREFIX') ?? DEFAULT_NAMES.prefix,
    bucketName: value('BUCKET_NAME'),
    logFormat: env.LOG_FORMAT?.trim() ? env.LOG_FORMAT : NGINX_MAIN_FORMAT,
    capacityMode: onDemand ? 'on-demand' : 'provisioned',
    shardCount: onDemand ? undefined : number('STREAM_SHARDS', shards, 'a whole number of shards or "on-demand"'),
    processorBufferSizeMBs: number(
      'PROCESSOR_BUFFER_MB',
      value('PROCESSOR_BUFFER_MB') ?? String(DELIVERY_DEFAULTS.processorBufferSizeMBs),
      'megabytes, e.g. 1 or 0.5',
    ),
    bufferingIntervalSeconds: number(
      'BUFFER_INTERVAL_SECONDS',
      value('BUFFER_INTERVAL_SECONDS') ?? String(DELIVERY_DEFAULTS.bufferingIntervalSeconds),
      'seconds',
    ),
    catalog: onOff('CATALOG', value('CATALOG')),
    webHost: onOff('WEB_HOST', value('WEB_HOST')) ?? false,
    rawBackup: onOff('RAW_BACKUP', value('RAW_BACKUP')) ?? false,
    agent: agentKind(value('AGENT')),
    noRecordsAlarmMinutes:
      value('NO_RECORDS_ALARM_MINUTES') === undefined
        ? undefined
        : number('NO_RECORDS_ALARM_MINUTES', value('NO_RECORDS_ALARM_MINUTES') as string, 'a whole number of minutes'),
    alarmEmail: email(value('ALARM_EMAIL')),
    logExpirationDays:
      value('LOG_EXPIRATION_DAYS') === undefined
        ? undefined
        : number('LOG_EXPIRATION_DAYS', value('LOG_EXPIRATION_DAYS') as string, 'a whole number of days'),
    bucketKmsKeyArn: value('BUCKET_KMS_KEY_ARN'),
    webHostSubnetId: value('WEB_HOST_SUBNET_ID'),
    webHostSecurityGroupIds: list(value('WEB_HOST_SECURITY_GROUP_IDS')),
    webHostHttpCidr: value('WEB_HOST_HTTP_CIDR'),
    webHostSsm: onOff('WEB_HOST_SSM', value('WEB_HOST_SSM')) ?? false,
    stateBucket: value('TF_STATE_BUCKET'),
    stateRegion: value('TF_STATE_REGION'),
  };
  return Object.freeze(config);
}

/** The agents a web host can run. */
export const WEB_HOST_AGENTS = ['nginx-log-agent', 'kinesis-agent'] as const;
export type WebHostAgent = (typeof WEB_HOST_AGENTS)[number];

function agentKind(raw: string | undefined): WebHostAgent {
  if (raw === undefined) return 'nginx-log-agent';
  if ((WEB_HOST_AGENTS as readonly string[]).includes(raw)) return raw as WebHostAgent;
  throw new Error(`AGENT must be ${WEB_HOST_AGENTS.map((a) => `"${a}"`).join(' or ')}, got "${raw}"`);
}

function list(raw: string | undefined): readonly string[] | undefined {
  if (raw === undefined) return undefined;
  return Object.freeze(raw.split(',').map((item) => item.trim()).filter((item) => item !== ''));
}

function onOff(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const normalized = raw.toLowerCase();
  if (normalized === 'on') return true;
  if (normalized === 'off') return false;
  throw new Error(`${name} must be "on" or "off", got "${raw}"`);
}

function email(raw: string | undefined): string | undefined {
  if (raw !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(raw)) {
    throw new Error(`ALARM_EMAIL must be an email address like ops@example.com, got "${raw}"`);
  }
  return raw;
}

function number(name: string, raw: string, expected: string): number {
  const parsed = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || !Number.isFinite(parsed)) {
    throw new Error(`${name} must be ${expected}, got "${raw}"`);
  }
  return parsed;
}

function endpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`LOCALSTACK_ENDPOINT must be a URL like ${DEFAULT_NAMES.localstackEndpoint}, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`LOCALSTACK_ENDPOINT must be an http(s) URL like ${DEFAULT_NAMES.localstackEndpoint}, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}
