/**
 * Named defaults and service limits for the pipeline, in one place.
 *
 * Constructs read their defaults from here instead of scattering literals, so a reviewer (or a policy check)
 * can see every choice and its reason side by side. Limits carry the AWS page they come from.
 */

import { S3_LAYOUT } from '../facts/s3-layout';
import { PROCESSOR_BUFFER_DEFAULT_MB } from '../functions/nginx-parser/limits';

/** Names the seed uses; every physical resource name derives from the prefix. */
export const NAMES = Object.freeze({
  prefix: 'nginx-access-logs',
  /** The seed's bucket name; kept on LocalStack, suffixed with account and region on AWS (bucket names are global). */
  bucketSuffix: '-s3',
  region: 'ap-northeast-2',
  localstackEndpoint: 'http://localhost:4566',
});

/** Kinesis Data Streams limits (streams/latest/dev/service-sizes-and-limits.html, kinesis-extended-retention.md). */
export const STREAM_LIMITS = Object.freeze({
  minRetentionHours: 24,
  maxRetentionHours: 8760,
  /** The smallest default per-account provisioned shard quota (200 outside us-east-1, us-west-2, eu-west-1). */
  maxShards: 200,
});

/** Stream sizing when nothing is configured: the seed's single shard and the free 24 h retention. */
export const STREAM_DEFAULTS = Object.freeze({
  shardCount: 1,
  retentionHours: 24,
  /** AWS-managed key: encryption at rest with no key policy to write and no extra IAM for producers or Firehose. */
  kmsKeyId: 'alias/aws/kinesis',
});

/** Firehose limits (firehose/latest/dev/data-transformation.html, APIReference/API_BufferingHints.html, s3-prefixes.html). */
export const FIREHOSE_LIMITS = Object.freeze({
  processorIntervalMaxSeconds: 900,
  processorRetriesMax: 300,
  bufferingMinMBs: 1,
  bufferingMaxMBs: 128,
  bufferingIntervalMaxSeconds: 900,
  prefixMaxChars: 512,
  /** Firehose stops waiting for a transformation Lambda after 5 minutes. */
  lambdaTimeoutMaxSeconds: 300,
});

/** Firehose delivery settings when nothing is configured. */
export const DELIVERY_DEFAULTS = Object.freeze({
  /** The layout of facts/s3-layout.ts: a static data prefix and an explicit error prefix (see there why). */
  prefix: S3_LAYOUT.dataPrefix,
  errorOutputPrefix: S3_LAYOUT.errorPrefix,
  /** One minute, matching the Kinesis Agent's own default flush age: data lands about two minutes after the request. */
  bufferingIntervalSeconds: 60,
  bufferingSizeMBs: 5,
  processorBufferIntervalSeconds: 60,
  /** Firehose's and the Terraform provider's default; a safe margin under the Lambda 6 MB response cap. */
  processorBufferSizeMBs: PROCESSOR_BUFFER_DEFAULT_MB,
  processorRetries: 3,
  compressionFormat: 'UNCOMPRESSED',
  errorLogStreamName: 'DestinationDelivery',
});

/**
 * The values Firehose uses for a Lambda processor parameter that is not given. hashicorp/aws 5.x leaves a parameter
 * at one of these values out of its state, so writing it explicitly shows as an addition on every plan; the
 * delivery stream therefore writes only the parameters that differ from these (the provider's documented advice).
 */
export const FIREHOSE_PROCESSOR_API_DEFAULTS = Object.freeze({
  NumberOfRetries: 3,
  BufferSizeInMBs: 1,
  BufferIntervalInSeconds: 60,
});

/** The parser Lambda's runtime settings when nothing is configured. */
export const FUNCTION_DEFAULTS = Object.freeze({
  runtime: 'nodejs22.x',
  handler: 'index.handler',
  /** Graviton: about 20 % cheaper per GB-second for the same parser work. */
  architecture: 'arm64',
  /**
   * From `npm run bench:parser`: a ~1 MB batch peaks at ~60 MB RSS and the handler parses ~107 MB/s on a full vCPU.
   * Lambda's CPU share grows with memory up to 1,769 MB, so cost per GB parsed is the same at any size below that;
   * 256 MB keeps 2–4× memory headroom for 3 MB batches and parses a 1 MB batch in ~0.1 s (a 14 % vCPU share).
   */
  memorySizeMB: 256,
  /** Generous against cold starts on a 1 MB batch, well under Firehose's 5 minute ceiling. */
  timeoutSeconds: 120,
  timeoutMinSeconds: 60,
});

/** CloudWatch Logs settings shared by the function's and the delivery stream's log groups. */
export const LOG_DEFAULTS = Object.freeze({
  /** Every log group gets a retention: CloudWatch keeps logs forever (and bills for them) otherwise. */
  retentionDays: 14,
});

/** The Kinesis Agent's configuration defaults (agent.json and its IAM policy). */
export const AGENT_DEFAULTS = Object.freeze({
  filePattern: '/var/log/nginx/access.log*',
  /** The agent's own default (60 s) on AWS; LocalStack demos want data within seconds. */
  maxBufferAgeMillisAws: 60_000,
  maxBufferAgeMillisLocal: 1_000,
  metricsNamespace: 'AWSKinesisAgent',
  /** The agent's only Kinesis call (awslabs/amazon-kinesis-agent, KinesisSender.java). */
  kinesisActions: Object.freeze(['kinesis:PutRecords']),
});

/** Why the agent's metrics statement uses `Resource: "*"` (recorded for the IAM wildcard policy rule). */
export const AGENT_METRICS_WILDCARD_REASON =
  'cloudwatch:PutMetricData supports no resource ARNs; the cloudwatch:namespace condition limits it instead';
