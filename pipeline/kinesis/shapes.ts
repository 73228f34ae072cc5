/**
 * The request shapes of the operations the embedded Kinesis serves: member types and constraints as in the Kinesis
 * service model (and kinesalite's record of it), in the order the service checks them.
 */
import { KINESIS_LIMITS } from '../../facts/aws-limits';
import type { Member, Shape } from './validation';

const NAME = { type: 'String', regex: '[a-zA-Z0-9_.-]+', lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: 128 } as const;
const STREAM_NAME: Member = { type: 'String', notNull: true, regex: NAME.regex, lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: 128 };
const LIMIT: Member = { type: 'Integer', greaterThanOrEqual: 1, lessThanOrEqual: 10_000 };
const SEQUENCE: Member = { type: 'String', regex: '0|([1-9]\\d{0,128})' };
const HASH_KEY: Member = { type: 'String', regex: '0|([1-9]\\d{0,38})' };
const PARTITION_KEY: Member = { type: 'String', notNull: true, lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: KINESIS_LIMITS.maxPartitionKeyLength };
const DATA: Member = { type: 'Blob', notNull: true, lengthLessThanOrEqual: KINESIS_LIMITS.maxRecordBytes };
const RETENTION: Member = { type: 'Integer', notNull: true, greaterThanOrEqual: 1, lessThanOrEqual: 168 };

/** Operation name → request shape. */
export const SHAPES = {
  CreateStream: {
    ShardCount: { type: 'Integer', notNull: true, greaterThanOrEqual: 1, lessThanOrEqual: 100_000 },
    StreamName: STREAM_NAME,
  },
  DeleteStream: { StreamName: STREAM_NAME },
  DescribeStream: { Limit: LIMIT, ExclusiveStartShardId: NAME, StreamName: STREAM_NAME },
  DescribeStreamSummary: { StreamName: STREAM_NAME },
  ListStreams: { Limit: LIMIT, ExclusiveStartStreamName: NAME },
  ListShards: {
    ExclusiveStartShardId: NAME,
    MaxResults: LIMIT,
    NextToken: { type: 'String', lengthGreaterThanOrEqual: 1 },
    StreamCreationTimestamp: { type: 'Timestamp' },
    StreamName: NAME,
  },
  PutRecord: {
    SequenceNumberForOrdering: SEQUENCE,
    PartitionKey: PARTITION_KEY,
    ExplicitHashKey: HASH_KEY,
    Data: DATA,
    StreamName: STREAM_NAME,
  },
  PutRecords: {
    Records: {
      type: 'List',
      notNull: true,
      lengthGreaterThanOrEqual: 1,
      lengthLessThanOrEqual: KINESIS_LIMITS.maxRecordsPerPutRecords,
      memberStr: 'com.amazonaws.kinesis.v20131202.PutRecordsRequestEntry@c965e310',
      children: { type: 'Structure', children: { PartitionKey: PARTITION_KEY, ExplicitHashKey: HASH_KEY, Data: DATA } },
    },
    StreamName: STREAM_NAME,
  },
  GetShardIterator: {
    ShardId: { ...NAME, notNull: true },
    ShardIteratorType: {
      type: 'String',
      notNull: true,
      enum: ['AFTER_SEQUENCE_NUMBER', 'LATEST', 'AT_TIMESTAMP', 'AT_SEQUENCE_NUMBER', 'TRIM_HORIZON'],
    },
    StartingSequenceNumber: SEQUENCE,
    StreamName: STREAM_NAME,
    Timestamp: { type: 'Timestamp' },
  },
  GetRecords: {
    Limit: LIMIT,
    ShardIterator: { type: 'String', notNull: true, lengthGreaterThanOrEqual: 1, lengthLessThanOrEqual: 512 },
  },
  IncreaseStreamRetentionPeriod: { RetentionPeriodHours: RETENTION, StreamName: STREAM_NAME },
  DecreaseStreamRetentionPeriod: { RetentionPeriodHours: RETENTION, StreamName: STREAM_NAME },
} satisfies Record<string, Shape>;

/** The operations the embedded Kinesis serves. */
export type Operation = keyof typeof SHAPES;
