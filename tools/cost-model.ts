/**
 * A monthly cost estimate for the pipeline at a given log volume, from list prices: the README's cost table.
 *
 * Pure: prices and measured ratios are inputs with documented defaults, so the table can be regenerated when a price
 * or a measurement changes (`npm run cost`).
 */
import { FIREHOSE_LIMITS } from '../facts/aws-limits';
import { AGGREGATION_DEFAULTS } from '../pipeline/agent/aggregator';
import { AGENT_METRICS, PARTITION_KEY_LENGTH } from '../pipeline/agent/defaults';
import { alarmMetricCount } from '../stacks/alarm-specs';
import { KINESIS_PRICES_US_EAST_1, planStreamCapacity, type KinesisPrices } from './capacity';

/** Prices besides Kinesis; us-east-1 list prices, re-check before relying on them. */
export interface PipelinePrices {
  readonly kinesis: KinesisPrices;
  /** Firehose ingestion, first 500 TB/month tier. */
  readonly firehosePerGbUsd: number;
  /** Firehose bills each record rounded up to this many bytes. */
  readonly firehoseRecordRoundingBytes: number;
  readonly lambdaArmGbSecondUsd: number;
  readonly lambdaPerMillionRequestsUsd: number;
  readonly s3StandardGbMonthUsd: number;
  readonly s3PutPerThousandUsd: number;
  readonly athenaPerTbUsd: number;
  /** Per standard-resolution alarm metric. */
  readonly alarmMonthUsd: number;
  /** Per dashboard beyond an account's first three, which are free. */
  readonly dashboardMonthUsd: number;
  /** A custom CloudWatch metric, per month (first 10,000 metrics tier). */
  readonly customMetricMonthUsd: number;
  readonly source: string;
}

export const PRICES_US_EAST_1: PipelinePrices = {
  kinesis: KINESIS_PRICES_US_EAST_1,
  firehosePerGbUsd: 0.029,
  firehoseRecordRoundingBytes: FIREHOSE_LIMITS.ingestionBillingUnitBytes,
  lambdaArmGbSecondUsd: 0.0000133334,
  lambdaPerMillionRequestsUsd: 0.2,
  s3StandardGbMonthUsd: 0.023,
  s3PutPerThousandUsd: 0.005,
  athenaPerTbUsd: 5,
  alarmMonthUsd: 0.1,
  dashboardMonthUsd: 3,
  customMetricMonthUsd: 0.3,
  source: 'us-east-1 list prices from the AWS pricing pages (Kinesis, Firehose, Lambda, S3, Athena, CloudWatch); unverified copy',
};

/** Who ships the log lines: the Kinesis Agent (one line per record) or our agent (many lines per record). */
export type ShippingRoute = 'kinesis-agent' | 'nginx-log-agent';

export interface CostInput {
  /** Raw nginx access-log bytes per day, in GiB. */
  readonly gbPerDay: number;
  /** @default 'kinesis-agent' */
  readonly route?: ShippingRoute;
  /**
   * Web hosts running an agent: each flushes its own partial record at the flush age, and publishes its own metrics.
   * @default 1
   */
  readonly hosts?: number;
  /**
   * Share of lines that do not fit the log format; our agent sends each alone.
   * @default 0.01 - 1 %, conservative for a web server's own access log
   */
  readonly unfitLineShare?: number;
  /** Our agent's record size. @default AGGREGATION_DEFAULTS.maxRecordBytes */
  readonly maxRecordBytes?: number;
  /** Our agent's flush age. @default AGGREGATION_DEFAULTS.maxBufferAgeMillis / 1000 */
  readonly flushAgeSeconds?: number;
  /** @default 193 - measured on ../shared/bench/gen-nginx-log.mjs output (main format) */
  readonly averageLineBytes?: number;
  /** JSON bytes per raw byte. @default 1.93 - measured: the parser's NDJSON of the same log */
  readonly jsonExpansion?: number;
  /** JSON bytes per GZIP byte. @default 11.4 - measured with gzip -6 on that NDJSON */
  readonly gzipRatio?: number;
  /** Raw log bytes per GZIP byte, for the source-record backup. @default 7.77 - measured with gzip -6 on the same log */
  readonly rawGzipRatio?: number;
  /**
   * Parser throughput on one full vCPU (1,769 MB), raw MB/s.
   * @default 40 - conservative: `npm run bench:parser` measured the handler at ~107 MB/s, without the Lambda runtime's
   * own event parsing and response serialization
   */
  readonly parserMBps?: number;
  /** @default 256 */
  readonly lambdaMemoryMB?: number;
  /** @default 1 - the processor buffer: one Lambda invocation per MB of raw log */
  readonly processorBufferMB?: number;
  /** @default 3 */
  readonly peakToAverage?: number;
  /** @default 60 and 5 - the delivery stream's buffering hints */
  readonly bufferingIntervalSeconds?: number;
  readonly bufferingSizeMB?: number;
  /** @default PRICES_US_EAST_1 */
  readonly prices?: PipelinePrices;
}

export interface CostEstimate {
  readonly route: ShippingRoute;
  /** Average log lines per Kinesis record. */
  readonly linesPerRecord: number;
  readonly recordsPerMonth: number;
  readonly shards: number;
  readonly kinesisProvisionedUsd: number;
  readonly kinesisOnDemandUsd: number;
  /** Ingestion with every record (one log line) rounded up to 5 KB, as the pricing page states. */
  readonly firehoseUsd: number;
  /** The same bytes without rounding: the floor if rounding does not apply to stream-sourced records. */
  readonly firehoseUnroundedUsd: number;
  readonly lambdaUsd: number;
  readonly s3PutsUsd: number;
  /** Storage of one month of logs for one month; it adds up for every month kept. */
  readonly s3StorageGzipUsd: number;
  readonly s3StoragePlainUsd: number;
  /** RAW_BACKUP=on: the raw log kept under raw/ (GZIP) for a month, and its objects' PUTs; not in the total. */
  readonly rawBackupUsd: number;
  readonly alarmsUsd: number;
  /** The ops dashboard (free if it is among the account's first three). */
  readonly dashboardUsd: number;
  readonly alarmCount: number;
  /** Our agent's CloudWatch metrics (the Kinesis Agent's own metrics are not counted: their number varies). */
  readonly agentMetricsUsd: number;
  /** One Athena query over one day of logs. */
  readonly athenaDayQueryGzipUsd: number;
  readonly athenaDayQueryPlainUsd: number;
  /** Provisioned stream + Firehose + Lambda + PUTs + GZIP storage of the month + alarms + agent metrics. */
  readonly totalUsd: number;
}

const DAYS_PER_MONTH = 730 / 24;
const MB = 1024 * 1024;
const GB = 1024 * MB;

/** Records of one size, at a rate. */
export interface RecordClass {
  readonly recordsPerSecond: number;
  /** Data bytes per record. */
  readonly bytes: number;
}

/** Inputs of {@link ourAgentRecords}. */
export interface OurAgentRecordsInput {
  readonly linesPerSecond: number;
  readonly lineBytes: number;
  readonly hosts: number;
  readonly unfitLineShare: number;
  readonly maxRecordBytes: number;
  readonly flushAgeSeconds: number;
}

/**
 * The records our agent makes from a steady flow of lines: full aggregates, a partial one per host per flush age when
 * a host logs less than a record per flush age, and one record per line that does not fit the format.
 */
export function ourAgentRecords(input: OurAgentRecordsInput): { aggregates: RecordClass; singles: RecordClass } {
  const goodLinesPerSecond = input.linesPerSecond * (1 - input.unfitLineShare);
  const linesPerFullRecord = Math.max(1, Math.floor(input.maxRecordBytes / input.lineBytes));
  // Per host and flush age: lines read, and the records they fill (a partial record leaves at the age).
  const linesPerWindow = (goodLinesPerSecond / input.hosts) * input.flushAgeSeconds;
  const recordsPerWindow = linesPerWindow <= 1 ? linesPerWindow : Math.ceil(linesPerWindow / linesPerFullRecord);
  const aggregatesPerSecond = (recordsPerWindow * input.hosts) / input.flushAgeSeconds;
  return {
    aggregates: {
      recordsPerSecond: aggregatesPerSecond,
      bytes: aggregatesPerSecond > 0 ? (goodLinesPerSecond * input.lineBytes) / aggregatesPerSecond : 0,
    },
    singles: { recordsPerSecond: input.linesPerSecond * input.unfitLineShare, bytes: input.lineBytes },
  };
}

/** Both routes at one volume, for side-by-side tables. */
export function estimateBothRoutes(input: Omit<CostInput, 'route'>): Record<ShippingRoute, CostEstimate> {
  return {
    'kinesis-agent': estimateMonthlyCost({ ...input, route: 'kinesis-agent' }),
    'nginx-log-agent': estimateMonthlyCost({ ...input, route: 'nginx-log-agent' }),
  };
}

/** Estimates the pipeline's monthly cost for a daily log volume. */
export function estimateMonthlyCost(input: CostInput): CostEstimate {
  if (!Number.isFinite(input.gbPerDay) || input.gbPerDay <= 0) {
    throw new Error(`gbPerDay must be a positive number of GiB of raw logs per day, got ${input.gbPerDay}`);
  }
  const route = input.route ?? 'kinesis-agent';
  const hosts = input.hosts ?? 1;
  const unfit = input.unfitLineShare ?? 0.01;
  if (!Number.isInteger(hosts) || hosts < 1) throw new Error(`hosts must be a whole number ≥ 1, got ${hosts}`);
  if (!(unfit >= 0 && unfit <= 1)) throw new Error(`unfitLineShare must be a fraction 0–1 (0.01 = 1 %), got ${unfit}`);
  const p = input.prices ?? PRICES_US_EAST_1;
  const lineBytes = input.averageLineBytes ?? 193;
  const rawBytesPerDay = input.gbPerDay * GB;
  const linesPerDay = rawBytesPerDay / lineBytes;
  const averageLinesPerSecond = linesPerDay / 86_400;
  const classes: RecordClass[] =
    route === 'kinesis-agent'
      ? [{ recordsPerSecond: averageLinesPerSecond, bytes: lineBytes }]
      : Object.values(
          ourAgentRecords({
            linesPerSecond: averageLinesPerSecond,
            lineBytes,
            hosts,
            unfitLineShare: unfit,
            maxRecordBytes: input.maxRecordBytes ?? AGGREGATION_DEFAULTS.maxRecordBytes,
            flushAgeSeconds: input.flushAgeSeconds ?? AGGREGATION_DEFAULTS.maxBufferAgeMillis / 1000,
          }),
        );
  const recordsPerSecond = classes.reduce((n, c) => n + c.recordsPerSecond, 0);
  const linesPerRecord = averageLinesPerSecond / recordsPerSecond;
  const plan = planStreamCapacity({
    peakLinesPerSecond: averageLinesPerSecond * (input.peakToAverage ?? 3),
    averageLinesPerSecond,
    averageLineBytes: lineBytes,
    linesPerRecord,
    partitionKeyBytes: route === 'kinesis-agent' ? undefined : PARTITION_KEY_LENGTH,
    prices: p.kinesis,
  });

  const seconds = DAYS_PER_MONTH * 86_400;
  const unit = p.firehoseRecordRoundingBytes;
  const billedBytes = classes.reduce((n, c) => n + c.recordsPerSecond * seconds * Math.ceil(c.bytes / unit) * unit, 0);
  const firehoseUsd = (billedBytes / GB) * p.firehosePerGbUsd;

  const rawMBPerMonth = (rawBytesPerDay * DAYS_PER_MONTH) / MB;
  const memoryMB = input.lambdaMemoryMB ?? 256;
  // Lambda CPU is proportional to memory up to one vCPU at 1,769 MB.
  const mbPerSecond = (input.parserMBps ?? 40) * Math.min(1, memoryMB / 1769);
  const gbSeconds = (rawMBPerMonth / mbPerSecond) * (memoryMB / 1024);
  const invocations = rawMBPerMonth / (input.processorBufferMB ?? 1);
  const lambdaUsd = gbSeconds * p.lambdaArmGbSecondUsd + (invocations / 1e6) * p.lambdaPerMillionRequestsUsd;

  const jsonBytesPerDay = rawBytesPerDay * (input.jsonExpansion ?? 1.93);
  const gzipBytesPerDay = jsonBytesPerDay / (input.gzipRatio ?? 11.4);
  // Firehose flushes at the interval or when the buffer (measured before compression) is full, whichever is first.
  const objectsPerDay = Math.max(
    86_400 / (input.bufferingIntervalSeconds ?? 60),
    jsonBytesPerDay / ((input.bufferingSizeMB ?? 5) * MB),
  );
  const s3PutsUsd = ((objectsPerDay * DAYS_PER_MONTH) / 1000) * p.s3PutPerThousandUsd;
  const storage = (bytesPerDay: number) => ((bytesPerDay * DAYS_PER_MONTH) / GB) * p.s3StandardGbMonthUsd;
  const athena = (bytes: number) => (Math.max(bytes, 10 * MB) / 1024 ** 4) * p.athenaPerTbUsd;
  const alarmCount = alarmMetricCount();
  const dashboardUsd = p.dashboardMonthUsd;
  const alarmsUsd = alarmCount * p.alarmMonthUsd;
  const agentMetricsUsd = route === 'kinesis-agent' ? 0 : hosts * AGENT_METRICS.names.length * p.customMetricMonthUsd;

  const s3StorageGzipUsd = storage(gzipBytesPerDay);
  // The backup buffers the raw bytes with the same hints: at most as many objects as the data prefix.
  const rawObjectsPerDay = Math.max(86_400 / (input.bufferingIntervalSeconds ?? 60), rawBytesPerDay / ((input.bufferingSizeMB ?? 5) * MB));
  const rawBackupUsd =
    storage(rawBytesPerDay / (input.rawGzipRatio ?? 7.77)) + ((rawObjectsPerDay * DAYS_PER_MONTH) / 1000) * p.s3PutPerThousandUsd;
  return {
    route,
    linesPerRecord,
    recordsPerMonth: recordsPerSecond * seconds,
    shards: plan.shards,
    kinesisProvisionedUsd: plan.provisionedMonthlyUsd,
    kinesisOnDemandUsd: plan.onDemandMonthlyUsd,
    firehoseUsd,
    firehoseUnroundedUsd: ((linesPerDay * DAYS_PER_MONTH * lineBytes) / GB) * p.firehosePerGbUsd,
    lambdaUsd,
    s3PutsUsd,
    s3StorageGzipUsd,
    s3StoragePlainUsd: storage(jsonBytesPerDay),
    rawBackupUsd,
    alarmsUsd,
    alarmCount,
    dashboardUsd,
    agentMetricsUsd,
    athenaDayQueryGzipUsd: athena(gzipBytesPerDay),
    athenaDayQueryPlainUsd: athena(jsonBytesPerDay),
    totalUsd: plan.provisionedMonthlyUsd + firehoseUsd + lambdaUsd + s3PutsUsd + s3StorageGzipUsd + alarmsUsd + dashboardUsd + agentMetricsUsd,
  };
}
