/** The retry backoff the shipper and the local Firehose share, as the AWS SDKs and the Kinesis Agent do it. */

/** Exponential backoff with full jitter: uniform in [0, min(max, base · 2^(attempt−1))], in whole milliseconds. */
export function backoffMillis(attempt: number, baseMillis: number, maxMillis: number, random = Math.random): number {
  const ceiling = Math.min(maxMillis, baseMillis * 2 ** Math.min(attempt - 1, 30));
  return Math.round(random() * ceiling);
}
