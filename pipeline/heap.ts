/**
 * Heap settings for the processes that run the pipeline (`npm start`, the benchmark).
 *
 * By default V8 lets the old generation grow to several times what is live before a full collection. The pipeline
 * promotes a lot of short-lived data (HTTP bodies and decoded batches that outlive a few scavenges while a
 * 10,000-record batch is processed), so peak RSS was mostly garbage: on 200k lines in one process, 387–425 MB, against
 * 311 MB with a full GC forced every 250 ms. Measured side by side (3 runs each): growing by at most 75 % per
 * collection gave 368–377 MB at the same speed (CPU +2–4 %); 50 %: 349–370 MB but ~15 % slower; 100 %: 383–413 MB.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation grows by at most this share per full collection. */
export const HEAP_GROWING_PERCENT = 75;

/** Applies {@link HEAP_GROWING_PERCENT} to this process; call it first thing in an entry point. */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * V8 flags the pipeline's processes start with: `npm start`'s script in package.json and the benchmark's children.
 * They must be given on the command line (setting --single-threaded-gc at run time aborts V8).
 *
 * `--single-threaded-gc`: by default V8 collects garbage with helper threads beside each JavaScript thread. npm start
 * already keeps two JavaScript threads busy (the shipper with the embedded Kinesis, and the Firehose), so on a 2-core
 * machine the helpers only compete with them for the cores. Measured side by side on 200k lines (4 runs each):
 * 12 % less CPU (user 7.9–8.8 s against 8.9–10.6 s) and end to end 41–46k lines/s against 35–41k, at about the same
 * peak RSS; the bare Kinesis rate is the same either way (49–50k records/s).
 */
export const PIPELINE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
