import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection, type NetConnectOpts } from 'node:net';
import { join } from 'node:path';
import { waitFor, waitForListener } from './wait';

/** Debian's nginx (or a local build), if this machine has one. */
export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p));

/** Why a real-nginx test cannot run here, for its skip message (or its failure under CI=true). */
export function nginxMissing(what: string): string {
  return `nginx is not installed: install it with \`apt-get install -y nginx\` to run ${what}`;
}

/**
 * An nginx.conf that runs unprivileged in the foreground with everything under `prefix`, with `http` as the body of
 * its http block (log formats, access logs, servers). nginx is started with `-c <prefix>/nginx.conf -p <prefix>`.
 */
export function nginxConf(prefix: string, http: string, workerConnections = 64): string {
  return `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${http}
}
`;
}

/** Starts nginx on `<prefix>/nginx.conf` (written with {@link nginxConf}); resolves once it listens on every port. */
export async function startNginx(prefix: string, ports: readonly number[]): Promise<ChildProcess> {
  const nginx = spawn(NGINX!, ['-p', prefix, '-e', `${prefix}/logs/error.log`, '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  try {
    for (const port of ports) await waitForListener(port);
  } catch (err) {
    await stopNginx(nginx, [], 0);
    throw err;
  }
  return nginx;
}

/**
 * Stops nginx by its PID (SIGQUIT, SIGKILL after 3 s) once each access log in `logs` holds `lines` lines.
 * nginx writes a request's line when it closes the connection, and after an error response (400, 414) it closes
 * lingeringly: the client has the response and has closed before the line is written, and a single-process nginx
 * exits on SIGQUIT without finishing those connections (3 of 40 such lines lost on a loaded machine). A line that
 * never comes fails the wait by the log's name; nginx is stopped either way.
 */
export async function stopNginx(nginx: ChildProcess, logs: readonly string[], lines: number): Promise<void> {
  try {
    for (const file of logs) {
      await waitFor(() => existsSync(file) && logLines(file).length >= lines, `${lines} lines in ${file}`, 10_000);
    }
  } finally {
    const pid = nginx.pid;
    if (pid !== undefined && nginx.exitCode === null && nginx.signalCode === null) {
      const exited = new Promise((r) => nginx.once('exit', r));
      process.kill(pid, 'SIGQUIT');
      const timer = setTimeout(() => nginx.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** A log's lines as bytes, exactly as an agent would ship them (not decoded as UTF-8 on the way). */
export function logLines(file: string): Buffer[] {
  const buf = readFileSync(file);
  const out: Buffer[] = [];
  for (let s = 0, nl = buf.indexOf(10); nl >= 0; s = nl + 1, nl = buf.indexOf(10, s)) out.push(buf.subarray(s, nl));
  return out;
}

/** Sends raw bytes, then waits for nginx to close the connection (or closes it after `waitMs`). */
export function sendRaw(to: NetConnectOpts, bytes: Buffer | string, waitMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(to, () => {
      if (bytes.length > 0) socket.write(bytes);
      else socket.end();
    });
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', () => undefined);
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
