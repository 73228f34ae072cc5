import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Construct } from 'constructs';
import { BucketProtection, type BucketProtectionProps } from './bucket-protection';
import { physicalNames } from '../facts/names';
import { checkBucketName } from './validate';

/** Name, protection and lifecycle of the log bucket. */
export interface LogBucketProps
  extends Pick<BucketProtectionProps, 'kmsKeyArn' | 'versioned' | 'expirationDays' | 'infrequentAccessAfterDays' | 'lifecycle' | 'tlsOnly'> {
  /**
   * The bucket's globally unique name.
   * @default - "nginx-access-logs-s3", the original setup's bucket (the stack suffixes it with account and region on AWS)
   */
  readonly bucketName?: string;
  /**
   * Whether `terraform destroy` deletes the bucket with its objects.
   * @default - false: destroying the stack keeps the logs (and fails while the bucket holds any)
   */
  readonly forceDestroy?: boolean;
}

/** The S3 bucket Firehose writes the parsed logs (under a static prefix) and failed records (under errors/) to. */
export class LogBucket extends Construct {
  public readonly bucket: S3Bucket;
  public readonly bucketArn: string;
  public readonly bucketName: string;
  /** Public access block, BucketOwnerEnforced, default encryption, TLS-only policy and lifecycle. */
  public readonly protection: BucketProtection;

  constructor(scope: Construct, id: string, props: LogBucketProps = {}) {
    super(scope, id);
    const bucketName = props.bucketName ?? physicalNames().bucket;
    checkBucketName(bucketName);

    this.bucket = new S3Bucket(this, 'bucket', {
      bucket: bucketName,
      forceDestroy: props.forceDestroy ?? false,
    });
    this.protection = new BucketProtection(this, 'protection', {
      bucket: this.bucket,
      kmsKeyArn: props.kmsKeyArn,
      versioned: props.versioned,
      expirationDays: props.expirationDays,
      infrequentAccessAfterDays: props.infrequentAccessAfterDays,
      lifecycle: props.lifecycle,
      tlsOnly: props.tlsOnly,
    });
    this.bucketArn = this.bucket.arn;
    this.bucketName = this.bucket.bucket;
  }
}
