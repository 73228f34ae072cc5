/**
 * Starts the embedded Kinesis in a child process (`dist/app/bin/kinesis-emulator.js`): kinesalite's work (storing
 * and serving every record twice, once per PutRecords and once per GetRecords) then runs on its own core instead of
 * competing with the shipper, the Firehose and the parser for one event loop.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Emulator } from './emulators';
import { PIPELINE_NODE_FLAGS } from './heap';

/** A Kinesis emulator process. */
export interface KinesisProcess extends Emulator {
  readonly pid: number;
  /** The child's peak resident set (Linux VmHWM) in bytes, read before it stops; undefined where not available. */
  peakRssBytes(): number | undefined;
}

/** The bundled emulator entry point, present after `npm run build` (or synth). */
export function kinesisEmulatorScript(projectDir: string): string {
  return join(projectDir, 'dist', 'app', 'bin', 'kinesis-emulator.js');
}

/** Starts the emulator process on 127.0.0.1 at a free port and resolves once it listens. */
export async function startKinesisProcess(projectDir: string, opts: { readyTimeoutMs?: number } = {}): Promise<KinesisProcess> {
  const script = kinesisEmulatorScript(projectDir);
  if (!existsSync(script)) throw new Error(`${script} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [...PIPELINE_NODE_FLAGS, script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the Kinesis emulator process');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the Kinesis emulator process did not start within 15 s')), opts.readyTimeoutMs ?? 15_000);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Kinesis emulator process exited with ${code} before listening`));
    });
  });
  const { endpoint, port } = JSON.parse(first) as { endpoint: string; port: number };
  const peakRssBytes = (): number | undefined => {
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : Number(kb) * 1024;
    } catch {
      return undefined;
    }
  };
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      if (exitedYet) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    })());
  return { endpoint, port, pid, stop, peakRssBytes };
}
