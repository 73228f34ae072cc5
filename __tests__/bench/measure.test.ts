import { measurePutRecordsRate } from '../../bench/lib/measure';

describe('measurePutRecordsRate', () => {
  it('sends whole calls of 500 records into an embedded Kinesis of its own and reports the rate', async () => {
    const rate = await measurePutRecordsRate({ records: 1200 });
    expect(rate).toMatchObject({ records: 1500, calls: 3 });
    expect(rate.recordsPerSecond).toBeGreaterThan(0);
    expect(rate.p95CallMillis).toBeGreaterThanOrEqual(rate.medianCallMillis);
  });
});
