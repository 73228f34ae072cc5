/**
 * Named defaults for the pipeline, in one place.
 *
 * Constructs read their defaults from here instead of scattering literals, so a reviewer (or a policy check)
 * can see every choice and its reason side by side. AWS's own limits and defaults live in `facts/`.
 */

import { FIREHOSE_API_DEFAULTS } from '../facts/aws-defaults';
import { KINESIS_LIMITS } from '../facts/aws-limits';
import { S3_LAYOUT } from '../facts/s3-layout';

/** Stream sizing when nothing is configured: the original setup's single shard and the free 24 h retention. */
export const STREAM_DEFAULTS = Object.freeze({
  shardCount: 1,
  retentionHours: KINESIS_LIMITS.defaultRetentionHours,
  /** AWS-managed key: encryption at rest with no key policy to write and no extra IAM for producers or Firehose. */
  kmsKeyId: 'alias/aws/kinesis',
});

/** Firehose delivery settings when nothing is configured. */
export const DELIVERY_DEFAULTS = Object.freeze({
  /** The layout of facts/s3-layout.ts: a static data prefix and an explicit error prefix (see there why). */
  prefix: S3_LAYOUT.dataPrefix,
  errorOutputPrefix: S3_LAYOUT.errorPrefix,
  /** Where Firehose's source-record backup (RAW_BACKUP=on) keeps every record as it arrived, before the parser. */
  rawBackupPrefix: 'raw/',
  /** One minute, matching the Kinesis Agent's own default flush age: data lands about two minutes after the request. */
  bufferingIntervalSeconds: 60,
  bufferingSizeMBs: FIREHOSE_API_DEFAULTS.bufferingSizeMBs,
  processorBufferIntervalSeconds: FIREHOSE_API_DEFAULTS.processor.BufferIntervalInSeconds,
  /** Firehose's and the Terraform provider's default; a safe margin under the Lambda 6 MB response cap. */
  processorBufferSizeMBs: FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs,
  processorRetries: FIREHOSE_API_DEFAULTS.processor.NumberOfRetries,
  compressionFormat: FIREHOSE_API_DEFAULTS.compressionFormat,
  errorLogStreamName: 'DestinationDelivery',
});

/** The parser Lambda's runtime settings when nothing is configured. */
export const FUNCTION_DEFAULTS = Object.freeze({
  runtime: 'nodejs22.x',
  handler: 'index.handler',
  /** Graviton: about 20 % cheaper per GB-second for the same parser work. */
  architecture: 'arm64',
  /**
   * A 1 MB batch needs a small fraction of this (`npm run bench:parser` reports the peak RSS, docs/performance.md).
   * Lambda's CPU share grows with memory up to 1,769 MB, so cost per GB parsed is the same at any size below that;
   * 256 MB keeps memory headroom for 3 MB batches and parses a 1 MB batch well within the timeout.
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
