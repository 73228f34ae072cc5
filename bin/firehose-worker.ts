/**
 * The local Firehose's worker thread (`pipeline/firehose/thread.ts`), started by `npm start`; not a command.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { serveFirehoseThread, type FirehoseThreadData } from '../pipeline/firehose/thread';

if (isMainThread || !parentPort) {
  process.stderr.write('firehose-worker.js runs as npm start\'s worker thread, not on its own\n');
  process.exitCode = 2;
} else {
  serveFirehoseThread(parentPort, workerData as FirehoseThreadData);
}
