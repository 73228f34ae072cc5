/**
 * `npm run capacity -- --peak-lines-per-second N --line-bytes B [--average-lines-per-second A] [--headroom H]`
 *
 * Prints the shard count for an expected peak and whether on-demand would be cheaper; STREAM_SHARDS takes the result.
 */
import { planStreamCapacity } from '../tools/capacity';

const USAGE =
  'usage: npm run capacity -- --peak-lines-per-second N --line-bytes B [--average-lines-per-second A] [--headroom 0.25]';

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
  const plan = planStreamCapacity({
    peakLinesPerSecond: peak,
    averageLineBytes: bytes,
    averageLinesPerSecond: flag('average-lines-per-second'),
    headroom: flag('headroom'),
  });
  console.log(plan.summary);
  console.log(plan.cheaper === 'on-demand' ? 'STREAM_SHARDS=on-demand' : `STREAM_SHARDS=${plan.shards}`);
} catch (error) {
  console.error(`capacity: ${(error as Error).message}\n${USAGE}`);
  process.exit(1);
}
