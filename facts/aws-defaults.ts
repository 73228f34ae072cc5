/**
 * What AWS uses when a setting is left out: the values the stack may omit and the local runtime must assume.
 *
 * Framework-free constants; the stack, the local Firehose's stack reader and the parser's limits import them.
 */

/**
 * Firehose's values for an extended S3 destination and its Lambda processor when a setting is not given
 * (API_BufferingHints, data-transformation.html; the Terraform provider applies the same since hashicorp/aws 5.32).
 *
 * The processor keys are Firehose's own parameter names. hashicorp/aws 5.x leaves a processor parameter at one of
 * these values out of its state, so the stack writes only the parameters that differ from them.
 */
export const FIREHOSE_API_DEFAULTS = {
  /** S3 buffering hints. */
  bufferingSizeMBs: 5,
  bufferingIntervalSeconds: 300,
  compressionFormat: 'UNCOMPRESSED',
  /** Lambda processor parameters. */
  processor: {
    NumberOfRetries: 3,
    BufferSizeInMBs: 1,
    BufferIntervalInSeconds: 60,
  },
} as const;

/** Compression formats Firehose accepts for an S3 destination. */
export const FIREHOSE_COMPRESSION_FORMATS = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'] as const;
export type CompressionFormat = (typeof FIREHOSE_COMPRESSION_FORMATS)[number];
