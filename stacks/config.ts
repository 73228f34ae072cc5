import { NGINX_MAIN_FORMAT } from '../functions/nginx-parser/log-format';
import { DELIVERY_DEFAULTS, NAMES, STREAM_DEFAULTS } from './defaults';
import type { StreamCapacityMode } from './log-stream';

/** Everything main.ts takes from the environment, typed, with the defaults applied. */
export interface AppConfig {
  readonly region: string;
  readonly localstackEndpoint: string;
  readonly namePrefix: string;
  /** Unset: each stack picks its default (the seed's name on LocalStack, suffixed with account and region on AWS). */
  readonly bucketName?: string;
  readonly logFormat: string;
  readonly capacityMode: StreamCapacityMode;
  /** Unset for on-demand capacity. */
  readonly shardCount?: number;
  readonly processorBufferSizeMBs: number;
  readonly bufferingIntervalSeconds: number;
  /** Unset: each stack picks its default (a catalog on AWS, none on LocalStack). */
  readonly catalog?: boolean;
  readonly webHost: boolean;
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

/** The environment variables main.ts reads, with their meaning and default (the README table says the same). */
export const ENV_VARS = Object.freeze({
  AWS_REGION: `region of both stacks (default ${NAMES.region})`,
  LOCALSTACK_ENDPOINT: `LocalStack (or moto) URL for the localstack stack (default ${NAMES.localstackEndpoint})`,
  NAME_PREFIX: `prefix of every resource name (default ${NAMES.prefix})`,
  BUCKET_NAME: `log bucket name (default ${NAMES.prefix}-s3 on LocalStack, ${NAMES.prefix}-s3-<account>-<region> on AWS)`,
  LOG_FORMAT: "nginx log_format of the access log (default nginx's stock `main`)",
  STREAM_SHARDS: `shard count, or "on-demand" (default ${STREAM_DEFAULTS.shardCount})`,
  PROCESSOR_BUFFER_MB: `Firehose batch size for the parser Lambda, 0.2–3 (default ${DELIVERY_DEFAULTS.processorBufferSizeMBs})`,
  BUFFER_INTERVAL_SECONDS: `Firehose flush interval to S3, 0–900 (default ${DELIVERY_DEFAULTS.bufferingIntervalSeconds})`,
  CATALOG: 'on or off: Glue table and Athena workgroup (default on for aws, off for localstack: Community has no Glue)',
  WEB_HOST: 'on or off: the EC2 web host running nginx and the Kinesis Agent (default off)',
  ALARM_EMAIL: 'address subscribed to an SNS topic the alarms notify (default none: alarms without notifications)',
  LOG_EXPIRATION_DAYS: 'days after which log objects expire (default never)',
  BUCKET_KMS_KEY_ARN: 'customer-managed KMS key ARN for the log bucket, SSE-KMS with a Bucket Key (default SSE-S3)',
  WEB_HOST_SUBNET_ID: 'subnet of the web host, needed without a default VPC (default a default-VPC subnet)',
  WEB_HOST_SECURITY_GROUP_IDS: 'comma-separated security groups of the web host (default the VPC default group)',
  WEB_HOST_HTTP_CIDR: 'CIDR admitted to the web host on port 80, through a group the stack creates (default none)',
  WEB_HOST_SSM: 'on or off: SSM Session Manager access to the web host (default off)',
  TF_STATE_BUCKET: 'S3 bucket for Terraform state with S3-native locking (default local files per stack and region)',
  TF_STATE_REGION: 'region of TF_STATE_BUCKET (default AWS_REGION)',
});

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
    region: value('AWS_REGION') ?? NAMES.region,
    localstackEndpoint: endpoint(value('LOCALSTACK_ENDPOINT') ?? NAMES.localstackEndpoint),
    namePrefix: value('NAME_PREFIX') ?? NAMES.prefix,
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
    throw new Error(`LOCALSTACK_ENDPOINT must be a URL like ${NAMES.localstackEndpoint}, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`LOCALSTACK_ENDPOINT must be an http(s) URL like ${NAMES.localstackEndpoint}, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}
