import { estimateMonthlyCost, PRICES_US_EAST_1 } from '../../tools/cost-model';

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
});
