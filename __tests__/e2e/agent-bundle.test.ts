/**
 * The agent bundle (`dist/agent/nginx-log-agent.js`, from `npm run build`) started as its own process the way systemd
 * starts it, with no credentials but what a fake IMDSv2 service on loopback hands out
 * (`AWS_EC2_METADATA_SERVICE_ENDPOINT`): kinesalite as the stream, moto_server as CloudWatch. It follows a log
 * through a rename rotation, flushes on SIGTERM, and after SIGKILL + restart loses nothing and repeats only lines
 * after its checkpoint.
 */
import { GetMetricStatisticsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpointPath } from '../../pipeline/agent/agent';
import { readCheckpoint } from '../../pipeline/agent/checkpoint';
import { AGENT_METRICS } from '../../pipeline/agent/defaults';
import { projectRoot } from '../../pipeline/stack-config';
import { createStream, kinesisFixture, readStream, type KinesisFixture } from '../pipeline/kinesis-helpers';
import { startMoto, type MotoServer } from '../support/moto';
import { LogWriter } from '../support/log-writer';
import { missingTools, MOTO_SERVER } from '../support/tools';
import { waitFor } from '../support/wait';

jest.setTimeout(120_000);

const bundle = join(projectRoot(__dirname), 'dist', 'agent', 'nginx-log-agent.js');
const skip = missingTools([MOTO_SERVER]);
const maybe = skip ? test.skip : test;
if (skip) console.warn(`agent bundle e2e ${skip}`);

/** A fake EC2 instance-metadata service that only speaks IMDSv2 (token first), counting what it served. */
async function startImds(): Promise<{ endpoint: string; served: { tokens: number; credentials: number; refused: number }; server: Server }> {
  const served = { tokens: 0, credentials: 0, refused: 0 };
  const token = 'imds-token-1';
  const server = createServer((req, res) => {
    if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds']) {
      served.tokens++;
      res.end(token);
      return;
    }
    if (req.headers['x-aws-ec2-metadata-token'] !== token) {
      served.refused++;
      res.statusCode = 401;
      res.end();
      return;
    }
    if (req.url === '/latest/meta-data/iam/security-credentials/') {
      res.end('web-host-role');
    } else if (req.url === '/latest/meta-data/iam/security-credentials/web-host-role') {
      served.credentials++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          Code: 'Success',
          Type: 'AWS-HMAC',
          AccessKeyId: 'ASIAFAKEFROMIMDS',
          SecretAccessKey: 'fake-secret',
          Token: 'fake-session-token',
          Expiration: new Date(Date.now() + 3600_000).toISOString(),
          LastUpdated: new Date().toISOString(),
        }),
      );
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, served, server };
}

let fx: KinesisFixture;
let moto: MotoServer | undefined;
let imds: Awaited<ReturnType<typeof startImds>>;
beforeEach(async () => {
  if (skip) return;
  fx = await kinesisFixture();
  await createStream(fx.client, 'logs', 1);
  moto = await startMoto();
  imds = await startImds();
});
afterEach(async () => {
  if (skip) return;
  imds.server.close();
  await moto?.stop();
  await fx.close();
});

/** Our lines, every 97th binary junk. */
const agentLine = (n: number): string =>
  n % 97 === 0 ? `\u0016\u0003\u0001 binary junk ${n}\n` : `10.1.2.3 - - [05/Dec/2026:17:00:00 +0000] "GET /p/${n} HTTP/1.1" 200 ${n} "-" "agent-e2e" "-"\n`;

const agents = new Set<ChildProcess>();
afterEach(() => {
  for (const child of agents) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  agents.clear();
});

function startAgent(configFile: string, env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [bundle, '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  agents.add(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, output: () => output };
}

async function streamLines(): Promise<{ lines: string[]; records: number }> {
  const { data } = await readStream(fx.client, 'logs');
  return { lines: data.flatMap((d) => d.toString().split(/(?<=\n)/)), records: data.length };
}

const counts = (lines: readonly string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return m;
};

maybe('credentials from IMDSv2, a rename rotation, SIGTERM flushes, SIGKILL + restart loses nothing', async () => {
  const dir = fx.dir;
  const log = join(dir, 'access.log');
  const state = join(dir, 'state');
  mkdirSync(state);
  const configFile = join(dir, 'config.json');
  const configure = (maxBufferAgeMillis: number): void =>
    writeFileSync(
      configFile,
      JSON.stringify({
        stream: 'logs',
        region: 'us-east-1',
        kinesisEndpoint: fx.kinesis.endpoint,
        files: [log],
        checkpointDirectory: state,
        maxBufferAgeMillis,
        metrics: { endpoint: moto!.endpoint, intervalSeconds: 1 },
      }),
    );
  // First a long flush age: these few records (under 500 and 5 MiB) leave only on SIGTERM, which is what is checked.
  configure(60_000);
  // As systemd would run it: no AWS variables, no ~/.aws; only the metadata service can give credentials.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
  };
  const w = new LogWriter(log, agentLine);
  w.write(2000);
  let agent = startAgent(configFile, env);
  await waitFor(() => agent.output().includes('nginx-log-agent: shipping'), 'the agent to start', 30_000, 50);
  // It has read the file before logrotate renames it (no checkpoint yet: a file rotated earlier is not its business).
  await sleep(1_000);
  // logrotate's rename, then nginx reopens its log on USR1.
  renameSync(log, `${log}.1`);
  w.write(30);
  w.reopen();
  w.write(1000);
  // The agent moves to the new file once the old one has been quiet for 1 s since the new one appeared, then reads it.
  await waitFor(() => /rotation \(rename\)/.test(agent.output()), 'the rename rotation', 20_000, 50);
  await sleep(1_000);
  expect((await streamLines()).lines).toHaveLength(0);

  // SIGTERM: what was read (everything, after the pause) is sent and checkpointed at the end of the file.
  agent.child.kill('SIGTERM');
  const [code] = (await once(agent.child, 'exit')) as [number | null];
  expect({ code, output: agent.output() }).toMatchObject({ code: 0 });
  expect(agent.output()).toMatch(/SIGTERM: sending what was read, then stopping/);
  expect(agent.output()).toMatch(/rotation \(rename\)/);
  expect(imds.served.tokens).toBeGreaterThan(0);
  expect(imds.served.credentials).toBeGreaterThan(0);
  expect(imds.served.refused).toBe(0);
  const afterTerm = (await streamLines()).lines;
  const checkpoint = readCheckpoint(checkpointPath(state, log))!;
  const linesOfFile = (path: string, end?: number): string[] =>
    readFileSync(path).subarray(0, end).toString().split(/(?<=\n)/).filter(Boolean);
  expect(counts(afterTerm)).toEqual(counts([...linesOfFile(`${log}.1`), ...linesOfFile(log, checkpoint.offset)]));
  expect(checkpoint.offset).toBe(readFileSync(log).length);
  expect(counts(afterTerm)).toEqual(counts(w.written));
  // Aggregated: far fewer records than lines, and each binary junk line alone in a record of its own.
  const { records } = await streamLines();
  expect(records).toBeLessThanOrEqual(3030 / 10);
  const junk = (await readStream(fx.client, 'logs')).data.filter((d) => d.includes('binary junk'));
  expect(junk.every((d) => d.toString().split('\n').length === 2)).toBe(true);
  expect(junk.length).toBe(w.written.filter((l) => l.includes('binary junk')).length);

  // The metrics reached CloudWatch, in the agent's namespace, with the lines it read.
  const cloudwatch = new CloudWatchClient({ region: 'us-east-1', endpoint: moto!.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const stats = await cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: AGENT_METRICS.namespace,
      MetricName: 'LinesRead',
      Dimensions: [{ Name: 'Host', Value: (await import('node:os')).hostname() }],
      StartTime: new Date(Date.now() - 3600_000),
      EndTime: new Date(Date.now() + 60_000),
      Period: 3600,
      Statistics: ['Sum'],
    }),
  );
  cloudwatch.destroy();
  expect(stats.Datapoints?.[0]?.Sum).toBe(afterTerm.length);

  // Restart with a short flush age, then SIGKILL while lines keep coming and records leave: no line lost; only lines
  // after the last checkpoint may be sent twice.
  configure(100);
  agent = startAgent(configFile, env);
  for (let i = 0; i < 20; i++) {
    w.write(200);
    await sleep(25);
  }
  agent.child.kill('SIGKILL');
  await once(agent.child, 'exit');
  const killedAt = readCheckpoint(checkpointPath(state, log))!.offset;
  agent = startAgent(configFile, env);
  w.write(100);
  await sleep(1_500);
  agent.child.kill('SIGTERM');
  await once(agent.child, 'exit');
  const lines = (await streamLines()).lines;
  const got = counts(lines);
  for (const l of w.written) expect(got.get(l) ?? 0).toBeGreaterThanOrEqual(1);
  const beforeKill = new Set(linesOfFile(log, killedAt));
  const rotated = new Set(linesOfFile(`${log}.1`));
  for (const [l, n] of got) if (n > 1) expect(beforeKill.has(l) || rotated.has(l)).toBe(false);
  w.close();
  expect(existsSync(state)).toBe(true);
});

maybe('an unreadable log: one line naming the file and the permission, shipped once readable', async () => {
  // systemd runs the agent as its own user; as root here, setpriv drops to nobody so file permissions apply.
  const asRoot = process.getuid?.() === 0;
  const dir = fx.dir;
  chmodSync(dir, 0o755);
  const log = join(dir, 'access.log');
  const state = join(dir, 'state-nobody');
  mkdirSync(state, { mode: 0o777 });
  chmodSync(state, 0o777);
  writeFileSync(log, `10.1.2.3 - - [05/Dec/2026:17:00:00 +0000] "GET /secret HTTP/1.1" 200 1 "-" "e2e" "-"\n`);
  chmodSync(log, 0o600);
  const configFile = join(dir, 'config-nobody.json');
  writeFileSync(
    configFile,
    JSON.stringify({ stream: 'logs', region: 'us-east-1', kinesisEndpoint: fx.kinesis.endpoint, files: [log], checkpointDirectory: state, maxBufferAgeMillis: 100, metrics: { enabled: false } }),
  );
  chmodSync(configFile, 0o644);
  const env = { PATH: process.env.PATH, HOME: dir, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
  const command = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), bundle, '--config', configFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  agents.add(child);
  let output = '';
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(() => output.includes('permission denied'), 'the permission message', 30_000, 50);
  expect(output).toMatch(new RegExp(`cannot read ${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: permission denied \\(EACCES\\)`));
  chmodSync(log, 0o644);
  const deadline = Date.now() + 30_000;
  while ((await streamLines()).lines.length === 0 && Date.now() < deadline) await sleep(200);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  expect((await streamLines()).lines).toEqual([readFileSync(log, 'utf8')]);
  expect(output.match(/permission denied/g)).toHaveLength(1);
});
