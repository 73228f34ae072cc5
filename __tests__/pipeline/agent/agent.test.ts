import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runLogAgent } from '../../../pipeline/agent/agent';
import { resolveLogAgentConfig } from '../../../pipeline/agent/config';
import { createStream, kinesisFixture, readStream, type KinesisFixture } from '../kinesis-helpers';
import { waitFor } from '../../support/wait';

let fx: KinesisFixture;
beforeEach(async () => {
  fx = await kinesisFixture();
});
afterEach(() => fx.close());

const line = (i: number): string => `10.0.0.1 - - [05/Dec/2026:17:00:00 +0000] "GET /a/${i} HTTP/1.1" 200 ${i} "-" "jest" "-"\n`;

const until = (cond: () => boolean | Promise<boolean>, what: string): Promise<void> => waitFor(cond, what, 15_000, 50);

function config(file: string) {
  return resolveLogAgentConfig({
    stream: 'logs',
    region: 'us-east-1',
    kinesisEndpoint: fx.kinesis.endpoint,
    files: [file],
    checkpointDirectory: join(fx.dir, 'state'),
    maxBufferAgeMillis: 100,
    metrics: { enabled: false },
  });
}

// The agent's client takes credentials from the default chain; kinesalite accepts any.
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
});

describe('runLogAgent', () => {
  it('a stream that does not exist: says so once, keeps the lines, and ships them when the stream appears', async () => {
    const file = join(fx.dir, 'access.log');
    writeFileSync(file, [1, 2, 3].map(line).join(''));
    const logs: string[] = [];
    const controller = new AbortController();
    const done = runLogAgent(config(file), { signal: controller.signal, log: (m) => logs.push(m) });
    await until(() => logs.some((m) => m.includes('does not exist')), 'the missing-stream message');
    await sleep(300);
    const about = logs.filter((m) => m.includes('does not exist'));
    expect(about[0]).toMatch(/access\.log: PutRecords failing \(ResourceNotFoundException: stream "logs" does not exist \(yet\)\); retrying 1 records/);
    expect(about.length).toBeLessThanOrEqual(2);
    await createStream(fx.client, 'logs', 1);
    await until(async () => (await readStream(fx.client, 'logs')).data.length > 0, 'the records');
    controller.abort();
    const totals = await done;
    expect((await readStream(fx.client, 'logs')).data.map(String)).toEqual([[1, 2, 3].map(line).join('')]);
    expect(totals).toMatchObject({ linesRead: 3, linesShipped: 3, recordsSent: 1 });
    expect(totals.errors).toBeGreaterThan(0);
    expect(logs.some((m) => m.includes('succeeds again'))).toBe(true);
  });

  it('stops while the stream is still missing: gives up after the grace, keeps the lines for the next start', async () => {
    const file = join(fx.dir, 'access.log');
    writeFileSync(file, line(1));
    const logs: string[] = [];
    const controller = new AbortController();
    const done = runLogAgent(config(file), { signal: controller.signal, log: (m) => logs.push(m), stopGraceMillis: 200 });
    await until(() => logs.some((m) => m.includes('does not exist')), 'the missing-stream message');
    controller.abort();
    await done;
    expect(logs.join('\n')).toMatch(/stopped while PutRecords was still failing .* their lines are after the checkpoint and are sent again at the next start/);
  });

  it('a log that does not exist yet: says so once, ships it once nginx creates it', async () => {
    const file = join(fx.dir, 'later.log');
    await createStream(fx.client, 'logs', 1);
    const logs: string[] = [];
    const controller = new AbortController();
    const done = runLogAgent(config(file), { signal: controller.signal, log: (m) => logs.push(m) });
    await until(() => logs.some((m) => m.includes('waiting for it to appear')), 'the waiting message');
    writeFileSync(file, line(7));
    await until(async () => (await readStream(fx.client, 'logs')).data.length > 0, 'the records');
    controller.abort();
    await done;
    expect(logs.filter((m) => m.includes('does not exist (yet)'))).toHaveLength(1);
    expect((await readStream(fx.client, 'logs')).data.map(String)).toEqual([line(7)]);
  });
});
