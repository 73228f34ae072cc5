import { objectKey } from '../../facts/s3-layout';

/**
 * One failed record as AWS writes it under the pipeline's error prefix: the key and the error record, in the documented
 * field names and in the casing reported from real deployments. The stack's, the local Firehose's and verify's error
 * layout tests all read this, so the three cannot drift apart.
 */
export const ERROR_LAYOUT_FIXTURE = Object.freeze({
  deliveryStreamName: 'nginx-access-logs-to-s3',
  /** 2026-11-25T05:07:09Z: the oldest record's approximate arrival time. */
  arrivalMs: Date.UTC(2026, 10, 25, 5, 7, 9),
  uuid: '7578adbc-da7c-4c3c-86a7-89c99057ee7d',
  /** Where AWS puts it: errors/<error-output-type>/yyyy/MM/dd/HH/<stream>-<version>-<time>-<uuid>. */
  key: 'errors/processing-failed/2026/11/25/05/nginx-access-logs-to-s3-1-2026-11-25-05-07-09-7578adbc-da7c-4c3c-86a7-89c99057ee7d',
  hour: '2026/11/25/05',
  errorOutputType: 'processing-failed',
  /** The documented error record (data-transformation-failure-handling). */
  record: {
    attemptsMade: 1,
    arrivalTimestamp: 1_795_583_229_000,
    errorCode: 'Lambda.ProcessingFailedStatus',
    errorMessage: 'ProcessingFailed status set for record',
    attemptEndingTimestamp: 1_795_583_230_000,
    rawData: Buffer.from('not an nginx line\n').toString('base64'),
    lambdaArn: 'arn:aws:lambda:ap-northeast-2:123456789012:function:nginx-access-logs-parser:$LATEST',
  },
  /** The same record with the field casing reported from real AWS. */
  recordAsReported: {
    attemptsMade: 4,
    arrivalTimestamp: 1_795_583_229_000,
    errorCode: 'Lambda.FunctionError',
    errorMessage: 'The Lambda function was successfully invoked but it returned an error result.',
    attemptEndingTimestamp: 1_795_583_290_000,
    rawData: Buffer.from('another line\n').toString('base64'),
    lambdaARN: 'arn:aws:lambda:ap-northeast-2:123456789012:function:nginx-access-logs-parser:$LATEST',
  },
});

/** The key the fixture's record gets under the error prefix `prefix` (the stack's, or the documented one). */
export function fixtureErrorKey(prefix: string): string {
  const F = ERROR_LAYOUT_FIXTURE;
  return objectKey({
    prefix,
    deliveryStreamName: F.deliveryStreamName,
    version: 1,
    oldestArrivalMs: F.arrivalMs,
    extension: '',
    uuid: F.uuid,
    errorOutputType: F.errorOutputType,
  });
}
