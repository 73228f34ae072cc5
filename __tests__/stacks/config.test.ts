import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NGINX_COMBINED_FORMAT, NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';
import { configFromEnv, configurationTable, ENV_VARS } from '../../stacks/config';

describe('configFromEnv', () => {
  it('follows the original setup when nothing is set', () => {
    expect(configFromEnv({})).toEqual({
      region: 'ap-northeast-2',
      localstackEndpoint: 'http://localhost:4566',
      namePrefix: 'nginx-access-logs',
      bucketName: undefined,
      logFormat: NGINX_MAIN_FORMAT,
      capacityMode: 'provisioned',
      shardCount: 1,
      processorBufferSizeMBs: 1,
      bufferingIntervalSeconds: 60,
      catalog: undefined,
      webHost: false,
      rawBackup: false,
      agent: 'nginx-log-agent',
      noRecordsAlarmMinutes: undefined,
      alarmEmail: undefined,
      logExpirationDays: undefined,
      bucketKmsKeyArn: undefined,
      webHostSubnetId: undefined,
      webHostSecurityGroupIds: undefined,
      webHostHttpCidr: undefined,
      webHostSsm: false,
      stateBucket: undefined,
      stateRegion: undefined,
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(configFromEnv({}))).toBe(true);
  });

  it('takes every documented variable', () => {
    const config = configFromEnv({
      AWS_REGION: 'eu-central-1',
      LOCALSTACK_ENDPOINT: 'http://127.0.0.1:5000/',
      NAME_PREFIX: 'web',
      BUCKET_NAME: 'my-logs',
      LOG_FORMAT: NGINX_COMBINED_FORMAT,
      STREAM_SHARDS: '4',
      PROCESSOR_BUFFER_MB: '0.5',
      BUFFER_INTERVAL_SECONDS: '300',
      CATALOG: 'on',
      WEB_HOST: 'ON',
      RAW_BACKUP: 'on',
      AGENT: 'kinesis-agent',
      NO_RECORDS_ALARM_MINUTES: '30',
      ALARM_EMAIL: 'ops@example.com',
      LOG_EXPIRATION_DAYS: '365',
      BUCKET_KMS_KEY_ARN: 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      WEB_HOST_SUBNET_ID: 'subnet-0123456789abcdef0',
      WEB_HOST_SECURITY_GROUP_IDS: 'sg-0123456789abcdef0, sg-0fedcba9876543210',
      WEB_HOST_HTTP_CIDR: '203.0.113.0/24',
      WEB_HOST_SSM: 'on',
      TF_STATE_BUCKET: 'team-terraform-state',
      TF_STATE_REGION: 'eu-west-1',
    });
    expect(config).toEqual({
      region: 'eu-central-1',
      localstackEndpoint: 'http://127.0.0.1:5000',
      namePrefix: 'web',
      bucketName: 'my-logs',
      logFormat: NGINX_COMBINED_FORMAT,
      capacityMode: 'provisioned',
      shardCount: 4,
      processorBufferSizeMBs: 0.5,
      bufferingIntervalSeconds: 300,
      catalog: true,
      webHost: true,
      rawBackup: true,
      agent: 'kinesis-agent',
      noRecordsAlarmMinutes: 30,
      alarmEmail: 'ops@example.com',
      logExpirationDays: 365,
      bucketKmsKeyArn: 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      webHostSubnetId: 'subnet-0123456789abcdef0',
      webHostSecurityGroupIds: ['sg-0123456789abcdef0', 'sg-0fedcba9876543210'],
      webHostHttpCidr: '203.0.113.0/24',
      webHostSsm: true,
      stateBucket: 'team-terraform-state',
      stateRegion: 'eu-west-1',
    });
  });

  it('documents exactly the variables it reads', () => {
    expect(Object.keys(ENV_VARS).sort()).toEqual(
      [
        'ALARM_EMAIL',
        'AWS_REGION',
        'BUCKET_NAME',
        'CATALOG',
        'LOG_EXPIRATION_DAYS',
        'WEB_HOST',
        'RAW_BACKUP',
        'AGENT',
        'NO_RECORDS_ALARM_MINUTES',
        'BUFFER_INTERVAL_SECONDS',
        'LOCALSTACK_ENDPOINT',
        'LOG_FORMAT',
        'NAME_PREFIX',
        'PROCESSOR_BUFFER_MB',
        'STREAM_SHARDS',
        'BUCKET_KMS_KEY_ARN',
        'WEB_HOST_SUBNET_ID',
        'WEB_HOST_SECURITY_GROUP_IDS',
        'WEB_HOST_HTTP_CIDR',
        'WEB_HOST_SSM',
        'TF_STATE_BUCKET',
        'TF_STATE_REGION',
      ].sort(),
    );
  });

  it("is what the README's configuration table says, row for row", () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const table = section.slice(section.indexOf('| variable |'), section.indexOf('\n\n', section.indexOf('| variable |')));
    // On a difference: paste configurationTable()'s output over the README's table.
    expect(table).toBe(configurationTable());
  });

  it('reads STREAM_SHARDS=on-demand as on-demand capacity without a shard count', () => {
    const config = configFromEnv({ STREAM_SHARDS: 'on-demand' });
    expect([config.capacityMode, config.shardCount]).toEqual(['on-demand', undefined]);
  });

  it('treats empty variables as unset', () => {
    expect(configFromEnv({ BUCKET_NAME: '', STREAM_SHARDS: ' ', LOG_FORMAT: '' })).toEqual(configFromEnv({}));
  });

  it('fails for a shard count that is not a number, naming the variable', () => {
    expect(() => configFromEnv({ STREAM_SHARDS: 'two' })).toThrow(
      'STREAM_SHARDS must be a whole number of shards or "on-demand", got "two"',
    );
  });

  it('fails for a processor buffer that is not a number', () => {
    expect(() => configFromEnv({ PROCESSOR_BUFFER_MB: '1MB' })).toThrow('PROCESSOR_BUFFER_MB must be megabytes, e.g. 1 or 0.5, got "1MB"');
  });

  it('fails for an agent it cannot install, listing the two it can', () => {
    expect(() => configFromEnv({ AGENT: 'fluentd' })).toThrow('AGENT must be "nginx-log-agent" or "kinesis-agent", got "fluentd"');
  });

  it('fails for a stuck-agent alarm time that is not a number', () => {
    expect(() => configFromEnv({ NO_RECORDS_ALARM_MINUTES: '15m' })).toThrow(
      'NO_RECORDS_ALARM_MINUTES must be a whole number of minutes, got "15m"',
    );
  });

  it('fails for an on/off switch that is neither', () => {
    expect(() => configFromEnv({ CATALOG: 'yes' })).toThrow('CATALOG must be "on" or "off", got "yes"');
  });

  it('fails for an alarm address that is not an email address', () => {
    expect(() => configFromEnv({ ALARM_EMAIL: 'ops' })).toThrow(
      'ALARM_EMAIL must be an email address like ops@example.com, got "ops"',
    );
  });

  it('fails for a LocalStack endpoint that is not an http URL', () => {
    expect(() => configFromEnv({ LOCALSTACK_ENDPOINT: 'localhost:4566' })).toThrow(
      'LOCALSTACK_ENDPOINT must be an http(s) URL like http://localhost:4566, got "localhost:4566"',
    );
    expect(() => configFromEnv({ LOCALSTACK_ENDPOINT: 'not a url' })).toThrow(/must be a URL like/);
  });
});
