import { alarmSpecs, firehoseStalledSpec } from '../../stacks/alarm-specs';
import type { DeliveryStream } from '../../stacks/delivery-stream';
import type { LogStream } from '../../stacks/log-stream';
import type { ParserFunction } from '../../stacks/parser-function';
import { PipelineAlarms, PipelineAlarmsProps } from '../../stacks/pipeline-alarms';
import { resourcesOf, synth, testStack } from './construct-helpers';

// The alarms read only the names; stand-ins keep this test independent of the other constructs' inputs.
const pipeline = {
  stream: { streamName: 'logs' } as LogStream,
  delivery: { deliveryStreamName: 'logs-to-s3' } as DeliveryStream,
  parser: { functionName: 'logs-parser' } as ParserFunction,
};

function alarms(props: Partial<PipelineAlarmsProps> = {}) {
  const stack = testStack();
  new PipelineAlarms(stack, 'alarms', { ...pipeline, namePrefix: 'logs', ...props });
  return synth(stack);
}

function alarmNamed(json: ReturnType<typeof synth>, name: string): Record<string, unknown> | undefined {
  return resourcesOf(json, 'aws_cloudwatch_metric_alarm').find((a) => a.alarm_name === name);
}

describe('PipelineAlarms', () => {
  it.each([
    ['logs-firehose-data-freshness', 'AWS/Firehose', 'DeliveryToS3.DataFreshness', { DeliveryStreamName: 'logs-to-s3' }],
    ['logs-firehose-delivery-success', 'AWS/Firehose', 'DeliveryToS3.Success', { DeliveryStreamName: 'logs-to-s3' }],
    ['logs-firehose-processing-success', 'AWS/Firehose', 'ExecuteProcessing.Success', { DeliveryStreamName: 'logs-to-s3' }],
    ['logs-parser-errors', 'AWS/Lambda', 'Errors', { FunctionName: 'logs-parser' }],
    ['logs-parser-throttles', 'AWS/Lambda', 'Throttles', { FunctionName: 'logs-parser' }],
    ['logs-stream-iterator-age', 'AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', { StreamName: 'logs' }],
    ['logs-stream-write-throttled', 'AWS/Kinesis', 'WriteProvisionedThroughputExceeded', { StreamName: 'logs' }],
    ['logs-stream-no-incoming-records', 'AWS/Kinesis', 'IncomingRecords', { StreamName: 'logs' }],
  ])('%s watches %s %s with its resource dimension', (name, namespace, metric, dimensions) => {
    expect(alarmNamed(alarms(), name)).toMatchObject({ namespace, metric_name: metric, dimensions });
  });

  it('alarms when data is older than 15 minutes by default', () => {
    expect(alarmNamed(alarms(), 'logs-firehose-data-freshness')).toMatchObject({
      statistic: 'Maximum',
      comparison_operator: 'GreaterThanThreshold',
      threshold: 900,
    });
  });

  it('alarms when Firehose is an hour behind the stream by default', () => {
    expect(alarmNamed(alarms(), 'logs-stream-iterator-age')).toMatchObject({ threshold: 3_600_000 });
  });

  it('a stuck agent: no record on the stream for 15 one-minute periods, silence counting as breaching', () => {
    expect(alarmNamed(alarms(), 'logs-stream-no-incoming-records')).toMatchObject({
      statistic: 'Sum',
      comparison_operator: 'LessThanThreshold',
      threshold: 1,
      period: 60,
      evaluation_periods: 15,
      treat_missing_data: 'breaching',
    });
    expect(alarmNamed(alarms(), 'logs-stream-iterator-age')).toMatchObject({ treat_missing_data: 'notBreaching', period: 300 });
  });

  it('takes the stuck-agent minutes from props, within what CloudWatch can evaluate', () => {
    expect(alarmNamed(alarms({ noRecordsMinutes: 60 }), 'logs-stream-no-incoming-records')).toMatchObject({ evaluation_periods: 60 });
    expect(() => alarms({ noRecordsMinutes: 0 })).toThrow(
      'alarms noRecordsMinutes must be a whole number 1–1440 minutes (one-minute periods, at most a day (CloudWatch evaluates up to 1,440 of them)), got 0',
    );
  });

  it('takes thresholds from props', () => {
    const json = alarms({ dataFreshnessSeconds: 600, iteratorAgeMinutes: 5 });
    expect(alarmNamed(json, 'logs-firehose-data-freshness')).toMatchObject({ threshold: 600 });
    expect(alarmNamed(json, 'logs-stream-iterator-age')).toMatchObject({ threshold: 300_000 });
  });

  it('alarms when records arrive on the stream while Firehose reads none, a stop no other metric shows', () => {
    const alarm = alarmNamed(alarms(), 'logs-firehose-not-reading') as { metric_query: Array<Record<string, any>> };
    expect(alarm).toMatchObject({
      comparison_operator: 'GreaterThanOrEqualToThreshold',
      threshold: 1,
      evaluation_periods: 3,
      treat_missing_data: 'notBreaching',
    });
    expect(alarm.metric_query).toEqual([
      expect.objectContaining({ id: 'stalled', expression: 'IF(FILL(incoming, 0) > 0 AND FILL(read, 0) == 0, 1, 0)', return_data: true }),
      expect.objectContaining({
        id: 'incoming',
        return_data: false,
        metric: expect.objectContaining({ namespace: 'AWS/Kinesis', metric_name: 'IncomingRecords', dimensions: { StreamName: 'logs' }, stat: 'Sum' }),
      }),
      expect.objectContaining({
        id: 'read',
        return_data: false,
        metric: expect.objectContaining({
          namespace: 'AWS/Firehose',
          metric_name: 'DataReadFromKinesisStream.Records',
          dimensions: { DeliveryStreamName: 'logs-to-s3' },
          period: 300,
        }),
      }),
    ]);
  });

  it('creates no topic and no actions by default', () => {
    const json = alarms();
    expect(resourcesOf(json, 'aws_sns_topic')).toEqual([]);
    expect(resourcesOf(json, 'aws_cloudwatch_metric_alarm').every((a) => a.alarm_actions === undefined)).toBe(true);
  });

  it('notifies a created topic of alarms and recoveries, with an optional email subscription', () => {
    const json = alarms({ createTopic: true, notificationEmail: 'ops@example.com' });
    expect(resourcesOf(json, 'aws_sns_topic')).toEqual([expect.objectContaining({ name: 'logs-alarms' })]);
    expect(resourcesOf(json, 'aws_sns_topic_subscription')).toEqual([
      expect.objectContaining({ protocol: 'email', endpoint: 'ops@example.com' }),
    ]);
    for (const alarm of resourcesOf(json, 'aws_cloudwatch_metric_alarm')) {
      expect(alarm.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\.[\w-]+\.arn\}$/)]);
      expect(alarm.ok_actions).toEqual(alarm.alarm_actions);
    }
  });

  it('fails for an email without a topic', () => {
    expect(() => alarms({ notificationEmail: 'ops@example.com' })).toThrow(
      'alarms notificationEmail needs createTopic: true (it subscribes to that topic), got "ops@example.com"',
    );
  });

  it('fails for a freshness threshold under a minute', () => {
    expect(() => alarms({ dataFreshnessSeconds: 30 })).toThrow(/alarms dataFreshnessSeconds must be a whole number 60–86400 seconds/);
  });
});

describe('alarmSpecs', () => {
  it('gives every alarm exactly the one dimension its service publishes the metric under', () => {
    const expected = { 'AWS/Firehose': 'DeliveryStreamName', 'AWS/Lambda': 'FunctionName', 'AWS/Kinesis': 'StreamName' };
    for (const spec of alarmSpecs({ stream: 's', deliveryStream: 'd', fn: 'f' })) {
      expect(Object.keys(spec.dimensions)).toEqual([expected[spec.namespace]]);
    }
    for (const metric of firehoseStalledSpec({ stream: 's', deliveryStream: 'd' }).metrics) {
      expect(Object.keys(metric.dimensions)).toEqual([expected[metric.namespace]]);
    }
  });
});
