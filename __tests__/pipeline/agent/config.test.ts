import { AGGREGATION_DEFAULTS } from '../../../pipeline/agent/aggregator';
import { checkpointPath, describeProblem } from '../../../pipeline/agent/agent';
import { resolveLogAgentConfig } from '../../../pipeline/agent/config';
import { AGENT_METRICS, AGENT_PATHS } from '../../../pipeline/agent/defaults';
import { systemdUnit } from '../../../pipeline/agent/systemd';

describe('resolveLogAgentConfig', () => {
  it('applies the defaults: aggregated records, checkpoints under /var/lib, metrics in the agent namespace', () => {
    const c = resolveLogAgentConfig({ stream: 's', region: 'ap-northeast-2', files: ['/var/log/nginx/access.log'] });
    expect(c).toEqual({
      stream: 's',
      region: 'ap-northeast-2',
      kinesisEndpoint: undefined,
      files: ['/var/log/nginx/access.log'],
      logFormat: undefined,
      oneLinePerRecord: false,
      maxRecordBytes: AGGREGATION_DEFAULTS.maxRecordBytes,
      maxBufferAgeMillis: AGGREGATION_DEFAULTS.maxBufferAgeMillis,
      initialPosition: 'START_OF_FILE',
      checkpointDirectory: '/var/lib/nginx-log-agent',
      metrics: { enabled: true, namespace: AGENT_METRICS.namespace, endpoint: undefined, intervalSeconds: 60 },
    });
    expect(AGENT_PATHS.stateDirectory).toBe('/var/lib/nginx-log-agent');
  });

  it('lists every problem at once, each with what it expected and what it got', () => {
    expect(() =>
      resolveLogAgentConfig({ stream: '', region: 'r', files: ['relative.log'], maxRecordBytes: 2 ** 21, initialPosition: 'LATEST' }, '/etc/x.json'),
    ).toThrow(
      [
        '/etc/x.json is not a valid nginx-log-agent configuration:',
        '  "stream" must be a non-empty string, got ""',
        '  "files" must be a non-empty list of absolute paths, got ["relative.log"]',
        '  "initialPosition" must be "START_OF_FILE" or "END_OF_FILE", got "LATEST"',
        '  "maxRecordBytes" must be a whole number 1–1048560, got 2097152',
      ].join('\n'),
    );
    expect(() => resolveLogAgentConfig([])).toThrow(/expected a JSON object, got \[\]/);
  });
});

describe('the agent on a host', () => {
  it('keeps one checkpoint per log file in the state directory', () => {
    const a = checkpointPath('/var/lib/nginx-log-agent', '/var/log/nginx/access.log');
    expect(a).toMatch(/^\/var\/lib\/nginx-log-agent\/access\.log-[0-9a-f]{12}\.json$/);
    expect(checkpointPath('/var/lib/nginx-log-agent', '/srv/access.log')).not.toBe(a);
  });

  it('names the file and the permission when it may not read a log', () => {
    const err = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', path: '/var/log/nginx/access.log' });
    expect(describeProblem('/var/log/nginx/access.log', err)).toMatch(
      /^cannot read \/var\/log\/nginx\/access\.log: permission denied \(EACCES\); the agent runs as .+ and needs read permission/,
    );
  });

  it('systemd runs the bundle as its own user with a state directory, stops it with SIGTERM and restarts it', () => {
    const unit = systemdUnit();
    expect(unit).toContain('ExecStart=/usr/bin/node /opt/nginx-log-agent/nginx-log-agent.js --config /etc/nginx-log-agent/config.json\n');
    expect(unit).toContain('User=nginx-log-agent\n');
    expect(unit).toContain('StateDirectory=nginx-log-agent\n');
    expect(unit).toContain('KillSignal=SIGTERM\n');
    expect(unit).toContain('Restart=always\n');
    expect(systemdUnit({ node: '/usr/bin/node-20' })).toContain('ExecStart=/usr/bin/node-20 ');
  });
});
