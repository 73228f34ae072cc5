/**
 * The embedded Kinesis and S3 with the AWS CLI, as `npm start -- --serve` prints its commands (here, because the CLI
 * takes a second or more per call).
 */
import { CreateStreamCommand, PutRecordCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kinesisClient } from '../../pipeline/clients';
import { startKinesis, startS3 } from '../../pipeline/emulators';
import { AWS_CLI, missingTools } from '../support/tools';

const skipReason = missingTools([AWS_CLI]);
if (skipReason !== undefined) console.warn(`emulators-cli.test.ts ${skipReason}`);
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

withCli('serves the AWS CLI against the embedded S3 with any credentials: cp, ls, presign', async () => {
  const s3 = await startS3({ buckets: ['logs'] });
  const dir = mkdtempSync(join(tmpdir(), 's3-cli-'));
  const aws = async (...args: string[]): Promise<string> => {
    const { stdout } = await promisify(execFile)('aws', ['--region', 'eu-west-1', '--endpoint-url', s3.endpoint, 's3', ...args], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'anything', AWS_PAGER: '' },
    });
    return stdout;
  };
  try {
    writeFileSync(join(dir, 'line.json'), '{"status":200}\n');
    await aws('cp', join(dir, 'line.json'), 's3://logs/2026/12/05/22/line.json');
    expect(await aws('ls', '--recursive', 's3://logs/')).toMatch(/ 15 2026\/12\/05\/22\/line\.json\n$/);
    // A presigned URL names the key in its query string instead of a header (SigV2 for a custom endpoint).
    const url = (await aws('presign', 's3://logs/2026/12/05/22/line.json')).trim();
    expect(url).toMatch(/[?&](AWSAccessKeyId|X-Amz-Credential)=AKIAIOSFODNN7EXAMPLE/);
    expect(await (await fetch(url)).text()).toBe('{"status":200}\n');
  } finally {
    await s3.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
