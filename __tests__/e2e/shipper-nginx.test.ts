/**
 * The shipper following a real nginx access log under load, through logrotate's two ways of rotating (rename + USR1
 * reopen, then copytruncate) and a shipper restart in between: every request's line reaches Kinesis exactly once.
 * Needs the nginx binary (`apt-get install -y nginx`); without it the test passes with a warning, except under
 * CI=true, where it fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { Shipper, type ShipSummary } from '../../pipeline/agent/shipper';
import { NGINX, nginxConf, nginxMissing } from '../support/nginx';
import { freePort } from '../support/ports';
import { createStream, kinesisFixture, readStream, type KinesisFixture } from '../pipeline/kinesis-helpers';

jest.setTimeout(120_000);

const MISSING = nginxMissing('the real-nginx shipper test');

let fx: KinesisFixture;
let nginx: ChildProcess | undefined;
afterEach(async () => {
  if (nginx?.pid && nginx.exitCode === null) {
    nginx.kill('SIGTERM');
    await new Promise((r) => nginx!.once('exit', r));
  }
  await fx?.close();
});

it('ships a live nginx log through rename+reopen and copytruncate rotations and a restart: each request once', async () => {
  if (NGINX === undefined) {
    if (process.env.CI === 'true') throw new Error(MISSING);
    console.warn(`SKIPPED: ${MISSING}`);
    return;
  }
  fx = await kinesisFixture();
  await createStream(fx.client, 'logs', 2);
  const prefix = fx.dir;
  mkdirSync(join(prefix, 'logs'));
  mkdirSync(join(prefix, 'tmp'));
  const log = join(prefix, 'logs', 'access.log');
  const port = await freePort();
  writeFileSync(
    join(prefix, 'nginx.conf'),
    nginxConf(
      prefix,
      `  log_format main '${NGINX_MAIN_FORMAT}';
  access_log ${log} main;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "ok\\n"; }
  }`,
      128,
    ),
  );
  nginx = spawn(NGINX, ['-c', join(prefix, 'nginx.conf'), '-p', prefix], { stdio: 'ignore' });
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  const request = (path: string): Promise<void> =>
    new Promise((resolve, reject) => {
      get({ host: '127.0.0.1', port, path, agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
  for (let i = 0; ; i++) {
    try {
      await request('/ready');
      break;
    } catch (err) {
      if (i > 100) throw err;
      await sleep(50);
    }
  }
  let sent = 0;
  const load = async (count: number): Promise<void> => {
    const paths = Array.from({ length: count }, () => `/r/${sent++}`);
    for (let i = 0; i < paths.length; i += 8) await Promise.all(paths.slice(i, i + 8).map(request));
  };

  const checkpointFile = join(prefix, 'checkpoint.json');
  const follow = (): { shipper: Shipper; done: Promise<ShipSummary> } => {
    const shipper = new Shipper({
      client: fx.client,
      streamName: 'logs',
      file: log,
      follow: true,
      checkpointFile,
      maxBufferAgeMillis: 100,
      pollMillis: 10,
      rotationQuietMillis: 300,
    });
    return { shipper, done: shipper.run() };
  };

  const first = follow();
  await load(1000);
  // logrotate (create): rename, then tell nginx to reopen its logs; requests keep coming meanwhile.
  const during = load(500);
  renameSync(log, `${log}.1`);
  process.kill(nginx.pid!, 'SIGUSR1');
  await during;
  await load(500);
  for (let i = 0; i < 300 && first.shipper.stats.rotations === 0; i++) await sleep(10);
  first.shipper.stop();
  const a = await first.done;
  expect(a.rotations).toBe(1);

  const second = follow();
  await load(500);
  // logrotate copytruncate, between requests (lines written between the copy and the truncation are lost by design).
  renameSync(`${log}.1`, `${log}.2`);
  copyFileSync(log, `${log}.1`);
  truncateSync(log, 0);
  await load(1000);
  const total = sent + 1; // the /ready probe
  for (let i = 0; i < 1000 && a.recordsShipped + second.shipper.stats.recordsShipped < total; i++) await sleep(10);
  second.shipper.stop();
  const b = await second.done;
  agent.destroy();

  expect(b.rotations).toBe(1);
  expect(a.recordsShipped + b.recordsShipped).toBe(total);
  const { data } = await readStream(fx.client, 'logs');
  const paths = data.map((d) => /"GET (\S+) HTTP/.exec(d.toString())?.[1]);
  expect(paths).toHaveLength(total);
  expect(new Set(paths).size).toBe(total);
  expect(paths.filter((p) => p?.startsWith('/r/'))).toHaveLength(sent);
  expect(data.every((d) => d.at(-1) === 10)).toBe(true);
});
