import { KINESIS_PRICES_US_EAST_1, planStreamCapacity, SHARD_WRITE_LIMITS } from '../../tools/capacity';

describe('planStreamCapacity', () => {
  it('needs one shard for a small site', () => {
    expect(planStreamCapacity({ peakLinesPerSecond: 50, averageLineBytes: 250 }).shards).toBe(1);
  });

  it('is limited by records per second for typical ~250-byte lines', () => {
    const plan = planStreamCapacity({ peakLinesPerSecond: 3000, averageLineBytes: 250, headroom: 0 });
    expect(plan).toMatchObject({ shards: 3, limitedBy: 'records', peakRecordsPerSecond: 3000 });
  });

  it('is limited by bytes per second for long lines', () => {
    // 1,000 lines/s × (2,000 + 20) B = 1.93 MiB/s → 2 shards by bytes, 1 by records.
    const plan = planStreamCapacity({ peakLinesPerSecond: 1000, averageLineBytes: 2000, headroom: 0 });
    expect(plan).toMatchObject({ shards: 2, limitedBy: 'bytes' });
  });

  it('adds the headroom on top of the peak', () => {
    expect(planStreamCapacity({ peakLinesPerSecond: 1000, averageLineBytes: 250, headroom: 0 }).shards).toBe(1);
    expect(planStreamCapacity({ peakLinesPerSecond: 1000, averageLineBytes: 250 }).shards).toBe(2);
  });

  it('counts the partition key against the shard byte limit', () => {
    // 512 lines/s × 2,048 B is exactly 1 MiB/s: the 20-byte key tips it over one shard.
    const lines = SHARD_WRITE_LIMITS.bytesPerSecond / 2048;
    expect(planStreamCapacity({ peakLinesPerSecond: lines, averageLineBytes: 2048, headroom: 0, partitionKeyBytes: 0 }).shards).toBe(1);
    expect(planStreamCapacity({ peakLinesPerSecond: lines, averageLineBytes: 2048, headroom: 0 }).shards).toBe(2);
  });

  it('says provisioned is cheaper for steady traffic', () => {
    const plan = planStreamCapacity({ peakLinesPerSecond: 3000, averageLineBytes: 250, averageLinesPerSecond: 2000 });
    expect(plan.cheaper).toBe('provisioned');
    expect(plan.summary).toMatch(/provisioned is cheaper/);
  });

  it('says on-demand is cheaper for a high peak over a low average, with the prices used', () => {
    const plan = planStreamCapacity({ peakLinesPerSecond: 20000, averageLineBytes: 250, averageLinesPerSecond: 50 });
    expect(plan.cheaper).toBe('on-demand');
    expect(plan.onDemandMonthlyUsd).toBeLessThan(plan.provisionedMonthlyUsd);
    expect(plan.summary).toMatch(/on-demand is cheaper \(set STREAM_SHARDS=on-demand\)/);
    expect(plan.summary).toContain(KINESIS_PRICES_US_EAST_1.source);
  });

  it('prices one provisioned shard at 730 shard-hours plus PUT payload units', () => {
    const plan = planStreamCapacity({ peakLinesPerSecond: 1, averageLineBytes: 100, averageLinesPerSecond: 1 });
    const putUnits = 730 * 3600;
    expect(plan.provisionedMonthlyUsd).toBeCloseTo(730 * 0.015 + (putUnits / 1e6) * 0.014, 6);
  });

  it('fails for zero lines per second', () => {
    expect(() => planStreamCapacity({ peakLinesPerSecond: 0, averageLineBytes: 250 })).toThrow(
      'peakLinesPerSecond must be a positive number (expected log lines per second at peak), got 0',
    );
  });

  it('fails for a negative or non-numeric line size', () => {
    expect(() => planStreamCapacity({ peakLinesPerSecond: 10, averageLineBytes: -1 })).toThrow(/averageLineBytes must be a positive number/);
    expect(() => planStreamCapacity({ peakLinesPerSecond: 10, averageLineBytes: NaN })).toThrow(/got NaN/);
  });

  it('fails for a line larger than one Kinesis record', () => {
    expect(() => planStreamCapacity({ peakLinesPerSecond: 10, averageLineBytes: 1024 * 1024 })).toThrow(/must fit one Kinesis record \(1 MiB\)/);
  });

  it('fails for a negative headroom', () => {
    expect(() => planStreamCapacity({ peakLinesPerSecond: 10, averageLineBytes: 250, headroom: -0.1 })).toThrow(/headroom must be a fraction/);
  });

  it('fails for an average above the peak', () => {
    expect(() => planStreamCapacity({ peakLinesPerSecond: 10, averageLineBytes: 250, averageLinesPerSecond: 11 })).toThrow(
      'averageLinesPerSecond (11) cannot exceed peakLinesPerSecond (10)',
    );
  });
});

describe('planStreamCapacity with several lines per record', () => {
  it('divides the record rate, multiplies the record size and so sizes by bytes', () => {
    const plan = planStreamCapacity({ peakLinesPerSecond: 20_000, averageLineBytes: 200, linesPerRecord: 100, partitionKeyBytes: 16 });
    expect(plan.peakRecordsPerSecond).toBe(200);
    expect(plan.recordBytes).toBe(20_016);
    expect(plan.limitedBy).toBe('bytes');
    expect(plan.shards).toBe(Math.ceil((200 * 20_016 * 1.25) / SHARD_WRITE_LIMITS.bytesPerSecond));
  });

  it('fails for fewer than one line per record, and for records over 1 MiB', () => {
    expect(() => planStreamCapacity({ peakLinesPerSecond: 1, averageLineBytes: 200, linesPerRecord: 0.5 })).toThrow(
      'linesPerRecord must be a number ≥ 1 (1 = one line per record, the Kinesis Agent), got 0.5',
    );
    expect(() => planStreamCapacity({ peakLinesPerSecond: 1, averageLineBytes: 200, linesPerRecord: 10_000 })).toThrow(/must fit one Kinesis record/);
  });
});

