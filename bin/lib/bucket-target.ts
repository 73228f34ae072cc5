/**
 * The bucket a command-line tool reads or writes: `--bucket`, else the synthesized stack's; its region and an S3 client
 * for `--endpoint` (AWS_ENDPOINT_URL, else AWS's). One place for what `verify`, `query` and `redrive` all resolve.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { s3Client } from '../../pipeline/clients';
import type { PipelineConfig } from '../../pipeline/stack-config';

/** The `parseArgs` options every such tool takes, spread into its own. */
export const BUCKET_OPTIONS = {
  endpoint: { type: 'string' },
  stack: { type: 'string', default: 'localstack' },
  bucket: { type: 'string' },
  region: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The flags the tools share. */
export interface BucketFlags {
  /** The stack the config was read from, for messages. */
  readonly stack: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly endpoint?: string;
}

/** Where a tool works. */
export interface BucketTarget {
  readonly bucket: string;
  readonly region: string;
  /** A new S3 client for the endpoint and region (the caller destroys it). */
  client(): S3Client;
}

/** Resolves the bucket, region and endpoint; an AWS stack's bucket name is only known after apply, then `--bucket` is needed. */
export function bucketTarget(config: PipelineConfig, flags: BucketFlags): BucketTarget {
  const bucket = flags.bucket ?? config.bucket;
  if (bucket.includes('${')) {
    throw new Error(`the ${flags.stack} stack's bucket name is only known after apply ("${bucket}"): pass --bucket NAME`);
  }
  const region = flags.region ?? process.env.AWS_REGION ?? config.region;
  return { bucket, region, client: () => s3Client({ endpoint: flags.endpoint ?? process.env.AWS_ENDPOINT_URL, region }) };
}
