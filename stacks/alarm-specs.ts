/**
 * The pipeline's CloudWatch alarms as data: metric, dimension, statistic and threshold, with why.
 *
 * Pure, so tests (and a reader) can check every alarm's dimension without synthesizing.
 */

/** Alarm thresholds, with why; every alarm evaluates 5-minute periods. */
export const ALARM_DEFAULTS = Object.freeze({
  periodSeconds: 300,
  /** Firehose's advice: alarm when the oldest undelivered record is older than the buffering limit (15 min). */
  dataFreshnessSeconds: 900,
  /** Firehose reads the stream continuously: an hour behind is an outage long before the 24 h retention drops data. */
  iteratorAgeMinutes: 60,
  /** Success ratios and throttling must stay bad for this many periods (Firehose and the agent retry meanwhile). */
  sustainedPeriods: 3,
  /**
   * No record reached the stream for this many minutes: the agent (ours or the Kinesis Agent) is stuck or stopped, or
   * nginx logs nothing. A web server with health checks logs every few seconds; raise it for a quiet site.
   */
  noRecordsMinutes: 15,
});

/** One alarm as data: the metric with its dimension, the statistic and when it fires. */
export interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly namespace: 'AWS/Firehose' | 'AWS/Lambda' | 'AWS/Kinesis';
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: 'Maximum' | 'Minimum' | 'Sum' | 'Average';
  readonly comparisonOperator: 'GreaterThanThreshold' | 'LessThanThreshold' | 'GreaterThanOrEqualToThreshold';
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** @default ALARM_DEFAULTS.periodSeconds */
  readonly periodSeconds?: number;
  /**
   * What a period without data means. @default 'notBreaching' - no traffic (or no deliveries yet) is not a failure
   */
  readonly treatMissingData?: 'breaching' | 'notBreaching';
}

/** The thresholds `alarmSpecs` reads. */
export interface AlarmThresholds {
  readonly dataFreshnessSeconds: number;
  readonly iteratorAgeMinutes: number;
  readonly sustainedPeriods: number;
  readonly noRecordsMinutes: number;
}

/**
 * The pipeline's alarms. Each names its resource in the dimension the service publishes the metric under
 * (`DeliveryStreamName`, `FunctionName`, `StreamName`): a metric without it has no data and never fires.
 */
export function alarmSpecs(
  names: { readonly stream: string; readonly deliveryStream: string; readonly fn: string },
  t: AlarmThresholds = ALARM_DEFAULTS,
): AlarmSpec[] {
  const firehose = { namespace: 'AWS/Firehose', dimensions: { DeliveryStreamName: names.deliveryStream } } as const;
  const lambda = { namespace: 'AWS/Lambda', dimensions: { FunctionName: names.fn } } as const;
  const kinesis = { namespace: 'AWS/Kinesis', dimensions: { StreamName: names.stream } } as const;
  const above = 'GreaterThanThreshold';
  const below = 'LessThanThreshold';
  const atLeast = 'GreaterThanOrEqualToThreshold';
  return [
    {
      id: 'firehose-data-freshness',
      description: `Oldest record in Firehose is older than ${t.dataFreshnessSeconds} s: delivery to S3 is stuck or slow`,
      ...firehose, metricName: 'DeliveryToS3.DataFreshness', statistic: 'Maximum',
      comparisonOperator: above, threshold: t.dataFreshnessSeconds, evaluationPeriods: 1,
    },
    {
      id: 'firehose-delivery-success',
      description: 'Firehose failed to put objects to S3 (check the bucket policy, the KMS key and the error log group)',
      ...firehose, metricName: 'DeliveryToS3.Success', statistic: 'Minimum',
      comparisonOperator: below, threshold: 1, evaluationPeriods: t.sustainedPeriods,
    },
    {
      id: 'firehose-processing-success',
      description: 'Firehose failed to invoke the parser Lambda; the batches go to the error prefix',
      ...firehose, metricName: 'ExecuteProcessing.Success', statistic: 'Minimum',
      comparisonOperator: below, threshold: 1, evaluationPeriods: t.sustainedPeriods,
    },
    {
      id: 'parser-errors',
      description: 'The parser Lambda crashed or timed out (bad lines are ProcessingFailed results, not errors)',
      ...lambda, metricName: 'Errors', statistic: 'Sum', comparisonOperator: atLeast, threshold: 1, evaluationPeriods: 1,
    },
    {
      id: 'parser-throttles',
      description: 'The parser Lambda was throttled: raise its concurrency or the account limit',
      ...lambda, metricName: 'Throttles', statistic: 'Sum', comparisonOperator: atLeast, threshold: 1, evaluationPeriods: 1,
    },
    {
      id: 'stream-iterator-age',
      description: `Firehose is more than ${t.iteratorAgeMinutes} min behind the stream; records expire at the retention limit`,
      ...kinesis, metricName: 'GetRecords.IteratorAgeMilliseconds', statistic: 'Maximum',
      comparisonOperator: above, threshold: t.iteratorAgeMinutes * 60_000, evaluationPeriods: 1,
    },
    {
      id: 'stream-write-throttled',
      description: 'Agents are throttled writing to the stream: add shards (see planStreamCapacity) or use on-demand',
      ...kinesis, metricName: 'WriteProvisionedThroughputExceeded', statistic: 'Sum',
      comparisonOperator: above, threshold: 0, evaluationPeriods: t.sustainedPeriods,
    },
    {
      id: 'stream-no-incoming-records',
      description:
        `No record reached the stream for ${t.noRecordsMinutes} min: the log agent on the web host is stuck or stopped ` +
        '(check its service and log), or nginx logs nothing',
      ...kinesis, metricName: 'IncomingRecords', statistic: 'Sum',
      comparisonOperator: below, threshold: 1, evaluationPeriods: t.noRecordsMinutes, periodSeconds: 60,
      // Kinesis publishes nothing for a minute without writes: silence is exactly what this alarm is about.
      treatMissingData: 'breaching',
    },
  ];
}

/** One metric of a metric-math alarm. */
export interface AlarmMetric {
  readonly id: string;
  readonly namespace: AlarmSpec['namespace'];
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly stat: 'Sum' | 'Maximum';
}

/** An alarm on a metric-math expression over several metrics. */
export interface ExpressionAlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly expression: string;
  readonly metrics: readonly AlarmMetric[];
  readonly threshold: number;
  readonly evaluationPeriods: number;
}

/**
 * Firehose stopped reading the stream: records arrive on the stream while Firehose reads none.
 *
 * Iterator age, `KinesisMillisBehindLatest` and data freshness are published only while Firehose reads, so none of
 * them can see a reader that stopped (a deleted or failed delivery stream, a broken role). `IncomingRecords` is
 * published by the stream whatever Firehose does; FILL turns Firehose's missing datapoints into zero reads. With no
 * traffic at all the expression has no data, which is no alarm.
 */
export function firehoseStalledSpec(
  names: { readonly stream: string; readonly deliveryStream: string },
  t: AlarmThresholds = ALARM_DEFAULTS,
): ExpressionAlarmSpec {
  return {
    id: 'firehose-not-reading',
    description:
      `Records arrived on the stream for ${t.sustainedPeriods} periods while Firehose read none: the delivery stream ` +
      'stopped (check its status, its role and the error log group); records expire at the stream retention',
    expression: 'IF(FILL(incoming, 0) > 0 AND FILL(read, 0) == 0, 1, 0)',
    metrics: [
      { id: 'incoming', namespace: 'AWS/Kinesis', metricName: 'IncomingRecords', dimensions: { StreamName: names.stream }, stat: 'Sum' },
      {
        id: 'read',
        namespace: 'AWS/Firehose',
        metricName: 'DataReadFromKinesisStream.Records',
        dimensions: { DeliveryStreamName: names.deliveryStream },
        stat: 'Sum',
      },
    ],
    threshold: 1,
    evaluationPeriods: t.sustainedPeriods,
  };
}

/**
 * How many alarm metrics the pipeline's alarms bill: one per simple alarm, one per metric in an expression alarm
 * (CloudWatch pricing bills a metric-math alarm per metric it reads).
 */
export function alarmMetricCount(): number {
  const names = { stream: 's', deliveryStream: 'd', fn: 'f' };
  return alarmSpecs(names).length + firehoseStalledSpec(names).metrics.length;
}
