/**
 * AWS service limits and billing units the stack, the parser Lambda, the local runtime and the tools all obey.
 *
 * Framework-free constants only (no cdktf, no SDK), so the Lambda bundle can import them and esbuild keeps just
 * what it uses. Sources: Kinesis Data Streams "Quotas and limits", Firehose "Quota" and pricing, Lambda quotas.
 */

const MiB = 1024 * 1024;

/** Kinesis Data Streams limits. */
export const KINESIS_LIMITS = {
  /** PutRecords: records per call. */
  maxRecordsPerPutRecords: 500,
  /** PutRecords: bytes per call, partition keys included. */
  maxBytesPerPutRecords: 5 * MiB,
  /** One record, data plus partition key (the stream default). */
  maxRecordBytes: MiB,
  /** Partition key length in Unicode characters. */
  maxPartitionKeyLength: 256,
  /** Per-shard writes: bytes per second, partition keys included. */
  shardWriteBytesPerSecond: MiB,
  /** Per-shard writes: records per second. */
  shardWriteRecordsPerSecond: 1000,
  /** GetRecords: records per call. */
  maxGetRecordsLimit: 10_000,
  /** GetRecords: data returned per call. */
  maxGetRecordsBytes: 10 * MiB,
  /** A shard iterator expires this long after it was returned. */
  shardIteratorTtlMillis: 5 * 60 * 1000,
  /** Default and minimum retention period. */
  defaultRetentionHours: 24,
  /** Longest retention period (extended retention, kinesis-extended-retention). */
  maxRetentionHours: 8760,
  /** The smallest default per-account provisioned shard quota (200 outside us-east-1, us-west-2, eu-west-1). */
  defaultAccountShardQuota: 200,
  /** Provisioned billing: one PUT payload unit per started 25 KB of a record. */
  putPayloadUnitBytes: 25 * 1024,
  /** On-demand billing rounds each record up to 1 KB. */
  onDemandRecordRoundingBytes: 1024,
} as const;

/**
 * Amazon Data Firehose limits and billing units (data-transformation.html, APIReference/API_BufferingHints.html,
 * s3-prefixes.html).
 */
export const FIREHOSE_LIMITS = {
  /**
   * Ingestion (Direct PUT and a Kinesis Data Stream as source) is billed per record rounded up to 5 KB. Written out:
   * esbuild keeps an unused object holding `5 * 1024` in the Lambda bundle (the bundle test checks).
   */
  ingestionBillingUnitBytes: 5_120,
  /** Lambda processor buffer (`BufferSizeInMBs`): range. */
  processorBufferMinMBs: 0.2,
  processorBufferMaxMBs: 3,
  /** Lambda processor buffer interval (`BufferIntervalInSeconds`): at most. */
  processorBufferIntervalMaxSeconds: 900,
  /** Lambda processor `NumberOfRetries`: at most. */
  processorRetriesMax: 300,
  /** S3 destination buffering hints: size range and longest interval. */
  bufferingSizeMinMBs: 1,
  bufferingSizeMaxMBs: 128,
  bufferingIntervalMaxSeconds: 900,
  /** S3 prefix and error prefix length. */
  prefixMaxChars: 512,
  /** Firehose stops waiting for a transformation Lambda after 5 minutes. */
  lambdaTimeoutMaxSeconds: 300,
} as const;

/** AWS Lambda limits. */
export const LAMBDA_LIMITS = {
  /** Synchronous invocation request and response payloads (6 MB, counted as 6 MiB of serialized JSON). */
  maxResponseBytes: 6 * MiB,
} as const;
