/**
 * Kinesis Data Streams capacity planning: how many shards an expected peak needs, and whether on-demand is cheaper.
 *
 * Pure functions, no cdktf: the stack calls `planStreamCapacity` when a user gives an expected peak instead of a
 * shard count, and the README's cost table uses the same prices.
 */
import { KINESIS_LIMITS } from '../facts/aws-limits';

/** Per-shard write limits (https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html). */
export const SHARD_WRITE_LIMITS = {
  bytesPerSecond: KINESIS_LIMITS.shardWriteBytesPerSecond,
  recordsPerSecond: KINESIS_LIMITS.shardWriteRecordsPerSecond,
  /** A record, partition key included, may be at most 1 MiB by default. */
  maxRecordBytes: KINESIS_LIMITS.maxRecordBytes,
} as const;

/** Hours in the average month, as AWS pricing examples count them. */
export const HOURS_PER_MONTH = 730;

/** Kinesis Data Streams list prices used for the on-demand vs provisioned comparison. */
export interface KinesisPrices {
  readonly region: string;
  readonly provisionedShardHourUsd: number;
  /** Per million PUT payload units; a unit is a 25 KB chunk of one record. */
  readonly provisionedPutPayloadUnitPerMillionUsd: number;
  readonly onDemandStreamHourUsd: number;
  /** Per GB written; each record is rounded up to the next 1 KB. */
  readonly onDemandDataInPerGbUsd: number;
  /** Per GB read (Firehose is the one reader). */
  readonly onDemandDataOutPerGbUsd: number;
  /** Where the figures come from, printed with every comparison. */
  readonly source: string;
}

/** us-east-1 list prices (aws.amazon.com/kinesis/data-streams/pricing/); re-check before relying on them. */
export const KINESIS_PRICES_US_EAST_1: KinesisPrices = {
  region: 'us-east-1',
  provisionedShardHourUsd: 0.015,
  provisionedPutPayloadUnitPerMillionUsd: 0.014,
  onDemandStreamHourUsd: 0.04,
  onDemandDataInPerGbUsd: 0.08,
  onDemandDataOutPerGbUsd: 0.04,
  source: 'AWS Kinesis Data Streams pricing page, us-east-1 list prices (unverified copy; other regions cost more)',
};

export interface StreamCapacityInput {
  /** Highest expected log lines per second, summed over every web host. */
  readonly peakLinesPerSecond: number;
  /** Average size of one access-log line in bytes, newline included. */
  readonly averageLineBytes: number;
  /**
   * Monthly average rate, for the cost comparison.
   *
   * @default - a third of the peak (a common day/night web traffic shape)
   */
  readonly averageLinesPerSecond?: number;
  /**
   * Spare capacity on top of the peak, as a fraction.
   *
   * @default 0.25 - size for 25 % above the peak, so a burst does not throttle the agent
   */
  readonly headroom?: number;
  /**
   * Bytes of partition key per record (counted against the shard limit).
   *
   * @default 20 - the Kinesis Agent's RANDOM key is a decimal like `110397.65176589867`
   */
  readonly partitionKeyBytes?: number;
  /**
   * Log lines per Kinesis record, on average.
   *
   * @default 1 - the Kinesis Agent sends one line per record; our agent packs many (see `ourAgentRecords` in
   * tools/cost-model.ts)
   */
  readonly linesPerRecord?: number;
  /** @default KINESIS_PRICES_US_EAST_1 */
  readonly prices?: KinesisPrices;
}

export interface StreamCapacityPlan {
  readonly shards: number;
  /** Which per-shard limit decided the count. */
  readonly limitedBy: 'bytes' | 'records';
  readonly peakWriteBytesPerSecond: number;
  readonly peakRecordsPerSecond: number;
  /** Average record size, data plus partition key. */
  readonly recordBytes: number;
  readonly provisionedMonthlyUsd: number;
  readonly onDemandMonthlyUsd: number;
  readonly cheaper: 'provisioned' | 'on-demand';
  /** One paragraph for people: shards, the deciding limit, both monthly costs and the prices' source. */
  readonly summary: string;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

function positive(name: string, value: number, hint: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number (${hint}), got ${value}`);
  }
}

/** Derives the shard count for an expected peak and compares monthly cost with on-demand mode. */
export function planStreamCapacity(input: StreamCapacityInput): StreamCapacityPlan {
  const headroom = input.headroom ?? 0.25;
  const keyBytes = input.partitionKeyBytes ?? 20;
  const linesPerRecord = input.linesPerRecord ?? 1;
  const prices = input.prices ?? KINESIS_PRICES_US_EAST_1;
  positive('peakLinesPerSecond', input.peakLinesPerSecond, 'expected log lines per second at peak');
  positive('averageLineBytes', input.averageLineBytes, 'average access-log line size in bytes');
  if (!Number.isFinite(linesPerRecord) || linesPerRecord < 1) {
    throw new Error(`linesPerRecord must be a number ≥ 1 (1 = one line per record, the Kinesis Agent), got ${linesPerRecord}`);
  }
  const recordBytes = input.averageLineBytes * linesPerRecord + keyBytes;
  if (recordBytes > SHARD_WRITE_LIMITS.maxRecordBytes) {
    throw new Error(
      `averageLineBytes × linesPerRecord + partition key must fit one Kinesis record (1 MiB), got ${recordBytes} bytes`,
    );
  }
  if (!Number.isFinite(headroom) || headroom < 0 || headroom > 10) {
    throw new Error(`headroom must be a fraction between 0 and 10 (0.25 = 25 % spare), got ${headroom}`);
  }
  const average = input.averageLinesPerSecond ?? input.peakLinesPerSecond / 3;
  positive('averageLinesPerSecond', average, 'monthly average log lines per second');
  if (average > input.peakLinesPerSecond) {
    throw new Error(`averageLinesPerSecond (${average}) cannot exceed peakLinesPerSecond (${input.peakLinesPerSecond})`);
  }

  const peakRecords = input.peakLinesPerSecond / linesPerRecord;
  const peakBytes = peakRecords * recordBytes;
  const byBytes = (peakBytes * (1 + headroom)) / SHARD_WRITE_LIMITS.bytesPerSecond;
  const byRecords = (peakRecords * (1 + headroom)) / SHARD_WRITE_LIMITS.recordsPerSecond;
  const shards = Math.max(1, Math.ceil(Math.max(byBytes, byRecords) - 1e-9));

  const recordsPerMonth = (average / linesPerRecord) * HOURS_PER_MONTH * 3600;
  const putUnits = recordsPerMonth * Math.ceil(recordBytes / KINESIS_LIMITS.putPayloadUnitBytes);
  const provisionedMonthlyUsd =
    shards * HOURS_PER_MONTH * prices.provisionedShardHourUsd + (putUnits / 1e6) * prices.provisionedPutPayloadUnitPerMillionUsd;
  const rounding = KINESIS_LIMITS.onDemandRecordRoundingBytes;
  const billedInGb = (recordsPerMonth * Math.ceil(recordBytes / rounding) * rounding) / 1024 ** 3;
  const readGb = (recordsPerMonth * recordBytes) / 1024 ** 3;
  const onDemandMonthlyUsd =
    HOURS_PER_MONTH * prices.onDemandStreamHourUsd +
    billedInGb * prices.onDemandDataInPerGbUsd +
    readGb * prices.onDemandDataOutPerGbUsd;
  const cheaper = onDemandMonthlyUsd < provisionedMonthlyUsd ? 'on-demand' : 'provisioned';
  const limitedBy = byBytes >= byRecords ? 'bytes' : 'records';
  const usd = (n: number) => `$${n.toFixed(2)}`;
  const summary =
    `${shards} shard(s) for ${input.peakLinesPerSecond} lines/s at peak, ${fmt(linesPerRecord)} line(s) per record = ` +
    `${fmt(peakRecords)} records/s × ${Math.round(recordBytes)} B, with ${Math.round(headroom * 100)} % headroom ` +
    `(limited by ${limitedBy === 'bytes' ? '1 MiB/s' : '1,000 records/s'} per shard). Monthly at ${Math.round(average)} lines/s average: ` +
    `provisioned ${usd(provisionedMonthlyUsd)}, on-demand ${usd(onDemandMonthlyUsd)} — ${cheaper} is cheaper` +
    `${cheaper === 'on-demand' ? ' (set STREAM_SHARDS=on-demand)' : ''}. Prices: ${prices.source}.`;
  return {
    shards,
    limitedBy,
    peakWriteBytesPerSecond: peakBytes,
    peakRecordsPerSecond: peakRecords,
    recordBytes,
    provisionedMonthlyUsd,
    onDemandMonthlyUsd,
    cheaper,
    summary,
  };
}
