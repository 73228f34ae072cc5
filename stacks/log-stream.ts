import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { Construct } from 'constructs';
import { KINESIS_LIMITS } from '../facts/aws-limits';
import { physicalNames } from '../facts/names';
import { STREAM_DEFAULTS } from './defaults';
import { checkRange } from './validate';

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
  /** @default - "alias/aws/kinesis" */
  readonly kmsKeyId?: string;
}

/** The Kinesis Data Stream the agent writes nginx access-log lines to. */
export class LogStream extends Construct {
  public readonly stream: KinesisStream;
  public readonly streamArn: string;
  public readonly streamName: string;

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

    this.stream = new KinesisStream(this, 'stream', {
      name: props.streamName ?? physicalNames().stream,
      retentionPeriod: retentionHours,
      shardCount,
      streamModeDetails: { streamMode: mode === 'on-demand' ? 'ON_DEMAND' : 'PROVISIONED' },
      ...(props.encrypted === false
        ? {}
        : { encryptionType: 'KMS', kmsKeyId: props.kmsKeyId ?? STREAM_DEFAULTS.kmsKeyId }),
    });
    this.streamArn = this.stream.arn;
    this.streamName = this.stream.name;
  }
}
