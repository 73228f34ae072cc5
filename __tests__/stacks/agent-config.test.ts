import { renderAgentConfig } from '../../stacks/agent-config';

describe('renderAgentConfig', () => {
  it('is the original agent.json made regional on AWS', () => {
    expect(renderAgentConfig({ target: { kind: 'aws' }, region: 'ap-northeast-2', streamName: 'nginx-access-logs' })).toEqual({
      'kinesis.endpoint': 'kinesis.ap-northeast-2.amazonaws.com',
      'kinesis.region': 'ap-northeast-2',
      'cloudwatch.emitMetrics': true,
      'cloudwatch.endpoint': 'monitoring.ap-northeast-2.amazonaws.com',
      flows: [
        {
          filePattern: '/var/log/nginx/access.log*',
          kinesisStream: 'nginx-access-logs',
          maxBufferAgeMillis: 60000,
          partitionKeyOption: 'RANDOM',
        },
      ],
    });
  });

  it('targets the emulator with dummy credentials and no metrics on LocalStack', () => {
    expect(
      renderAgentConfig({
        target: { kind: 'localstack', endpoint: 'http://localstack:4566' },
        region: 'us-east-1',
        streamName: 's',
      }),
    ).toEqual({
      'kinesis.endpoint': 'http://localstack:4566',
      'kinesis.region': 'us-east-1',
      'cloudwatch.emitMetrics': false,
      awsAccessKeyId: 'test',
      awsSecretAccessKey: 'test',
      flows: [{ filePattern: '/var/log/nginx/access.log*', kinesisStream: 's', maxBufferAgeMillis: 1000, partitionKeyOption: 'RANDOM' }],
    });
  });

  it('takes a buffer age and file pattern', () => {
    const [flow] = renderAgentConfig({
      target: { kind: 'aws' },
      region: 'us-east-1',
      streamName: 's',
      maxBufferAgeMillis: 5000,
      filePattern: '/srv/logs/access.log',
    }).flows;
    expect(flow).toMatchObject({ maxBufferAgeMillis: 5000, filePattern: '/srv/logs/access.log' });
  });

  it('fails for a buffer age outside the agent’s 1–900 s', () => {
    expect(() =>
      renderAgentConfig({ target: { kind: 'aws' }, region: 'us-east-1', streamName: 's', maxBufferAgeMillis: 500 }),
    ).toThrow('agent maxBufferAgeMillis must be 1000–900000 ms (Kinesis Agent limit), got 500');
  });
});
