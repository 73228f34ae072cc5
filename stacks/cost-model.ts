/**
 * A monthly cost estimate for the pipeline at a given log volume, from list prices: the README's cost table.
 *
 * Pure: prices and measured ratios are inputs with documented defaults, so the table can be regenerated when a price
 * or a measurement changes (`npm run cost`).
 */
import { FIREHOSE_LIMITS } from '../facts/aws-limits';
import { alarmMetricCount } from './alarm-specs';
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
  source: 'us-east-1 list prices from the AWS pricing pages (Kinesis, Firehose, Lambda, S3, Athena, CloudWatch); unverified copy',
};

export interface CostInput {
  /** Raw nginx access-log bytes per day, in GiB. */
  readonly gbPerDay: number;
  /** @default 193 - measured on ../shared/bench/gen-nginx-log.mjs output (main format) */
  readonly averageLineBytes?: number;
  /** JSON bytes per raw byte. @default 1.93 - measured: the parser's NDJSON of the same log */
  readonly jsonExpansion?: number;
  /** JSON bytes per GZIP byte. @default 11.4 - measured with gzip -6 on that NDJSON */
  readonly gzipRatio?: number;
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
  readonly alarmsUsd: number;
  /** The ops dashboard (free if it is among the account's first three). */
  readonly dashboardUsd: number;
  /** One Athena query over one day of logs. */
  readonly athenaDayQueryGzipUsd: number;
  readonly athenaDayQueryPlainUsd: number;
  /** Provisioned stream + Firehose + Lambda + PUTs + GZIP storage of the month + alarms. */
  readonly totalUsd: number;
}

const DAYS_PER_MONTH = 730 / 24;
const MB = 1024 * 1024;
const GB = 1024 * MB;

/** Estimates the pipeline's monthly cost for a daily log volume. */
export function estimateMonthlyCost(input: CostInput): CostEstimate {
  if (!Number.isFinite(input.gbPerDay) || input.gbPerDay <= 0) {
    throw new Error(`gbPerDay must be a positive number of GiB of raw logs per day, got ${input.gbPerDay}`);
  }
  const p = input.prices ?? PRICES_US_EAST_1;
  const lineBytes = input.averageLineBytes ?? 193;
  const rawBytesPerDay = input.gbPerDay * GB;
  const linesPerDay = rawBytesPerDay / lineBytes;
  const averageLinesPerSecond = linesPerDay / 86_400;
  const plan = planStreamCapacity({
    peakLinesPerSecond: averageLinesPerSecond * (input.peakToAverage ?? 3),
    averageLinesPerSecond,
    averageLineBytes: lineBytes,
    prices: p.kinesis,
  });

  const linesPerMonth = linesPerDay * DAYS_PER_MONTH;
  const billedRecordBytes = Math.ceil(lineBytes / p.firehoseRecordRoundingBytes) * p.firehoseRecordRoundingBytes;
  const firehoseUsd = ((linesPerMonth * billedRecordBytes) / GB) * p.firehosePerGbUsd;

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
  const alarmsUsd = alarmMetricCount() * p.alarmMonthUsd;
  const dashboardUsd = p.dashboardMonthUsd;

  const s3StorageGzipUsd = storage(gzipBytesPerDay);
  return {
    shards: plan.shards,
    kinesisProvisionedUsd: plan.provisionedMonthlyUsd,
    kinesisOnDemandUsd: plan.onDemandMonthlyUsd,
    firehoseUsd,
    firehoseUnroundedUsd: ((linesPerMonth * lineBytes) / GB) * p.firehosePerGbUsd,
    lambdaUsd,
    s3PutsUsd,
    s3StorageGzipUsd,
    s3StoragePlainUsd: storage(jsonBytesPerDay),
    alarmsUsd,
    dashboardUsd,
    athenaDayQueryGzipUsd: athena(gzipBytesPerDay),
    athenaDayQueryPlainUsd: athena(jsonBytesPerDay),
    totalUsd: plan.provisionedMonthlyUsd + firehoseUsd + lambdaUsd + s3PutsUsd + s3StorageGzipUsd + alarmsUsd + dashboardUsd,
  };
}
