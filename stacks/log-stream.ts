import type { DataAwsIamPolicyDocumentStatement } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { KINESIS_LIMITS } from '../facts/aws-limits';
import { physicalNames } from '../facts/names';
import { STREAM_DEFAULTS } from './defaults';
import { checkRange } from './validate';

/** The calls a consumer makes to read a stream (Firehose's documented set for a Kinesis source). */
export const STREAM_READ_ACTIONS = Object.freeze([
  'kinesis:DescribeStream',
  'kinesis:GetShardIterator',
  'kinesis:GetRecords',
  'kinesis:ListShards',
]);

/** The calls a producer makes to write a stream; a producer that uses only one passes just that one. */
export const STREAM_WRITE_ACTIONS = Object.freeze(['kinesis:PutRecord', 'kinesis:PutRecords']);

/** How the stream is sized: a fixed shard count, or on-demand (pay per GB, AWS scales the shards). */
export type StreamCapacityMode = 'provisioned' | 'on-demand';

/** Name, capacity and retention of the log stream. */
export interface LogStreamProps {
  /**
   * The stream's name, which the Kinesis Agent's `kinesisStream` setting names.
   * @default - "nginx-access-logs", the original setup's stream
   */
  readonly streamName?: string;
  /**
   * Provisioned shards or on-demand capacity.
   * @default - "provisioned"
   */
  readonly capacityMode?: StreamCapacityMode;
  /**
   * Shards when provisioned; each takes 1 MiB/s or 1,000 records/s of writes. Must be unset for on-demand.
   * @default - 1 shard
   */
  readonly shardCount?: number;
  /**
   * How long records stay readable; Firehose can catch up after an outage for this long.
   * @default - 24 hours, the free retention
   */
  readonly retentionHours?: number;
  /**
   * Server-side encryption with KMS; a customer-managed key also needs kms:GenerateDataKey for the agent and
   * kms:Decrypt for Firehose.
   * @default - true, with the AWS-managed key alias/aws/kinesis (the stack turns it off for LocalStack)
   */
  readonly encrypted?: boolean;
  /**
   * The key: `alias/aws/kinesis` (AWS-managed, no grants needed) or the ARN of a customer-managed key, which the
   * grants then name with a `kms:ViaService` condition.
   * @default - "alias/aws/kinesis"
   */
  readonly kmsKeyId?: string;
}

/** The Kinesis Data Stream the agent writes nginx access-log lines to. */
export class LogStream extends Construct {
  public readonly stream: KinesisStream;
  public readonly streamArn: string;
  public readonly streamName: string;
  /** The customer-managed key encrypting the stream, when there is one (producers and consumers need it). */
  public readonly kmsKeyArn?: string;

  constructor(scope: Construct, id: string, props: LogStreamProps = {}) {
    super(scope, id);
    const mode = props.capacityMode ?? 'provisioned';
    const retentionHours = props.retentionHours ?? STREAM_DEFAULTS.retentionHours;
    checkRange('stream retentionHours', retentionHours, {
      min: KINESIS_LIMITS.defaultRetentionHours,
      max: KINESIS_LIMITS.maxRetentionHours,
      unit: 'hours',
      why: 'Kinesis retention limits',
      integer: true,
    });
    if (mode === 'on-demand' && props.shardCount !== undefined) {
      throw new Error(
        `stream shardCount must be unset for on-demand capacity (AWS manages the shards), got ${props.shardCount}`,
      );
    }
    const shardCount = mode === 'provisioned' ? (props.shardCount ?? STREAM_DEFAULTS.shardCount) : undefined;
    if (shardCount !== undefined) {
      checkRange('stream shardCount', shardCount, {
        min: 1,
        max: KINESIS_LIMITS.defaultAccountShardQuota,
        unit: 'shards',
        why: 'a provisioned stream needs at least one shard; 200 is the smallest default account quota',
        integer: true,
      });
    }

    const kmsKeyId = props.kmsKeyId ?? STREAM_DEFAULTS.kmsKeyId;
    if (props.encrypted !== false && kmsKeyId !== STREAM_DEFAULTS.kmsKeyId) {
      if (!Token.isUnresolved(kmsKeyId) && !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[\w-]+$/.test(kmsKeyId)) {
        throw new Error(
          `stream kmsKeyId must be ${STREAM_DEFAULTS.kmsKeyId} or a KMS key ARN (the grants name the key), got "${kmsKeyId}"`,
        );
      }
      this.kmsKeyArn = kmsKeyId;
    }

    this.stream = new KinesisStream(this, 'stream', {
      name: props.streamName ?? physicalNames().stream,
      retentionPeriod: retentionHours,
      shardCount,
      streamModeDetails: { streamMode: mode === 'on-demand' ? 'ON_DEMAND' : 'PROVISIONED' },
      ...(props.encrypted === false
        ? {}
        : { encryptionType: 'KMS', kmsKeyId }),
    });
    this.streamArn = this.stream.arn;
    this.streamName = this.stream.name;
  }

  /** The IAM statements a consumer (Firehose) needs to read this stream, with the key's Decrypt when it has one. */
  grantRead(): DataAwsIamPolicyDocumentStatement[] {
    return [
      { sid: 'ReadLogStream', actions: [...STREAM_READ_ACTIONS], resources: [this.streamArn] },
      ...this.keyStatements('DecryptLogStream', ['kms:Decrypt']),
    ];
  }

  /**
   * The IAM statements a producer needs to write this stream: `actions` (only the calls the producer makes), with the
   * key's GenerateDataKey when it has one.
   */
  grantWrite(actions: readonly string[] = STREAM_WRITE_ACTIONS): DataAwsIamPolicyDocumentStatement[] {
    const unknown = actions.filter((a) => !STREAM_WRITE_ACTIONS.includes(a));
    if (unknown.length > 0) {
      throw new Error(`stream grantWrite takes ${STREAM_WRITE_ACTIONS.join(' or ')}, got ${unknown.join(', ')}`);
    }
    return [
      { sid: 'WriteLogStream', actions: [...actions], resources: [this.streamArn] },
      ...this.keyStatements('EncryptLogStream', ['kms:GenerateDataKey']),
    ];
  }

  /** A customer-managed key may be used only through Kinesis in this region. */
  private keyStatements(sid: string, actions: string[]): DataAwsIamPolicyDocumentStatement[] {
    if (this.kmsKeyArn === undefined) return [];
    const region = (this.node.tryFindChild('region') as DataAwsRegion | undefined) ?? new DataAwsRegion(this, 'region');
    return [
      {
        sid,
        actions,
        resources: [this.kmsKeyArn],
        condition: [{ test: 'StringEquals', variable: 'kms:ViaService', values: [`kinesis.${region.name}.amazonaws.com`] }],
      },
    ];
  }
}
