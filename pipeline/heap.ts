/**
 * Heap settings for the processes that run the pipeline (`npm start`, the benchmark).
 *
 * By default V8 lets the old generation grow to several times what is live before a full collection. The pipeline
 * promotes a lot of short-lived data (HTTP bodies and decoded batches that outlive a few scavenges while a large
 * batch is processed), so its peak RSS was mostly garbage. Capping the growth per full collection keeps the peak near
 * what is live at the same speed; a lower cap costs speed, a higher one memory (the runs that chose 75 % are in
 * docs/performance.md).
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
 * machine the helpers only compete with them for the cores: without them the same work takes less CPU and runs
 * faster end to end, at about the same peak RSS (docs/performance.md).
 */
export const PIPELINE_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];
