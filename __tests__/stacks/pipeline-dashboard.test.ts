import { dashboardUrl, dashboardWidgets, PipelineDashboard } from '../../stacks/pipeline-dashboard';
import { onlyResource, synth, testStack } from './construct-helpers';

const names = { stream: 'logs', deliveryStream: 'logs-to-s3', fn: 'logs-parser' };
const widgets = dashboardWidgets(names, 'ap-northeast-2', ['arn:aws:cloudwatch:ap-northeast-2:1:alarm:a']);
type Metric = Array<string | Record<string, unknown>>;
const metricsOf = (title: RegExp): Metric[] =>
  (widgets.find((w) => title.test(String(w.properties.title)))?.properties.metrics ?? []) as Metric[];
const named = (metrics: Metric[]): string[] => metrics.filter((m) => typeof m[0] === 'string').map((m) => `${m[0]} ${m[1]}`);

describe('dashboardWidgets', () => {
  it('shows what the issue asks, each from the service that publishes it', () => {
    expect(named(metricsOf(/^Stream/))).toEqual(['AWS/Kinesis IncomingRecords', 'AWS/Kinesis IncomingBytes']);
    expect(named(metricsOf(/behind/))).toEqual(['AWS/Kinesis GetRecords.IteratorAgeMilliseconds', 'AWS/Firehose KinesisMillisBehindLatest']);
    expect(named(metricsOf(/in and out/))).toEqual(['AWS/Firehose DataReadFromKinesisStream.Records', 'AWS/Firehose DeliveryToS3.Records']);
    expect(named(metricsOf(/^Processing/))).toContain('AWS/Firehose SucceedProcessing.Records');
    expect(metricsOf(/^Processing/)).toContainEqual([expect.objectContaining({ expression: 'MAX([received - ok, 0])' })]);
    expect(named(metricsOf(/freshness/))).toContain('AWS/Firehose DeliveryToS3.DataFreshness');
    expect(named(metricsOf(/Lambda/))).toEqual(['AWS/Lambda Duration', 'AWS/Lambda Duration', 'AWS/Lambda Errors', 'AWS/Lambda Throttles']);
    expect(widgets.find((w) => w.type === 'alarm')?.properties.alarms).toEqual(['arn:aws:cloudwatch:ap-northeast-2:1:alarm:a']);
  });

  it('names every metric by its resource dimension, in its region', () => {
    const dimension = { 'AWS/Kinesis': ['StreamName', 'logs'], 'AWS/Firehose': ['DeliveryStreamName', 'logs-to-s3'], 'AWS/Lambda': ['FunctionName', 'logs-parser'] };
    for (const widget of widgets.filter((w) => w.type === 'metric')) {
      expect(widget.properties.region).toBe('ap-northeast-2');
      for (const m of (widget.properties.metrics as Metric[]).filter((x) => typeof x[0] === 'string')) {
        expect(m.slice(2, 4)).toEqual(dimension[m[0] as keyof typeof dimension]);
      }
    }
  });

  it('lays the widgets out on the 24-column grid without overlap', () => {
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) for (let y = w.y; y < w.y + w.height; y++) {
        expect(cells.has(`${x},${y}`)).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });
});

describe('PipelineDashboard', () => {
  it('is one dashboard with the given (region-suffixed) name, its body encoded by Terraform, and a console URL', () => {
    const stack = testStack();
    new PipelineDashboard(stack, 'dashboard', {
      names,
      region: 'eu-west-1',
      alarmArns: [],
      dashboardName: 'logs-eu-west-1',
    });
    const body = onlyResource(synth(stack), 'aws_cloudwatch_dashboard');
    expect(body.dashboard_name).toBe('logs-eu-west-1');
    expect(body.dashboard_body).toMatch(/^\$\{jsonencode\(/);
    expect(dashboardUrl('eu-west-1', 'logs-eu-west-1')).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/logs-eu-west-1',
    );
  });
});
