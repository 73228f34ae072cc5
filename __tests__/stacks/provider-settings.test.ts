import { LOCALSTACK_SERVICES, providerSettings } from '../../stacks/target';

describe('providerSettings', () => {
  it('gives AWS the region and nothing else: credentials come from the usual chain', () => {
    expect(providerSettings({ kind: 'aws' }, 'eu-west-1')).toEqual({ region: 'eu-west-1' });
  });

  it('points every service the stack uses at the LocalStack endpoint', () => {
    const settings = providerSettings({ kind: 'localstack', endpoint: 'http://127.0.0.1:4566' }, 'ap-northeast-2');
    expect(settings.endpoints).toEqual([
      Object.fromEntries(LOCALSTACK_SERVICES.map((service) => [service, 'http://127.0.0.1:4566'])),
    ]);
  });

  it('uses path-style S3, dummy credentials and the skip flags on LocalStack', () => {
    const { endpoints: _endpoints, ...rest } = providerSettings(
      { kind: 'localstack', endpoint: 'http://localhost:4566' },
      'ap-northeast-2',
    );
    expect(rest).toEqual({
      region: 'ap-northeast-2',
      accessKey: 'test',
      secretKey: 'test',
      s3UsePathStyle: true,
      skipCredentialsValidation: true,
      skipMetadataApiCheck: 'true',
    });
  });

  it('is pure: the same target and region give equal settings', () => {
    const local = { kind: 'localstack', endpoint: 'http://localhost:4566' } as const;
    expect(providerSettings(local, 'us-east-1')).toEqual(providerSettings(local, 'us-east-1'));
  });
});
