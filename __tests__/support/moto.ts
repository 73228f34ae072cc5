import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './ports';

export interface MotoServer {
  /** http://127.0.0.1:<port>: every AWS service moto emulates answers here. */
  readonly endpoint: string;
  readonly pid: number;
  /** Stops this server by its PID (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
}

export { freePort };

const running = new Set<ChildProcess>();
// A test run that dies half-way must not leave moto listening.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `moto_server -H 127.0.0.1 -p <free port>` and resolves once it answers HTTP. `awsManagedPolicies` loads
 * AWS's managed IAM policies (e.g. AmazonSSMManagedInstanceCore), which moto leaves out unless asked.
 */
export async function startMoto(options: { readyTimeoutMs?: number; awsManagedPolicies?: boolean } = {}): Promise<MotoServer> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const env = { ...process.env, ...(options.awsManagedPolicies ? { MOTO_IAM_LOAD_MANAGED_POLICIES: 'true' } : {}) };
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'], env });
  if (child.pid === undefined) throw new Error('moto_server did not start (is it on PATH?)');
  running.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    running.delete(child);
  });

  const stop = async (): Promise<void> => {
    if (hasExited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited) throw new Error(`moto_server exited before answering on ${endpoint}:\n${output}`);
    try {
      await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      return { endpoint, pid: child.pid, stop };
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`moto_server did not answer on ${endpoint} within ${options.readyTimeoutMs ?? 30_000} ms:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
