import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { Construct } from 'constructs';
import { BucketProtection, type BucketProtectionProps } from './bucket-protection';
import { physicalNames } from '../facts/names';
import { checkBucketName } from './validate';

/**
 * What a delivery writer needs on the bucket: Firehose's documented S3 set for an S3 destination (multipart uploads,
 * the bucket's location and listing, and the objects).
 */
export const BUCKET_WRITE_ACTIONS = Object.freeze([
  's3:AbortMultipartUpload',
  's3:GetBucketLocation',
  's3:GetObject',
  's3:ListBucket',
  's3:ListBucketMultipartUploads',
  's3:PutObject',
]);

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

  /** The IAM statements a writer such as Firehose needs: the bucket and its objects, and the bucket key if any. */
  grantWrite(): DataAwsIamPolicyDocumentStatement[] {
    return [
      { sid: 'WriteLogBucket', actions: [...BUCKET_WRITE_ACTIONS], resources: [this.bucketArn, `${this.bucketArn}/*`] },
      ...this.keyStatements('EncryptWithBucketKey', ['kms:GenerateDataKey', 'kms:Decrypt']),
    ];
  }

  /**
   * The IAM statements a reader needs for the objects under `prefix` (e.g. "errors/"): list that prefix, get its
   * objects, and decrypt with the bucket key if any.
   */
  grantRead(prefix = ''): DataAwsIamPolicyDocumentStatement[] {
    return [
      {
        sid: 'ListLogBucket',
        actions: ['s3:ListBucket'],
        resources: [this.bucketArn],
        ...(prefix === '' ? {} : { condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${prefix}*`] }] }),
      },
      { sid: 'ReadLogObjects', actions: ['s3:GetObject'], resources: [`${this.bucketArn}/${prefix}*`] },
      ...this.keyStatements('DecryptWithBucketKey', ['kms:Decrypt']),
    ];
  }

  /**
   * A customer-managed bucket key may be used only through S3 in this region and only for this bucket: with S3 Bucket
   * Keys on, the encryption context S3 passes to KMS is the bucket's ARN (not the object's).
   */
  private keyStatements(sid: string, actions: string[]): DataAwsIamPolicyDocumentStatement[] {
    const key = this.protection.kmsKeyArn;
    if (key === undefined) return [];
    const region = (this.node.tryFindChild('region') as DataAwsRegion | undefined) ?? new DataAwsRegion(this, 'region');
    return [
      {
        sid,
        actions,
        resources: [key],
        condition: [
          { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${region.name}.amazonaws.com`] },
          { test: 'StringEquals', variable: 'kms:EncryptionContext:aws:s3:arn', values: [this.bucketArn] },
        ],
      },
    ];
  }
}
