import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { checkRange } from './validate';

/** The bucket's secure defaults, matching and extending the AWS Solutions Construct's (see README). */
export const BUCKET_PROTECTION_DEFAULTS = Object.freeze({
  /** Logs are read rarely after a month; Standard-IA costs ~45 % less to store. */
  infrequentAccessAfterDays: 30,
  /** Parts of an upload Firehose abandoned are billed until aborted. */
  abortIncompleteMultipartUploadDays: 7,
  /** Old versions of an overwritten or deleted object, when versioning is on. */
  noncurrentVersionExpirationDays: 90,
});

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-zA-Z-]+$/;

export interface BucketProtectionProps {
  readonly bucket: S3Bucket;
  /**
   * KMS key for default encryption (SSE-KMS with an S3 Bucket Key); writers then need kms:GenerateDataKey on it.
   * @default - SSE-S3 (AES256): encrypted at rest with no key to manage and no KMS request charges
   */
  readonly kmsKeyArn?: string;
  /**
   * Keep every version of every object (recover from overwrites and deletes; storage grows).
   * @default - false: Firehose never overwrites a key, so versions would only keep deleted logs
   */
  readonly versioned?: boolean;
  /**
   * Days after which objects expire.
   * @default - never: logs are kept until you set this
   */
  readonly expirationDays?: number;
  /** @default - 30 days */
  readonly infrequentAccessAfterDays?: number;
  /**
   * Deny every request not made over TLS (a bucket policy).
   * @default - true; emulators serving plain http://localhost need false, or every request is denied
   */
  readonly tlsOnly?: boolean;
  /**
   * Whether to add the lifecycle rules (storage class, expiry, incomplete uploads).
   * @default - true
   */
  readonly lifecycle?: boolean;
}

/**
 * Public access blocked, ACLs disabled, default encryption, TLS-only access and a cost lifecycle for one bucket.
 *
 * Separate resources, as the AWS provider v4+ models them, so each is visible in a plan and checked by the policy rules.
 */
export class BucketProtection extends Construct {
  /** The TLS-only bucket policy, unless `tlsOnly` is false. */
  public readonly policy?: S3BucketPolicy;
  /** The default-encryption key when SSE-KMS is used; writers need kms:GenerateDataKey on it. */
  public readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: BucketProtectionProps) {
    super(scope, id);
    const bucket = props.bucket.id;
    this.kmsKeyArn = props.kmsKeyArn;
    if (props.kmsKeyArn !== undefined && !Token.isUnresolved(props.kmsKeyArn) && !KMS_KEY_ARN.test(props.kmsKeyArn)) {
      throw new Error(
        'bucket kmsKeyArn must be a KMS key ARN like arn:aws:kms:ap-northeast-2:123456789012:key/<key id> (an alias ' +
          `cannot be scoped in IAM policies), got "${props.kmsKeyArn}" (set BUCKET_KMS_KEY_ARN)`,
      );
    }
    const iaDays = props.infrequentAccessAfterDays ?? BUCKET_PROTECTION_DEFAULTS.infrequentAccessAfterDays;
    checkRange('bucket infrequentAccessAfterDays', iaDays, {
      min: 30,
      max: 36_500,
      unit: 'days',
      why: 'S3 moves objects to Standard-IA no sooner than 30 days after creation',
      integer: true,
    });
    if (props.expirationDays !== undefined) {
      checkRange('bucket expirationDays', props.expirationDays, {
        min: iaDays + 1,
        max: 36_500,
        unit: 'days',
        why: 'after the transition to Standard-IA',
        integer: true,
      });
    }

    const publicAccess = new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket,
      rule: [
        props.kmsKeyArn === undefined
          ? { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }
          : {
              applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: props.kmsKeyArn },
              // One data key per bucket instead of per object: far fewer KMS requests, same protection.
              bucketKeyEnabled: true,
            },
      ],
    });
    const versioning = props.versioned
      ? new S3BucketVersioningA(this, 'versioning', { bucket, versioningConfiguration: { status: 'Enabled' } })
      : undefined;

    if (props.tlsOnly !== false) this.policy = this.denyInsecureTransport(props.bucket, publicAccess);
    if (props.lifecycle !== false) this.addLifecycle(props, iaDays, versioning);
  }

  private denyInsecureTransport(bucket: S3Bucket, publicAccess: S3BucketPublicAccessBlock): S3BucketPolicy {
    const tlsOnly = new DataAwsIamPolicyDocument(this, 'tls-only', {
      statement: [
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: [{ type: '*', identifiers: ['*'] }],
          actions: ['s3:*'],
          resources: [bucket.arn, `${bucket.arn}/*`],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    // After the public access block: S3 rejects a policy it would consider public while the block is being set.
    return new S3BucketPolicy(this, 'policy', { bucket: bucket.id, policy: tlsOnly.json, dependsOn: [publicAccess] });
  }

  private addLifecycle(props: BucketProtectionProps, iaDays: number, versioning: S3BucketVersioningA | undefined): void {
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: props.bucket.id,
      rule: [
        {
          id: 'logs-to-infrequent-access',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          transition: [{ days: iaDays, storageClass: 'STANDARD_IA' }],
          expiration: props.expirationDays === undefined ? undefined : [{ days: props.expirationDays }],
          noncurrentVersionExpiration: props.versioned
            ? [{ noncurrentDays: BUCKET_PROTECTION_DEFAULTS.noncurrentVersionExpirationDays }]
            : undefined,
        },
        {
          id: 'abort-incomplete-multipart-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [
            { daysAfterInitiation: BUCKET_PROTECTION_DEFAULTS.abortIncompleteMultipartUploadDays },
          ],
        },
      ],
      // Versioning must be on before a rule about noncurrent versions is accepted.
      dependsOn: versioning === undefined ? undefined : [versioning],
    });
  }
}
