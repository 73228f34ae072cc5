import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { Construct } from 'constructs';
import { DEFAULT_NAMES } from '../facts/names';
import { terraformLiteral } from '../facts/terraform-literal';
import { ALARM_DEFAULTS, alarmSpecs, firehoseStalledSpec } from './alarm-specs';
import type { DeliveryStream } from './delivery-stream';
import type { LogStream } from './log-stream';
import type { ParserFunction } from './parser-function';
import { checkRange } from './validate';

export interface PipelineAlarmsProps {
  readonly stream: LogStream;
  readonly delivery: DeliveryStream;
  readonly parser: ParserFunction;
  /** @default - "nginx-access-logs"; alarm names are "<prefix>-<alarm id>" */
  readonly namePrefix?: string;
  /**
   * Create an SNS topic the alarms notify (and notify it of recovery).
   * @default - false: alarms show in the console only
   */
  readonly createTopic?: boolean;
  /**
   * An email address subscribed to the created topic (AWS sends a confirmation mail first).
   * @default - no subscription
   */
  readonly notificationEmail?: string;
  /** @default - 900 seconds */
  readonly dataFreshnessSeconds?: number;
  /** @default - 60 minutes */
  readonly iteratorAgeMinutes?: number;
  /** Minutes without a record on the stream before the stuck-agent alarm fires. @default - 15 minutes */
  readonly noRecordsMinutes?: number;
}

/** CloudWatch alarms over the stream, the delivery stream and the parser, with an optional SNS topic. */
export class PipelineAlarms extends Construct {
  public readonly alarms: readonly CloudwatchMetricAlarm[];
  public readonly topic?: SnsTopic;

  constructor(scope: Construct, id: string, props: PipelineAlarmsProps) {
    super(scope, id);
    const prefix = props.namePrefix ?? DEFAULT_NAMES.prefix;
    const thresholds = {
      ...ALARM_DEFAULTS,
      dataFreshnessSeconds: props.dataFreshnessSeconds ?? ALARM_DEFAULTS.dataFreshnessSeconds,
      iteratorAgeMinutes: props.iteratorAgeMinutes ?? ALARM_DEFAULTS.iteratorAgeMinutes,
      noRecordsMinutes: props.noRecordsMinutes ?? ALARM_DEFAULTS.noRecordsMinutes,
    };
    checkRange('alarms dataFreshnessSeconds', thresholds.dataFreshnessSeconds, {
      min: 60,
      max: 86_400,
      unit: 'seconds',
      why: 'above the buffering interval, below the 24 h Firehose keeps retrying',
      integer: true,
    });
    checkRange('alarms iteratorAgeMinutes', thresholds.iteratorAgeMinutes, {
      min: 1,
      max: 10_080,
      unit: 'minutes',
      why: 'well below the stream retention',
      integer: true,
    });
    checkRange('alarms noRecordsMinutes', thresholds.noRecordsMinutes, {
      min: 1,
      max: 1_440,
      unit: 'minutes',
      why: 'one-minute periods, at most a day (CloudWatch evaluates up to 1,440 of them)',
      integer: true,
    });
    if (props.notificationEmail !== undefined && !props.createTopic) {
      throw new Error(
        `alarms notificationEmail needs createTopic: true (it subscribes to that topic), got "${props.notificationEmail}"`,
      );
    }

    // Not KMS-encrypted: CloudWatch cannot publish to a topic under the AWS-managed SNS key, and alarm messages
    // carry no log content.
    this.topic = props.createTopic ? new SnsTopic(this, 'topic', { name: `${prefix}-alarms` }) : undefined;
    if (this.topic !== undefined && props.notificationEmail !== undefined) {
      new SnsTopicSubscription(this, 'email', {
        topicArn: this.topic.arn,
        protocol: 'email',
        // A user's string: escaped, or a valid address like a${b}@example.com would be a Terraform reference.
        endpoint: terraformLiteral(props.notificationEmail),
      });
    }
    const actions = this.topic === undefined ? undefined : [this.topic.arn];
    const names = {
      stream: props.stream.streamName,
      deliveryStream: props.delivery.deliveryStreamName,
      fn: props.parser.functionName,
    };
    const simple = alarmSpecs(names, thresholds).map(
      (spec) =>
        new CloudwatchMetricAlarm(this, spec.id, {
          alarmName: `${prefix}-${spec.id}`,
          alarmDescription: spec.description,
          namespace: spec.namespace,
          metricName: spec.metricName,
          dimensions: { ...spec.dimensions },
          statistic: spec.statistic,
          comparisonOperator: spec.comparisonOperator,
          threshold: spec.threshold,
          period: spec.periodSeconds ?? ALARM_DEFAULTS.periodSeconds,
          evaluationPeriods: spec.evaluationPeriods,
          treatMissingData: spec.treatMissingData ?? 'notBreaching',
          alarmActions: actions,
          okActions: actions,
        }),
    );
    const stalled = firehoseStalledSpec(names, thresholds);
    const expression = new CloudwatchMetricAlarm(this, stalled.id, {
      alarmName: `${prefix}-${stalled.id}`,
      alarmDescription: stalled.description,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: stalled.threshold,
      evaluationPeriods: stalled.evaluationPeriods,
      metricQuery: [
        { id: 'stalled', expression: stalled.expression, label: 'records arriving, none read', returnData: true },
        ...stalled.metrics.map((m) => ({
          id: m.id,
          returnData: false,
          metric: {
            namespace: m.namespace,
            metricName: m.metricName,
            dimensions: { ...m.dimensions },
            stat: m.stat,
            period: ALARM_DEFAULTS.periodSeconds,
          },
        })),
      ],
      // No data means no traffic on the stream: nothing to deliver.
      treatMissingData: 'notBreaching',
      alarmActions: actions,
      okActions: actions,
    });
    this.alarms = [...simple, expression];
  }
}
