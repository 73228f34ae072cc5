import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROCESSOR_BUFFER_SAFE_MAX_MB } from '../../functions/nginx-parser/limits';
import { bucketNameProblems, checkErrorPrefix } from '../../stacks/validate';
import { AWS, buildPipeline, LOCALSTACK, synthesized } from './pipeline-helpers';

describe('stack validation', () => {
  it('fails for a processor buffer over Firehose’s 3 MB limit', () => {
    expect(() => buildPipeline(LOCALSTACK, { processorBufferSizeMBs: 4 })).toThrow(
      /processor buffer must be 0\.2–3 MB \(Firehose limit\), got 4/,
    );
  });

  it('fails for a processor buffer under 0.2 MB', () => {
    expect(() => buildPipeline(LOCALSTACK, { processorBufferSizeMBs: 0.1 })).toThrow(/got 0\.1/);
  });

  it('warns, without failing, for a processor buffer above the parser’s safe size', () => {
    const stack = buildPipeline(LOCALSTACK, { processorBufferSizeMBs: 3 });
    const warnings = stack.delivery.node.metadata.filter((m) => m.type === '@cdktf/warn').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining(`processor buffer 3 MB is above ${PROCESSOR_BUFFER_SAFE_MAX_MB} MB`)]);
  });

  it('fails for zero shards', () => {
    expect(() => buildPipeline(LOCALSTACK, { shardCount: 0 })).toThrow(
      'stream shardCount must be a whole number 1–200 shards (a provisioned stream needs at least one shard; 200 is the smallest default account quota), got 0',
    );
  });

  it('fails for a fractional shard count', () => {
    expect(() => buildPipeline(LOCALSTACK, { shardCount: 1.5 })).toThrow(/shardCount must be a whole number .*got 1\.5/);
  });

  it('fails for a shard count with on-demand capacity', () => {
    expect(() => buildPipeline(LOCALSTACK, { capacityMode: 'on-demand', shardCount: 2 })).toThrow(
      /shardCount must be unset for on-demand capacity.*got 2/,
    );
  });

  it('fails for retention under 24 hours', () => {
    expect(() => buildPipeline(LOCALSTACK, { retentionHours: 12 })).toThrow(/retentionHours must be a whole number 24–8760 hours.*got 12/);
  });

  it('fails for an invalid bucket name, saying why and how to fix it', () => {
    expect(() => buildPipeline(AWS, { bucketName: 'Nginx_Logs' })).toThrow(
      'invalid S3 bucket name "Nginx_Logs": it may contain only lowercase letters, digits, dots and hyphens. Set BUCKET_NAME to a valid name.',
    );
  });

  it('fails for a name prefix that cannot start a bucket name', () => {
    expect(() => buildPipeline(LOCALSTACK, { namePrefix: 'Nginx' })).toThrow(/name prefix must be 1–32 lowercase .*got "Nginx"/);
  });

  it('fails for a delivery prefix without a trailing slash', () => {
    expect(() => buildPipeline(LOCALSTACK, { prefix: 'nginx' })).toThrow(
      'delivery prefix must end with "/" (Firehose appends YYYY/MM/dd/HH/ without a separator), got "nginx"',
    );
  });

  it('fails for a delivery prefix too long for Firehose once the hour folders are appended', () => {
    expect(() => buildPipeline(LOCALSTACK, { prefix: `${'a'.repeat(497)}/` })).not.toThrow();
    expect(() => buildPipeline(LOCALSTACK, { prefix: `${'a'.repeat(498)}/` })).toThrow(
      /be at most 498 characters \(Firehose allows 512 once YYYY\/MM\/dd\/HH\/ is appended\), got "a{498}\/"/,
    );
  });

  it('fails for a delivery prefix with a Firehose expression', () => {
    expect(() => buildPipeline(LOCALSTACK, { prefix: 'nginx/!{timestamp:yyyy}/' })).toThrow(/be static, without !\{\.\.\.\}/);
  });

  it('fails for a delivery prefix that overlaps the error prefix', () => {
    expect(() => buildPipeline(LOCALSTACK, { prefix: 'errors/' })).toThrow(/errorOutputPrefix must differ from prefix/);
    expect(() => buildPipeline(LOCALSTACK, { prefix: 'err/' })).not.toThrow();
  });

  it('fails for an error prefix without the error type or a timestamp, as AWS would', () => {
    const build = (errorOutputPrefix: string) => () => checkErrorPrefix(errorOutputPrefix, 'nginx/');
    expect(build('errors/')).toThrow(/must contain !\{firehose:error-output-type\}/);
    expect(build('errors/!{firehose:error-output-type}/')).toThrow(/contain a !\{timestamp:\.\.\.\} expression/);
    expect(build('errors/!{firehose:error-output-type}/!{timestamp:yyyy}/')).not.toThrow();
  });

  it('fails for an S3 buffering interval over 900 seconds', () => {
    expect(() => buildPipeline(LOCALSTACK, { bufferingIntervalSeconds: 901 })).toThrow(
      /bufferingIntervalSeconds must be a whole number 0–900 seconds .*got 901/,
    );
  });

  it('fails for an S3 buffer over 128 MB', () => {
    expect(() => buildPipeline(LOCALSTACK, { bufferingSizeMBs: 129 })).toThrow(/bufferingSizeMBs must be a whole number 1–128 MB/);
  });

  it('fails for a log format the parser cannot split, naming LOG_FORMAT', () => {
    expect(() => buildPipeline(LOCALSTACK, { logFormat: '$remote_addr $request $status' })).toThrow(
      /parser logFormat is not usable: log format: \$request can contain " ".*\(set LOG_FORMAT\)/,
    );
  });

  it('fails for a preset name that does not exist, listing the presets', () => {
    expect(() => buildPipeline(LOCALSTACK, { logFormat: 'ingress' })).toThrow(
      /parser logFormat is not usable: log format: no preset is named "ingress"; use one of main, combined, ingress-nginx, json.*\(set LOG_FORMAT\)/,
    );
  });

  it('fails for a log format without variables', () => {
    expect(() => buildPipeline(LOCALSTACK, { logFormat: 'plain text' })).toThrow(/parser logFormat is not usable: log format has no \$variables/);
  });

  it('fails when the Lambda bundle is missing, telling to run npm run bundle', () => {
    const empty = mkdtempSync(join(tmpdir(), 'no-bundle-'));
    expect(() => buildPipeline(LOCALSTACK, { bundleDir: empty })).toThrow(
      `parser bundle not found: ${join(empty, 'index.js')} is missing. Run \`npm run bundle\` first.`,
    );
  });
});

describe('bucketNameProblems', () => {
  it('accepts the original name and an account-suffixed name', () => {
    expect(bucketNameProblems('nginx-access-logs-s3')).toEqual([]);
    expect(bucketNameProblems('nginx-access-logs-s3-123456789012-ap-northeast-2')).toEqual([]);
  });

  it.each([
    ['ab', /3–63 allowed/],
    ['a'.repeat(64), /64 characters long/],
    ['-logs', /start and end with a letter or digit/],
    ['logs.', /start and end with a letter or digit/],
    ['logs..archive', /two adjacent dots/],
    ['192.168.1.10', /IP address/],
    ['xn--logs', /must not start with xn--/],
    ['logs-s3alias', /reserved suffix/],
  ])('rejects %s', (name, problem) => {
    expect(bucketNameProblems(name).join('; ')).toMatch(problem);
  });
});

describe('user strings that reach Terraform', () => {
  it('escapes an alarm address that Terraform would read as a reference', () => {
    const { doc } = synthesized(AWS, { alarmEmail: 'ops+${team}@example.com' });
    const subscription = Object.values(doc.resource.aws_sns_topic_subscription ?? {})[0] as { endpoint: string };
    expect(subscription.endpoint).toBe('ops+$${team}@example.com');
  });

  it('fails for a state bucket that is not a bucket name, naming the variable', () => {
    expect(() => buildPipeline(AWS, { stateBackend: { bucket: 'Team_State' } })).toThrow(
      /invalid S3 bucket name "Team_State".*Set TF_STATE_BUCKET to a valid name\./,
    );
  });
});
