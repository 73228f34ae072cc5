/**
 * `npm run capacity -- --peak-lines-per-second N --line-bytes B [--average-lines-per-second A] [--headroom H]
 * [--hosts N] [--unfit-share F]`
 *
 * Prints the shard count for an expected peak and whether on-demand would be cheaper, for both shipping routes side
 * by side: the Kinesis Agent (one line per record) and our agent (many lines per record). STREAM_SHARDS takes the
 * result of the route you run.
 */
import { AGGREGATION_DEFAULTS } from '../pipeline/agent/aggregator';
import { PARTITION_KEY_LENGTH } from '../pipeline/agent/defaults';
import { planStreamCapacity } from '../tools/capacity';
import { ourAgentRecords } from '../tools/cost-model';

const USAGE =
  'usage: npm run capacity -- --peak-lines-per-second N --line-bytes B [--average-lines-per-second A] [--headroom 0.25]\n' +
  '                           [--hosts 1] [--unfit-share 0.01]';

function flag(name: string): number | undefined {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) return undefined;
  const raw = process.argv[at + 1];
  if (raw === undefined || raw.startsWith('--')) throw new Error(`--${name} needs a number`);
  return Number(raw);
}

try {
  const peak = flag('peak-lines-per-second');
  const bytes = flag('line-bytes');
  if (peak === undefined || bytes === undefined) throw new Error('--peak-lines-per-second and --line-bytes are required');
  const common = {
    peakLinesPerSecond: peak,
    averageLineBytes: bytes,
    averageLinesPerSecond: flag('average-lines-per-second'),
    headroom: flag('headroom'),
  };
  const agent = planStreamCapacity(common);
  // Records our agent makes at the peak rate: full aggregates plus one record per line that does not fit the format.
  const hosts = flag('hosts') ?? 1;
  const unfit = flag('unfit-share') ?? 0.01;
  const { aggregates, singles } = ourAgentRecords({
    linesPerSecond: peak,
    lineBytes: bytes,
    hosts,
    unfitLineShare: unfit,
    maxRecordBytes: AGGREGATION_DEFAULTS.maxRecordBytes,
    flushAgeSeconds: AGGREGATION_DEFAULTS.maxBufferAgeMillis / 1000,
  });
  const linesPerRecord = peak / (aggregates.recordsPerSecond + singles.recordsPerSecond);
  const ours = planStreamCapacity({ ...common, linesPerRecord, partitionKeyBytes: PARTITION_KEY_LENGTH });
  console.log(`Kinesis Agent (one line per record): ${agent.summary}`);
  console.log(agent.cheaper === 'on-demand' ? 'STREAM_SHARDS=on-demand' : `STREAM_SHARDS=${agent.shards}`);
  console.log(
    `\nOur agent (${AGGREGATION_DEFAULTS.maxRecordBytes}-byte records, ${hosts} host(s), ${Math.round(unfit * 1000) / 10} % of lines ` +
      `not fitting the format sent alone): ${ours.summary}`,
  );
  console.log(ours.cheaper === 'on-demand' ? 'STREAM_SHARDS=on-demand' : `STREAM_SHARDS=${ours.shards}`);
} catch (error) {
  console.error(`capacity: ${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
