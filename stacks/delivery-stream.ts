import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogStream } from '@cdktf/provider-aws/lib/cloudwatch-log-stream';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KinesisFirehoseDeliveryStream } from '@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream';
import { Annotations, Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  PROCESSOR_BUFFER_SAFE_MAX_MB,
  processorBufferError,
  TYPICAL_RESPONSE_EXPANSION,
} from '../functions/nginx-parser/limits';
import { FIREHOSE_API_DEFAULTS } from '../facts/aws-defaults';
import { FIREHOSE_LIMITS } from '../facts/aws-limits';
import { physicalNames } from '../facts/names';
import { DELIVERY_DEFAULTS, LOG_DEFAULTS } from './defaults';
import { assumeRolePolicy } from './iam';
import type { LogBucket } from './log-bucket';
import type { LogStream } from './log-stream';
import type { ParserFunction } from './parser-function';
import { checkErrorPrefix, checkRange, checkStaticPrefix } from './validate';

/** What the delivery stream connects, and its prefixes, buffering and processor parameters. */
export interface DeliveryStreamProps {
  /** The Kinesis Data Stream Firehose reads from (from its LATEST position). */
  readonly source: LogStream;
  /** The bucket the parsed records and the failed ones land in. */
  readonly destination: LogBucket;
  /** The transformation Lambda each buffered batch goes through. */
  readonly processor: ParserFunction;
  /**
   * The delivery stream's name; it starts every object name.
   * @default - "nginx-access-logs-to-s3"
   */
  readonly deliveryStreamName?: string;
  /**
   * Static key prefix ending in "/"; Firehose appends YYYY/MM/dd/HH/ (UTC, arrival time).
   * @default - "nginx/", so keys are nginx/2020/12/22/12/<stream>-1-2020-12-22-12-20-28-<uuid>
   */
  readonly prefix?: string;
  /**
   * Prefix for records the parser rejects or batches Firehose cannot transform; must hold
   * `!{firehose:error-output-type}` and a `!{timestamp:…}` expression and stay apart from `prefix`.
   * @default - "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/" (facts/s3-layout.ts), so keys are
   *   errors/processing-failed/2020/12/22/12/<stream>-1-2020-12-22-12-20-28-<uuid> on AWS and locally alike
   */
  readonly errorOutputPrefix?: string;
  /**
   * S3 object size at which Firehose flushes (before compression).
   * @default - 5 MB, Firehose's default
   */
  readonly bufferingSizeMBs?: number;
  /**
   * Seconds after which Firehose flushes to S3 whatever it holds.
   * @default - 60 seconds, the Kinesis Agent's own flush age
   */
  readonly bufferingIntervalSeconds?: number;
  /**
   * Batch size handed to the Lambda, 0.2–3 MB; its response (typically ~3x the input, measured by the parser's
   * benchmark) must fit Lambda's 6 MB, so above the parser's safe size some records of a full batch go to the error
   * prefix unconverted (synth warns).
   * @default - 1 MB, Firehose's default
   */
  readonly processorBufferSizeMBs?: number;
  /**
   * Seconds Firehose waits to fill a Lambda batch.
   * @default - 60 seconds, Firehose's default
   */
  readonly processorBufferIntervalSeconds?: number;
  /**
   * Retries of a failed Lambda invocation before the batch goes to the error prefix.
   * @default - 3, Firehose's default
   */
  readonly processorRetries?: number;
  /**
   * Compression of the S3 objects: UNCOMPRESSED, GZIP, ZIP, Snappy or HADOOP_SNAPPY.
   * @default - "UNCOMPRESSED", readable as is and identical on LocalStack (which ignores compression)
   */
  readonly compressionFormat?: string;
  /**
   * Source-record backup: Firehose also writes every record as it arrived, before the parser, under this static
   * prefix (same bucket, buffering and compression), so a later parser or format can be applied to history with
   * `npm run redrive -- --raw`. Once enabled on a delivery stream, AWS does not allow turning it off again.
   * @default - no backup
   */
  readonly rawBackupPrefix?: string;
  /**
   * Name of the role Firehose assumes; IAM names are account-wide, so the stack adds the region.
   * @default - "<deliveryStreamName>-firehose"
   */
  readonly roleName?: string;
  /**
   * Days the delivery-error log group keeps logs.
   * @default - 14 days
   */
  readonly logRetentionDays?: number;
}

/**
 * The Firehose delivery stream: Kinesis stream → parser Lambda → S3, logging delivery errors to CloudWatch.
 *
 * Its role holds what the stream's, the bucket's and the function's grants return (read, write with the bucket key,
 * invoke) and its own log stream, nothing else; only Firehose acting for this account may assume it.
 */
export class DeliveryStream extends Construct {
  public readonly deliveryStream: KinesisFirehoseDeliveryStream;
  public readonly deliveryStreamArn: string;
  public readonly deliveryStreamName: string;
  public readonly role: IamRole;
  public readonly errorLogGroup: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: DeliveryStreamProps) {
    super(scope, id);
    const name = props.deliveryStreamName ?? physicalNames().deliveryStream;
    const settings = {
      prefix: props.prefix ?? DELIVERY_DEFAULTS.prefix,
      errorOutputPrefix: props.errorOutputPrefix ?? DELIVERY_DEFAULTS.errorOutputPrefix,
      bufferingSizeMBs: props.bufferingSizeMBs ?? DELIVERY_DEFAULTS.bufferingSizeMBs,
      bufferingIntervalSeconds: props.bufferingIntervalSeconds ?? DELIVERY_DEFAULTS.bufferingIntervalSeconds,
      processorBufferSizeMBs: props.processorBufferSizeMBs ?? DELIVERY_DEFAULTS.processorBufferSizeMBs,
      processorBufferIntervalSeconds:
        props.processorBufferIntervalSeconds ?? DELIVERY_DEFAULTS.processorBufferIntervalSeconds,
      processorRetries: props.processorRetries ?? DELIVERY_DEFAULTS.processorRetries,
    };
    validate(settings);
    if (props.rawBackupPrefix !== undefined) {
      checkStaticPrefix('delivery rawBackupPrefix', props.rawBackupPrefix);
      if ([settings.prefix, settings.errorOutputPrefix].includes(props.rawBackupPrefix)) {
        throw new Error(`delivery rawBackupPrefix must differ from prefix and errorOutputPrefix, got "${props.rawBackupPrefix}"`);
      }
    }
    const compressionFormat = props.compressionFormat ?? DELIVERY_DEFAULTS.compressionFormat;
    if (settings.processorBufferSizeMBs > PROCESSOR_BUFFER_SAFE_MAX_MB) {
      Annotations.of(this).addWarning(
        `processor buffer ${settings.processorBufferSizeMBs} MB is above ${PROCESSOR_BUFFER_SAFE_MAX_MB} MB: typical ` +
          `nginx traffic grows about ${TYPICAL_RESPONSE_EXPANSION}x through the parser, so records past the 6 MB ` +
          'Lambda response land under the error prefix instead of being converted',
      );
    }

    this.errorLogGroup = new CloudwatchLogGroup(this, 'error-log-group', {
      name: `/aws/kinesisfirehose/${name}`,
      retentionInDays: props.logRetentionDays ?? LOG_DEFAULTS.retentionDays,
    });
    const errorLogStream = new CloudwatchLogStream(this, 'error-log-stream', {
      name: DELIVERY_DEFAULTS.errorLogStreamName,
      logGroupName: this.errorLogGroup.name,
    });

    // Firehose passes the account id as the external id (its documented trust policy): no other account's delivery
    // stream can be made to assume this role (the confused-deputy problem).
    const account = new DataAwsCallerIdentity(this, 'account');
    this.role = new IamRole(this, 'role', {
      name: props.roleName ?? `${name}-firehose`,
      assumeRolePolicy: assumeRolePolicy(this, 'assume-role', 'firehose.amazonaws.com', [
        { test: 'StringEquals', variable: 'sts:ExternalId', values: [account.accountId] },
      ]),
    });
    // Each resource says what its user needs; the role holds exactly those statements and its own log stream.
    const access = new DataAwsIamPolicyDocument(this, 'access', {
      statement: [
        ...props.source.grantRead(),
        ...props.destination.grantWrite(),
        ...props.processor.grantInvoke(),
        { sid: 'LogDeliveryErrors', actions: ['logs:PutLogEvents'], resources: [errorLogStream.arn] },
      ],
    });
    const rolePolicy = new IamRolePolicy(this, 'role-policy', {
      name: 'deliver-nginx-logs',
      role: this.role.id,
      policy: access.json,
    });

    // Firehose checks the role's access to the stream at creation: the policy must be in place first.
    this.deliveryStream = new KinesisFirehoseDeliveryStream(this, 'delivery-stream', {
      name,
      destination: 'extended_s3',
      kinesisSourceConfiguration: { kinesisStreamArn: props.source.streamArn, roleArn: this.role.arn },
      extendedS3Configuration: {
        roleArn: this.role.arn,
        bucketArn: props.destination.bucketArn,
        prefix: settings.prefix,
        errorOutputPrefix: settings.errorOutputPrefix,
        bufferingSize: settings.bufferingSizeMBs,
        bufferingInterval: settings.bufferingIntervalSeconds,
        compressionFormat,
        ...(props.rawBackupPrefix === undefined
          ? {}
          : {
              s3BackupMode: 'Enabled',
              s3BackupConfiguration: {
                roleArn: this.role.arn,
                bucketArn: props.destination.bucketArn,
                prefix: props.rawBackupPrefix,
                bufferingSize: settings.bufferingSizeMBs,
                bufferingInterval: settings.bufferingIntervalSeconds,
                compressionFormat,
              },
            }),
        cloudwatchLoggingOptions: {
          enabled: true,
          logGroupName: this.errorLogGroup.name,
          logStreamName: errorLogStream.name,
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: 'Lambda',
              parameters: processorParameters(props.processor.functionArn, {
                NumberOfRetries: settings.processorRetries,
                BufferSizeInMBs: settings.processorBufferSizeMBs,
                BufferIntervalInSeconds: settings.processorBufferIntervalSeconds,
              }),
            },
          ],
        },
      },
      dependsOn: [rolePolicy],
    });
    this.deliveryStreamArn = this.deliveryStream.arn;
    this.deliveryStreamName = this.deliveryStream.name;
  }
}

/**
 * The Lambda processor's parameters: the function, then each setting that differs from Firehose's own default.
 *
 * A setting equal to the default is the value Firehose applies anyway; written out, the provider drops it from
 * state and every later plan shows it as a change (see `FIREHOSE_API_DEFAULTS.processor`).
 */
export function processorParameters(
  lambdaArn: string,
  settings: Record<keyof typeof FIREHOSE_API_DEFAULTS.processor, number>,
): Array<{ parameterName: string; parameterValue: string }> {
  const names = Object.keys(FIREHOSE_API_DEFAULTS.processor) as Array<keyof typeof FIREHOSE_API_DEFAULTS.processor>;
  return [
    { parameterName: 'LambdaArn', parameterValue: lambdaArn },
    ...names
      .filter((name) => Token.isUnresolved(settings[name]) || settings[name] !== FIREHOSE_API_DEFAULTS.processor[name])
      .map((name) => ({ parameterName: name, parameterValue: String(settings[name]) })),
  ];
}

function validate(settings: {
  prefix: string;
  errorOutputPrefix: string;
  bufferingSizeMBs: number;
  bufferingIntervalSeconds: number;
  processorBufferSizeMBs: number;
  processorBufferIntervalSeconds: number;
  processorRetries: number;
}): void {
  checkStaticPrefix('delivery prefix', settings.prefix);
  checkErrorPrefix(settings.errorOutputPrefix, settings.prefix);
  if (!Token.isUnresolved(settings.processorBufferSizeMBs)) {
    const problem = processorBufferError(settings.processorBufferSizeMBs);
    if (problem !== undefined) throw new Error(`delivery ${problem}`);
  }
  checkRange('delivery processorBufferIntervalSeconds', settings.processorBufferIntervalSeconds, {
    min: 0,
    max: FIREHOSE_LIMITS.processorBufferIntervalMaxSeconds,
    unit: 'seconds',
    why: 'Firehose limit for a Lambda processor',
    integer: true,
  });
  checkRange('delivery processorRetries', settings.processorRetries, {
    min: 0,
    max: FIREHOSE_LIMITS.processorRetriesMax,
    unit: 'retries',
    why: 'Firehose limit',
    integer: true,
  });
  checkRange('delivery bufferingSizeMBs', settings.bufferingSizeMBs, {
    min: FIREHOSE_LIMITS.bufferingSizeMinMBs,
    max: FIREHOSE_LIMITS.bufferingSizeMaxMBs,
    unit: 'MB',
    why: 'Firehose S3 buffering limit',
    integer: true,
  });
  checkRange('delivery bufferingIntervalSeconds', settings.bufferingIntervalSeconds, {
    min: 0,
    max: FIREHOSE_LIMITS.bufferingIntervalMaxSeconds,
    unit: 'seconds',
    why: 'Firehose S3 buffering limit',
    integer: true,
  });
}
