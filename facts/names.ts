/**
 * The physical-name scheme: every resource name derives from one prefix, the same way in the stack, the local
 * runtime, the tools and the README.
 */

/** The defaults the stack and the tools start from: the original setup's names and region. */
export const DEFAULT_NAMES = {
  /** Prefix of every physical name (also the stream's name). */
  prefix: 'nginx-access-logs',
  region: 'ap-northeast-2',
  /** Where LocalStack listens by default. */
  localstackEndpoint: 'http://localhost:4566',
} as const;

/** The name of each resource the stack creates, for one prefix. */
export interface PhysicalNames {
  readonly stream: string;
  /** The bucket name on LocalStack; on AWS {@link awsBucketName} suffixes it (bucket names are global). */
  readonly bucket: string;
  readonly parserFunction: string;
  readonly deliveryStream: string;
  /** The agent's IAM policy, role and instance profile. */
  readonly agent: string;
  /** The web host's `Name` tag. */
  readonly webHost: string;
  /** Glue allows no hyphens in database names. */
  readonly glueDatabase: string;
  readonly athenaWorkgroup: string;
}

/** Every physical name for a prefix. */
export function physicalNames(prefix: string = DEFAULT_NAMES.prefix): PhysicalNames {
  return {
    stream: prefix,
    bucket: `${prefix}-s3`,
    parserFunction: `${prefix}-parser`,
    deliveryStream: `${prefix}-to-s3`,
    agent: `${prefix}-agent`,
    webHost: `${prefix}-web`,
    glueDatabase: prefix.replace(/-/g, '_'),
    athenaWorkgroup: prefix,
  };
}

/** The bucket name on AWS: the LocalStack name with account and region, so a fresh deploy cannot collide. */
export function awsBucketName(prefix: string, accountId: string, region: string): string {
  return `${physicalNames(prefix).bucket}-${accountId}-${region}`;
}

/**
 * The name of an account-wide resource (an IAM role, policy or instance profile; a CloudWatch dashboard) for a
 * regional deployment: `<base>-<region>`, so the same name prefix deployed in a second region of the account does
 * not collide with the first (`EntityAlreadyExists`).
 */
export function accountWideName(base: string, region: string): string {
  return `${base}-${region}`;
}

/** The names of the account-wide resources of one deployment (IAM and CloudWatch names are not regional). */
export interface AccountWideNames {
  /** The parser function's execution role. */
  readonly parserRole: string;
  /** The role Firehose assumes. */
  readonly firehoseRole: string;
  /** The agent's IAM policy, role and instance profile. */
  readonly agent: string;
  /** The ops dashboard. */
  readonly dashboard: string;
}

/** Every account-wide name for a prefix in a region: the regional name scheme of {@link physicalNames} plus the region. */
export function accountWideNames(prefix: string, region: string): AccountWideNames {
  const names = physicalNames(prefix);
  return {
    parserRole: accountWideName(names.parserFunction, region),
    firehoseRole: accountWideName(`${names.deliveryStream}-firehose`, region),
    agent: accountWideName(names.agent, region),
    dashboard: accountWideName(prefix, region),
  };
}
