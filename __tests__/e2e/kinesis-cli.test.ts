/**
 * The embedded Kinesis with the AWS CLI, as `npm start -- --serve` prints its commands (here, because the CLI takes a
 * second or more per call).
 */
import { CreateStreamCommand, PutRecordCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { kinesisClient } from '../../pipeline/clients';
import { startKinesis } from '../../pipeline/emulators';
import { AWS_CLI, missingTools } from '../support/tools';

const skipReason = missingTools([AWS_CLI]);
if (skipReason !== undefined) console.warn(`server.test.ts ${skipReason}`);
const withCli = skipReason === undefined ? it : it.skip;

withCli('serves the AWS CLI commands npm start --serve prints: describe-stream, list-streams, get-shard-iterator, get-records', async () => {
  const kinesis = await startKinesis();
  const aws = async (...args: string[]): Promise<Record<string, unknown>> => {
    const { stdout } = await promisify(execFile)('aws', ['--region', 'us-east-1', '--endpoint-url', kinesis.endpoint, '--output', 'json', 'kinesis', ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_PAGER: '' },
    });
    return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
  };
  try {
    const client = kinesisClient({ endpoint: kinesis.endpoint, region: 'us-east-1' });
    await client.send(new CreateStreamCommand({ StreamName: 'cli', ShardCount: 1 }));
    await waitUntilStreamExists({ client, maxWaitTime: 5, minDelay: 0.05 } as never, { StreamName: 'cli' });
    await client.send(new PutRecordCommand({ StreamName: 'cli', Data: Buffer.from('hello\n'), PartitionKey: 'k' }));
    client.destroy();
    expect(await aws('describe-stream', '--stream-name', 'cli')).toMatchObject({ StreamDescription: { StreamStatus: 'ACTIVE', StreamName: 'cli' } });
    expect(await aws('list-streams')).toMatchObject({ StreamNames: ['cli'] });
    const it = (await aws('get-shard-iterator', '--stream-name', 'cli', '--shard-id', 'shardId-000000000000', '--shard-iterator-type', 'TRIM_HORIZON')).ShardIterator as string;
    const out = await aws('get-records', '--shard-iterator', it);
    expect((out.Records as { Data: string }[]).map((r) => Buffer.from(r.Data, 'base64').toString())).toEqual(['hello\n']);
  } finally {
    await kinesis.stop();
  }
}, 60_000);
