/**
 * `npm run cost [--json] [GB/day ...]`: the monthly cost of both shipping routes (the Kinesis Agent, one line per
 * record; our agent, many lines per record) side by side for the given daily raw log volumes, as a Markdown table
 * with its assumptions, or with `--json` one JSON object per volume for scripts.
 *
 * Defaults to 1, 10 and 100 GiB a day. Prices and measured ratios come from tools/cost-model.ts.
 */
import { AGGREGATION_DEFAULTS } from '../pipeline/agent/aggregator';
import { estimateBothRoutes, PRICES_US_EAST_1, type CostEstimate, type ShippingRoute } from '../tools/cost-model';

const USAGE = 'usage: npm run cost -- [--json] [GB/day ...]   (default volumes: 1 10 100)';
const ROUTES: Record<ShippingRoute, string> = { 'kinesis-agent': 'Kinesis Agent', 'nginx-log-agent': 'our agent' };

function main(argv: readonly string[]): void {
  const json = argv.includes('--json');
  const rest = argv.filter((a) => a !== '--json');
  const bad = rest.find((a) => !(Number(a) > 0));
  if (bad !== undefined) throw new Error(`${USAGE}\nnot a positive number of GiB per day: ${JSON.stringify(bad)}`);
  const days = rest.length > 0 ? rest.map(Number) : [1, 10, 100];
  const estimates = days.map((gbPerDay) => ({ gbPerDay, routes: estimateBothRoutes({ gbPerDay }) }));

  if (json) {
    for (const { gbPerDay, routes } of estimates) {
      const [agent, ours] = [routes['kinesis-agent'], routes['nginx-log-agent']];
      console.log(
        JSON.stringify({
          gbPerDay,
          kinesisAgentMonthlyUsd: round(agent.totalUsd),
          nginxLogAgentMonthlyUsd: round(ours.totalUsd),
          ratio: round(ours.totalUsd / agent.totalUsd, 4),
          routes: { 'kinesis-agent': rounded(agent), 'nginx-log-agent': rounded(ours) },
        }),
      );
    }
    return;
  }

  const usd = (n: number) => (n < 0.01 && n > 0 ? `$${n.toFixed(4)}` : `$${n.toFixed(2)}`);
  const columns = estimates.flatMap(({ gbPerDay, routes }) =>
    (Object.keys(ROUTES) as ShippingRoute[]).map((route) => ({ label: `${gbPerDay} GB/day, ${ROUTES[route]}`, e: routes[route] })),
  );
  const rows: Array<[string, (e: CostEstimate) => string]> = [
    ['Lines per Kinesis record', (e) => e.linesPerRecord.toFixed(e.linesPerRecord < 10 ? 1 : 0)],
    ['Kinesis, provisioned (shards)', (e) => `${usd(e.kinesisProvisionedUsd)} (${e.shards})`],
    ['Kinesis, on-demand', (e) => usd(e.kinesisOnDemandUsd)],
    ['Firehose ingestion, 5 KB per record', (e) => usd(e.firehoseUsd)],
    ['Firehose ingestion, actual bytes', (e) => usd(e.firehoseUnroundedUsd)],
    ['Lambda parser (arm64, 256 MB)', (e) => usd(e.lambdaUsd)],
    ['S3 PUTs', (e) => usd(e.s3PutsUsd)],
    ['S3 storage of a month of logs, GZIP', (e) => usd(e.s3StorageGzipUsd)],
    ['S3 storage of a month of logs, plain JSON', (e) => usd(e.s3StoragePlainUsd)],
    [`CloudWatch alarms (${columns[0]!.e.alarmCount} alarm metrics)`, (e) => usd(e.alarmsUsd)],
    ['CloudWatch dashboard (free among an account\'s first 3)', (e) => usd(e.dashboardUsd)],
    ['Agent metrics (our agent: 3 per host)', (e) => usd(e.agentMetricsUsd)],
    ['**Total** (provisioned, GZIP, 5 KB rounding)', (e) => `**${usd(e.totalUsd)}**`],
    ['Optional raw backup (`RAW_BACKUP=on`): a month of raw log, GZIP, and its PUTs', (e) => usd(e.rawBackupUsd)],
    ['Athena, one query over a day, GZIP', (e) => usd(e.athenaDayQueryGzipUsd)],
  ];
  console.log(`| per month | ${columns.map((c) => c.label).join(' | ')} |`);
  console.log(`|---|${columns.map(() => '---:').join('|')}|`);
  for (const [label, cell] of rows) console.log(`| ${label} | ${columns.map((c) => cell(c.e)).join(' | ')} |`);
  console.log(
    `| **Our agent ÷ Kinesis Agent** | ${estimates
      .flatMap(({ routes }) => ['', `**${(routes['nginx-log-agent'].totalUsd / routes['kinesis-agent'].totalUsd).toFixed(3)}**`])
      .join(' | ')} |`,
  );
  console.log(
    [
      '',
      'Assumptions: 193-byte lines (the generator\'s main format), peak 3× average, one web host, 1 % of lines not',
      `fitting the log format (our agent sends each alone), our agent's records up to ${AGGREGATION_DEFAULTS.maxRecordBytes} bytes flushed`,
      `at ${AGGREGATION_DEFAULTS.maxBufferAgeMillis / 1000} s, Firehose billing every record rounded up to 5 KB (its pricing page says so for a`,
      'Kinesis stream source), Lambda at a conservative 40 MB/s per vCPU, S3 buffering 60 s / 5 MB, GZIP delivery.',
      `Prices: ${PRICES_US_EAST_1.source}.`,
    ].join('\n'),
  );
}

function round(n: number, digits = 2): number {
  return Number(n.toFixed(digits));
}

function rounded(e: CostEstimate): Record<string, unknown> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'number' ? round(v, 4) : v]));
}

try {
  main(process.argv.slice(2));
} catch (error) {
  console.error(`cost: ${(error as Error).message}`);
  process.exit(1);
}
