import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { ALARM_DEFAULTS } from './alarm-specs';

/** The resources a dashboard shows, by the names their metrics are published under. */
export interface DashboardNames {
  readonly stream: string;
  readonly deliveryStream: string;
  readonly fn: string;
}

type Metric = readonly (string | Record<string, unknown>)[];
/** A CloudWatch dashboard widget (the dashboard body structure, CloudWatch API reference). */
export interface DashboardWidget {
  readonly type: 'metric' | 'alarm';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const WIDTH = 12;
const HEIGHT = 6;

/**
 * The ops dashboard's widgets: what enters the stream, how far behind Firehose reads, what Firehose reads, transforms
 * and delivers, the parser's health, and the alarm states. Pure, so it is tested without synthesizing.
 *
 * Every metric names its resource in the dimension its service publishes it under (`StreamName`,
 * `DeliveryStreamName`, `FunctionName`); without it a graph shows nothing.
 */
export function dashboardWidgets(names: DashboardNames, region: string, alarmArns: readonly string[]): DashboardWidget[] {
  const kinesis = (metric: string, extra: Record<string, unknown> = {}): Metric => [
    'AWS/Kinesis', metric, 'StreamName', names.stream, extra,
  ];
  const firehose = (metric: string, extra: Record<string, unknown> = {}): Metric => [
    'AWS/Firehose', metric, 'DeliveryStreamName', names.deliveryStream, extra,
  ];
  const lambda = (metric: string, extra: Record<string, unknown> = {}): Metric => [
    'AWS/Lambda', metric, 'FunctionName', names.fn, extra,
  ];
  const period = ALARM_DEFAULTS.periodSeconds;
  const graph = (title: string, metrics: Metric[], extra: Record<string, unknown> = {}) => ({
    type: 'metric' as const,
    properties: { title, region, period, view: 'timeSeries', stat: 'Sum', metrics, ...extra },
  });
  const widgets = [
    graph('Stream: incoming lines (records) and bytes', [
      kinesis('IncomingRecords', { label: 'lines' }),
      kinesis('IncomingBytes', { label: 'bytes', yAxis: 'right' }),
    ]),
    graph('Reading behind the stream (ms)', [
      kinesis('GetRecords.IteratorAgeMilliseconds', { stat: 'Maximum', label: 'iterator age' }),
      firehose('KinesisMillisBehindLatest', { stat: 'Maximum', label: 'Firehose behind latest' }),
    ]),
    graph('Firehose: records in and out', [
      firehose('DataReadFromKinesisStream.Records', { id: 'read', label: 'read from the stream' }),
      firehose('DeliveryToS3.Records', { label: 'delivered to S3' }),
    ]),
    graph('Processing: records the parser converted and failed', [
      firehose('DataReadFromKinesisStream.Records', { id: 'received', visible: false }),
      firehose('SucceedProcessing.Records', { id: 'ok', label: 'converted' }),
      // Firehose publishes no failed-record count: what it read and did not convert went to the error prefix.
      [{ expression: 'MAX([received - ok, 0])', label: 'failed (under errors/processing-failed/)', id: 'failed' }],
    ]),
    graph('Delivery: freshness (s) and success', [
      firehose('DeliveryToS3.DataFreshness', { stat: 'Maximum', label: 'oldest record (s)' }),
      firehose('DeliveryToS3.Success', { stat: 'Average', label: 'S3 success ratio', yAxis: 'right' }),
      firehose('ExecuteProcessing.Success', { stat: 'Average', label: 'Lambda invoke success ratio', yAxis: 'right' }),
    ]),
    graph('Parser Lambda: duration (ms), errors, throttles', [
      lambda('Duration', { stat: 'Average', label: 'duration avg' }),
      lambda('Duration', { stat: 'Maximum', label: 'duration max' }),
      lambda('Errors', { label: 'errors', yAxis: 'right' }),
      lambda('Throttles', { label: 'throttles', yAxis: 'right' }),
    ]),
    { type: 'alarm' as const, properties: { title: 'Alarms', alarms: [...alarmArns], sortBy: 'stateUpdatedTimestamp' } },
  ];
  return widgets.map((w, i) => ({
    ...w,
    x: (i % 2) * WIDTH,
    y: Math.floor(i / 2) * HEIGHT,
    width: i === widgets.length - 1 && i % 2 === 0 ? 2 * WIDTH : WIDTH,
    height: HEIGHT,
  }));
}

/** The console address of a dashboard. */
export function dashboardUrl(region: string, name: string): string {
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards/dashboard/${name}`;
}

export interface PipelineDashboardProps {
  readonly names: DashboardNames;
  readonly region: string;
  /** The alarms whose state the dashboard shows. */
  readonly alarmArns: readonly string[];
  /** Dashboards are account-wide (their ARN has no region): the stack gives a name with the region in it. */
  readonly dashboardName: string;
}

/** One CloudWatch dashboard per deployment over the stream, Firehose, the parser and the alarms. */
export class PipelineDashboard extends Construct {
  public readonly dashboard: CloudwatchDashboard;
  /** Where to open it in the console. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: PipelineDashboardProps) {
    super(scope, id);
    const widgets = dashboardWidgets(props.names, props.region, props.alarmArns);
    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: props.dashboardName,
      // jsonencode: the names and alarm ARNs are references Terraform fills in.
      dashboardBody: Fn.jsonencode({ widgets }),
    });
    this.url = dashboardUrl(props.region, this.dashboard.dashboardName);
  }
}
