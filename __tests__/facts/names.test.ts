import { accountWideNames, physicalNames } from '../../facts/names';
import { AWS, synthesized } from '../stacks/pipeline-helpers';

describe('accountWideNames', () => {
  it('ends every account-wide name in the region, so two regions of one account never share one', () => {
    const [a, b] = [accountWideNames('logs', 'eu-west-1'), accountWideNames('logs', 'ap-southeast-2')];
    expect(a).toEqual({
      parserRole: 'logs-parser-eu-west-1',
      firehoseRole: 'logs-to-s3-firehose-eu-west-1',
      agent: 'logs-agent-eu-west-1',
      dashboard: 'logs-eu-west-1',
    });
    const names = (n: typeof a) => new Set(Object.values(n));
    expect([...names(a)].filter((name) => names(b).has(name))).toEqual([]);
  });

  it('builds on the regional scheme of physicalNames', () => {
    const regional = physicalNames('logs');
    expect(accountWideNames('logs', 'eu-west-1').parserRole).toBe(`${regional.parserFunction}-eu-west-1`);
    expect(accountWideNames('logs', 'eu-west-1').agent).toBe(`${regional.agent}-eu-west-1`);
  });

  it('is what the stack names its IAM roles, policy, instance profile and dashboard', () => {
    const { doc } = synthesized(AWS, { namePrefix: 'logs', region: 'eu-west-1' });
    const named = (type: string) => Object.values(doc.resource[type] ?? {}).map((r) => r.name ?? r.dashboard_name);
    const expected = accountWideNames('logs', 'eu-west-1');
    expect(named('aws_iam_role').sort()).toEqual([expected.agent, expected.firehoseRole, expected.parserRole].sort());
    expect(named('aws_iam_policy')).toEqual([expected.agent]);
    expect(named('aws_iam_instance_profile')).toEqual([expected.agent]);
    expect(named('aws_cloudwatch_dashboard')).toEqual([expected.dashboard]);
  });
});
