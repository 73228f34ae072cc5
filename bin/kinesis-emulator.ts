/**
 * The embedded Kinesis (`startKinesis`: kinesalite with its speed-ups) as its own process, for
 * `npm start -- --kinesis-process`: the emulator on one core, the shipper, Firehose and parser on another. Prints `{"endpoint": …, "port": …}` on its
 * first stdout line; stops on SIGTERM/SIGINT or when its parent closes stdin (so it never outlives `npm start`).
 *
 *   node dist/app/bin/kinesis-emulator.js [--port N]
 */
import { parseArgs } from 'node:util';
import { startKinesis } from '../pipeline/emulators';
import { limitHeapGrowth } from '../pipeline/heap';

async function main(): Promise<void> {
  limitHeapGrowth();
  const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
  const kinesis = await startKinesis({ port: Number(values.port) });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void kinesis.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.stdout.write(`${JSON.stringify({ endpoint: kinesis.endpoint, port: kinesis.port })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`kinesis emulator failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
