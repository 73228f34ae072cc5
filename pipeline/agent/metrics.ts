/**
 * The agent's CloudWatch metrics: lines read, records sent and errors, published as per-interval sums in the agent's
 * own namespace (the only namespace its IAM role may write), with the host name as the one dimension.
 *
 * Publishing never stops shipping: a failed PutMetricData is reported once per distinct error and the counts are
 * carried into the next interval.
 */
import { PutMetricDataCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { hostname } from 'node:os';
import { AGENT_METRICS } from './defaults';

/** Cumulative counters, read at each publication. */
export interface AgentCounters {
  readonly linesRead: number;
  readonly recordsSent: number;
  readonly errors: number;
}

/** Options of {@link MetricsPublisher}. */
export interface MetricsPublisherOptions {
  readonly client: CloudWatchClient;
  readonly namespace: string;
  readonly intervalSeconds: number;
  readonly counters: () => AgentCounters;
  /** One line per problem. */
  readonly log: (message: string) => void;
  /** @default - os.hostname() */
  readonly host?: string;
}

/** Publishes the deltas of {@link AgentCounters} every interval, and once more on {@link stop}. */
export class MetricsPublisher {
  private published: AgentCounters = { linesRead: 0, recordsSent: 0, errors: 0 };
  private timer: NodeJS.Timeout | undefined;
  private lastError = '';
  private sending: Promise<void> = Promise.resolve();

  constructor(private readonly opts: MetricsPublisherOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.opts.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Stops the timer and publishes what was counted since the last publication. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.publish();
  }

  /** Publishes the counts since the last successful publication (serialised: one call at a time). */
  publish(): Promise<void> {
    this.sending = this.sending.then(() => this.send());
    return this.sending;
  }

  private async send(): Promise<void> {
    const now = this.opts.counters();
    const [lines, records, errors] = AGENT_METRICS.names;
    const deltas: [string, number][] = [
      [lines, now.linesRead - this.published.linesRead],
      [records, now.recordsSent - this.published.recordsSent],
      [errors, now.errors - this.published.errors],
    ];
    const timestamp = new Date();
    const dimensions = [{ Name: 'Host', Value: this.opts.host ?? hostname() }];
    try {
      await this.opts.client.send(
        new PutMetricDataCommand({
          Namespace: this.opts.namespace,
          MetricData: deltas.map(([name, value]) => ({ MetricName: name, Value: value, Unit: 'Count', Timestamp: timestamp, Dimensions: dimensions })),
        }),
      );
      this.published = now;
      if (this.lastError !== '') this.opts.log(`CloudWatch metrics are published again (namespace ${this.opts.namespace})`);
      this.lastError = '';
    } catch (err) {
      const message = `${(err as Error).name}: ${(err as Error).message}`;
      if (message !== this.lastError) {
        this.opts.log(
          `cannot publish CloudWatch metrics to namespace ${this.opts.namespace} (${message}); shipping goes on, the counts ` +
            'are kept for the next interval',
        );
      }
      this.lastError = message;
    }
  }
}
