import { estimateBothRoutes, estimateMonthlyCost, ourAgentRecords, PRICES_US_EAST_1 } from '../../tools/cost-model';
import { alarmSpecs, firehoseStalledSpec } from '../../stacks/alarm-specs';

describe('estimateMonthlyCost', () => {
  const one = estimateMonthlyCost({ gbPerDay: 1 });
  const ten = estimateMonthlyCost({ gbPerDay: 10 });

  it('bills Firehose per record rounded up to 5 KB: a 193-byte line costs as much as 5 KB', () => {
    expect(one.firehoseUsd / one.firehoseUnroundedUsd).toBeCloseTo(5120 / 193, 6);
  });

  it('prices Firehose ingestion at $0.029 per GB of actual bytes without rounding', () => {
    expect(one.firehoseUnroundedUsd).toBeCloseTo((730 / 24) * PRICES_US_EAST_1.firehosePerGbUsd, 6);
  });

  it('scales volume-priced items linearly', () => {
    expect(ten.firehoseUsd).toBeCloseTo(10 * one.firehoseUsd, 6);
    expect(ten.s3StorageGzipUsd).toBeCloseTo(10 * one.s3StorageGzipUsd, 6);
    expect(ten.lambdaUsd).toBeCloseTo(10 * one.lambdaUsd, 6);
  });

  it('stores GZIP for a fraction of plain JSON (measured 11.4×)', () => {
    expect(one.s3StoragePlainUsd / one.s3StorageGzipUsd).toBeCloseTo(11.4, 6);
  });

  it('sizes the stream from the peak: 3 shards for 10 GB/day of 193-byte lines at 3× peak', () => {
    // 10 GiB / 193 B / 86,400 s ≈ 644 lines/s average, 1,932 at peak, ×1.25 headroom → 3 shards by records.
    expect(ten.shards).toBe(3);
  });

  it('charges Athena at least the 10 MB minimum per query', () => {
    const tiny = estimateMonthlyCost({ gbPerDay: 0.001 });
    expect(tiny.athenaDayQueryGzipUsd).toBeCloseTo(((10 * 1024 * 1024) / 1024 ** 4) * 5, 12);
  });

  it('costs the same Lambda money per GB at any memory up to one vCPU (1,769 MB), more above it', () => {
    const full = estimateMonthlyCost({ gbPerDay: 1, lambdaMemoryMB: 1769 }).lambdaUsd;
    const small = estimateMonthlyCost({ gbPerDay: 1, lambdaMemoryMB: 256 }).lambdaUsd;
    expect(full).toBeCloseTo(small, 6);
    expect(estimateMonthlyCost({ gbPerDay: 1, lambdaMemoryMB: 3538 }).lambdaUsd).toBeGreaterThan(full);
  });

  it('fails for a volume that is not positive', () => {
    expect(() => estimateMonthlyCost({ gbPerDay: 0 })).toThrow(
      'gbPerDay must be a positive number of GiB of raw logs per day, got 0',
    );
  });

  it('counts the alarms the stack creates, not a copied number', () => {
    expect(one.alarmCount).toBe(alarmSpecs({ stream: 's', deliveryStream: 'd', fn: 'f' }).length + firehoseStalledSpec({ stream: 's', deliveryStream: 'd' }).metrics.length);
    expect(one.alarmsUsd).toBeCloseTo(one.alarmCount * PRICES_US_EAST_1.alarmMonthUsd, 9);
  });
});

describe('both routes: the Kinesis Agent (one line per record) and our agent (aggregated records)', () => {
  const ten = estimateBothRoutes({ gbPerDay: 10 });

  it('at 10 GB/day our agent costs at most 1/8 of the Kinesis Agent route', () => {
    expect(ten['nginx-log-agent'].totalUsd).toBeLessThanOrEqual(ten['kinesis-agent'].totalUsd / 8);
  });

  it('the Kinesis Agent route sends one line per record; ours tens of lines per record even with 1 % bad lines', () => {
    expect(ten['kinesis-agent'].linesPerRecord).toBe(1);
    expect(ten['nginx-log-agent'].linesPerRecord).toBeGreaterThan(50);
    expect(estimateMonthlyCost({ gbPerDay: 10, route: 'nginx-log-agent', unfitLineShare: 0 }).linesPerRecord).toBeGreaterThan(125);
  });

  it('bills our full 25,000-byte records as five whole 5 KB units: Firehose within 30 % of the actual bytes', () => {
    const clean = estimateMonthlyCost({ gbPerDay: 10, route: 'nginx-log-agent', unfitLineShare: 0 });
    expect(clean.firehoseUsd / clean.firehoseUnroundedUsd).toBeCloseTo(25_600 / (Math.floor(25_000 / 193) * 193), 2);
  });

  it('needs shards for bytes, not records, when aggregating', () => {
    const hundred = estimateBothRoutes({ gbPerDay: 100 });
    expect(hundred['kinesis-agent'].shards).toBe(25);
    expect(hundred['nginx-log-agent'].shards).toBe(5);
  });

  it('leaves the cost of the same bytes (Lambda, S3) unchanged', () => {
    expect(ten['nginx-log-agent'].lambdaUsd).toBe(ten['kinesis-agent'].lambdaUsd);
    expect(ten['nginx-log-agent'].s3StorageGzipUsd).toBe(ten['kinesis-agent'].s3StorageGzipUsd);
  });

  it('fails for a share of bad lines that is not a fraction, or no hosts', () => {
    expect(() => estimateMonthlyCost({ gbPerDay: 1, unfitLineShare: 5 })).toThrow('unfitLineShare must be a fraction 0–1 (0.01 = 1 %), got 5');
    expect(() => estimateMonthlyCost({ gbPerDay: 1, hosts: 0 })).toThrow('hosts must be a whole number ≥ 1, got 0');
  });
});

describe('ourAgentRecords', () => {
  const base = { lineBytes: 200, hosts: 1, unfitLineShare: 0, maxRecordBytes: 25_000, flushAgeSeconds: 5 };

  it('fills records of whole lines when a host logs more than a record per flush age', () => {
    const r = ourAgentRecords({ ...base, linesPerSecond: 2500 });
    expect(r.aggregates.recordsPerSecond).toBe(20);
    expect(r.aggregates.bytes).toBe(25_000);
  });

  it('sends one partial record per host per flush age on a quiet host, and nothing when no line comes', () => {
    expect(ourAgentRecords({ ...base, linesPerSecond: 2, hosts: 4 }).aggregates.recordsPerSecond).toBeCloseTo(4 / 5, 9);
    expect(ourAgentRecords({ ...base, linesPerSecond: 0.01 }).aggregates.recordsPerSecond).toBeCloseTo(0.01, 9);
  });

  it('sends each bad line as a record of its own', () => {
    const r = ourAgentRecords({ ...base, linesPerSecond: 1000, unfitLineShare: 0.05 });
    expect(r.singles).toEqual({ recordsPerSecond: 50, bytes: 200 });
  });
});

describe('raw backup cost', () => {
  test('is a month of the raw log gzipped plus one PUT per object, outside the total', () => {
    const e = estimateMonthlyCost({ gbPerDay: 10, bufferingIntervalSeconds: 86_400, bufferingSizeMB: 1_000_000 });
    // One object a day; 10 GiB a day at 7.77x is ~1.29 GiB stored per day.
    expect(e.rawBackupUsd).toBeCloseTo(((10 / 7.77) * (730 / 24)) * PRICES_US_EAST_1.s3StandardGbMonthUsd + ((730 / 24) / 1000) * PRICES_US_EAST_1.s3PutPerThousandUsd, 6);
    expect(e.totalUsd).toBeCloseTo(e.kinesisProvisionedUsd + e.firehoseUsd + e.lambdaUsd + e.s3PutsUsd + e.s3StorageGzipUsd + e.alarmsUsd + e.dashboardUsd + e.agentMetricsUsd, 6);
  });
});
