/**
 * The Firehose data-transformation contract: the event a transformation Lambda receives and the response it returns.
 *
 * Built on `@types/aws-lambda` (type-only: nothing reaches the Lambda bundle), made precise where AWS and LocalStack
 * differ from it: Firehose sends `subsequenceNumber` as a number (Powertools' schema validates it so), a Kinesis
 * source always comes with its metadata and stream ARN, and LocalStack sends records without `recordId`.
 */
import type {
  FirehoseRecordMetadata,
  FirehoseRecordTransformationStatus,
  FirehoseTransformationEvent as AwsFirehoseTransformationEvent,
  FirehoseTransformationEventRecord,
  FirehoseTransformationResultRecord,
} from 'aws-lambda';

/** `Ok`, `Dropped` or `ProcessingFailed`. */
export type FirehoseRecordResult = FirehoseRecordTransformationStatus;

/** The Kinesis metadata of a record whose source is a Kinesis Data Stream. */
export interface FirehoseKinesisRecordMetadata extends Omit<FirehoseRecordMetadata, 'subsequenceNumber'> {
  readonly subsequenceNumber: number;
}

/** One record as Firehose hands it to a transformation Lambda for a Kinesis Data Streams source. */
export interface FirehoseEventRecord extends Omit<FirehoseTransformationEventRecord, 'kinesisRecordMetadata'> {
  readonly kinesisRecordMetadata: FirehoseKinesisRecordMetadata;
}

/** Firehose's transformation event for a Kinesis Data Streams source. */
export interface FirehoseTransformationEvent extends Omit<AwsFirehoseTransformationEvent, 'records' | 'sourceKinesisStreamArn'> {
  readonly sourceKinesisStreamArn: string;
  readonly records: readonly FirehoseEventRecord[];
}

/** One record as a transformation Lambda may receive it: LocalStack sends neither `recordId` nor the rest. */
export type FirehoseInputRecord = Partial<Pick<FirehoseEventRecord, 'recordId' | 'data'>>;

/** The part of the event a transformation Lambda can rely on, on AWS and on LocalStack. */
export interface FirehoseInputEvent {
  readonly records?: readonly FirehoseInputRecord[];
}

/**
 * One result per input record, in input order: `recordId` echoed when the input had one; `data` is base64 (the
 * transformed bytes for `Ok`, the original bytes for `ProcessingFailed`, empty for `Dropped`).
 */
export interface FirehoseOutputRecord extends Omit<FirehoseTransformationResultRecord, 'recordId' | 'data' | 'metadata'> {
  recordId?: string;
  data: string;
}

/** The response of a transformation Lambda. */
export interface FirehoseTransformationResponse {
  records: FirehoseOutputRecord[];
}
