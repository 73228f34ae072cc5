/**
 * `npm run cost [GB/day ...]`: prints the monthly cost table (Markdown) for the given daily raw log volumes.
 *
 * Defaults to 1, 10 and 100 GiB a day. Prices and measured ratios come from stacks/cost-model.ts.
 */
import { alarmMetricCount } from '../stacks/alarm-specs';
import { estimateMonthlyCost, PRICES_US_EAST_1, type CostEstimate } from '../stacks/cost-model';

const volumes = process.argv.slice(2).map(Number);
const days = volumes.length > 0 ? volumes : [1, 10, 100];
let estimates: CostEstimate[];
try {
  estimates = days.map((gbPerDay) => estimateMonthlyCost({ gbPerDay }));
} catch (error) {
  console.error(`cost: ${(error as Error).message}`);
  process.exit(1);
}

const usd = (n: number) => (n < 0.01 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
const rows: Array<[string, (e: CostEstimate) => string]> = [
  ['Kinesis, provisioned (shards)', (e) => `${usd(e.kinesisProvisionedUsd)} (${e.shards})`],
  ['Kinesis, on-demand', (e) => usd(e.kinesisOnDemandUsd)],
  ['Firehose ingestion, 5 KB per record', (e) => usd(e.firehoseUsd)],
  ['Firehose ingestion, actual bytes', (e) => usd(e.firehoseUnroundedUsd)],
  ['Lambda parser (arm64, 256 MB)', (e) => usd(e.lambdaUsd)],
  ['S3 PUTs', (e) => usd(e.s3PutsUsd)],
  ['S3 storage of a month of logs, GZIP', (e) => usd(e.s3StorageGzipUsd)],
  ['S3 storage of a month of logs, plain JSON', (e) => usd(e.s3StoragePlainUsd)],
  [`CloudWatch alarms (${alarmMetricCount()} alarm metrics)`, (e) => usd(e.alarmsUsd)],
  ['CloudWatch dashboard (free among an account\'s first 3)', (e) => usd(e.dashboardUsd)],
  ['**Total** (provisioned, GZIP, 5 KB rounding)', (e) => `**${usd(e.totalUsd)}**`],
  ['Athena, one query over a day, GZIP', (e) => usd(e.athenaDayQueryGzipUsd)],
  ['Athena, one query over a day, plain', (e) => usd(e.athenaDayQueryPlainUsd)],
];
console.log(`| per month | ${days.map((d) => `${d} GB/day`).join(' | ')} |`);
console.log(`|---|${days.map(() => '---:').join('|')}|`);
for (const [label, cell] of rows) console.log(`| ${label} | ${estimates.map(cell).join(' | ')} |`);
console.log(`\nPrices: ${PRICES_US_EAST_1.source}.`);
