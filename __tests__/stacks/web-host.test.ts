import type { AgentAccess } from '../../stacks/agent-access';
import { renderAgentConfig } from '../../stacks/agent-config';
import { architectureOf, WebHost, WebHostProps, webHostUserData } from '../../stacks/web-host';
import { renderLogAgentConfig } from '../../stacks/agent-config';
import { logAgentUserData } from '../../stacks/log-agent-host';
import { resolveLogAgentConfig } from '../../pipeline/agent/config';
import { systemdUnit } from '../../pipeline/agent/systemd';
import { onlyResource, synth, testStack } from './construct-helpers';

const agentConfig = renderAgentConfig({ target: { kind: 'aws' }, region: 'ap-northeast-2', streamName: 'nginx-access-logs' });
// The host reads only the instance profile's name; a stand-in keeps this test off the IAM construct's inputs.
const agentAccess = { instanceProfile: { name: 'nginx-access-logs-agent' } } as unknown as AgentAccess;

function host(props: Partial<WebHostProps> = {}) {
  const stack = testStack();
  new WebHost(stack, 'web-host', { agentAccess, agentConfig, ...props });
  return synth(stack);
}

describe('WebHost', () => {
  it('runs with the agent instance profile', () => {
    expect(onlyResource(host(), 'aws_instance')).toMatchObject({ iam_instance_profile: 'nginx-access-logs-agent' });
  });

  it('boots the latest Amazon Linux 2023 for its architecture from the public SSM parameter', () => {
    const json = host();
    expect(Object.values(json.data?.aws_ssm_parameter ?? {})).toEqual([
      expect.objectContaining({ name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64' }),
    ]);
    expect(onlyResource(json, 'aws_instance').ami).toMatch(/^\$\{data\.aws_ssm_parameter\.[\w-]+\.value\}$/);
    const x86 = host({ instanceType: 'm7i.large' });
    expect(Object.values(x86.data?.aws_ssm_parameter ?? {})[0]).toMatchObject({
      name: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
    });
  });

  it('requires IMDSv2 and encrypts the root volume', () => {
    expect(onlyResource(host(), 'aws_instance')).toMatchObject({
      metadata_options: { http_tokens: 'required' },
      root_block_device: { encrypted: true },
    });
  });

  it('replaces the instance when agent.json changes', () => {
    expect(onlyResource(host(), 'aws_instance')).toMatchObject({ user_data_replace_on_change: true });
  });
});

describe('webHostUserData', () => {
  const script = webHostUserData(agentConfig);

  it('installs nginx and the Kinesis Agent and starts both', () => {
    expect(script).toMatch(/^#!\/bin\/bash\n/);
    expect(script).toContain('dnf install -y nginx aws-kinesis-agent acl');
    expect(script).toContain('systemctl enable --now nginx');
    expect(script).toContain('systemctl enable --now aws-kinesis-agent');
  });

  it('writes the generated agent.json verbatim', () => {
    const body = /<<'AGENT_JSON'\n([\s\S]*?)\nAGENT_JSON\n/.exec(script)?.[1];
    expect(JSON.parse(body ?? '')).toEqual(agentConfig);
  });

  it('makes the nginx log folder readable by the agent before nginx starts writing', () => {
    const chmod = script.indexOf('chmod 755 /var/log/nginx');
    expect(chmod).toBeGreaterThan(0);
    expect(script).toContain('setfacl -d -m u:aws-kinesis-agent-user:r /var/log/nginx');
    expect(chmod).toBeLessThan(script.indexOf('systemctl enable --now nginx'));
  });

  it('creates the agent group AL2023 lacks', () => {
    expect(script).toContain('getent group aws-kinesis-agent-user >/dev/null || groupadd -r aws-kinesis-agent-user');
  });

  it('contains no Terraform interpolation', () => {
    expect(script).not.toMatch(/\$\{|%\{/);
  });
});

describe('logAgentUserData (our agent)', () => {
  const config = renderLogAgentConfig({
    target: { kind: 'aws' },
    region: 'ap-northeast-2',
    streamName: 'nginx-access-logs',
    logFormat: '$remote_addr ${request_time} "%{x}"',
  });
  const script = logAgentUserData({ config, bundleBucket: 'logs-bucket', bundleKey: 'agent/nginx-log-agent-0123.js' });

  it('installs nginx and Node 22 from the AL2023 repositories, the bundle from S3, and starts both services', () => {
    expect(script).toMatch(/^#!\/bin\/bash\nset -euo pipefail\n/);
    expect(script).toContain('dnf install -y nginx nodejs22 acl');
    expect(script).toContain('aws s3 cp s3://logs-bucket/agent/nginx-log-agent-0123.js /opt/nginx-log-agent/nginx-log-agent.js');
    expect(script.indexOf('systemctl enable --now nginx\n')).toBeLessThan(script.indexOf('systemctl enable --now nginx-log-agent'));
  });

  it('writes the systemd unit built for Node 22, and a config the agent accepts, its ${…} escaped for Terraform', () => {
    expect(script).toContain(systemdUnit({ node: '/usr/bin/node-22' }).trimEnd());
    const body = /<<'AGENT_JSON'\n([\s\S]*?)\nAGENT_JSON\n/.exec(script)?.[1] ?? '';
    expect(body).toContain('$${request_time}');
    expect(body).toContain('%%{x}');
    const asTerraformWrites = JSON.parse(body.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{'));
    expect(asTerraformWrites).toEqual(config);
    expect(resolveLogAgentConfig(asTerraformWrites).logFormat).toBe('$remote_addr ${request_time} "%{x}"');
  });

  it('lets only the agent user read the logs, through ACLs that cover files logrotate creates later', () => {
    expect(script).toContain('useradd --system --no-create-home --shell /sbin/nologin nginx-log-agent');
    expect(script).toContain('setfacl -m u:nginx-log-agent:rx /var/log/nginx');
    expect(script).toContain('setfacl -d -m u:nginx-log-agent:r /var/log/nginx');
  });

  it('the LocalStack config points at the emulator and turns metrics off; the AWS one uses the agent namespace', () => {
    const local = renderLogAgentConfig({ target: { kind: 'localstack', endpoint: 'http://localhost:4566' }, region: 'r', streamName: 's' });
    expect(resolveLogAgentConfig(local)).toMatchObject({ kinesisEndpoint: 'http://localhost:4566', metrics: { enabled: false }, maxBufferAgeMillis: 1000 });
    expect(resolveLogAgentConfig(config).metrics).toMatchObject({ enabled: true, namespace: 'NginxLogAgent' });
  });
});

describe('architectureOf', () => {
  it.each([
    ['t4g.small', 'arm64'],
    ['c7gn.xlarge', 'arm64'],
    ['m7i.large', 'x86_64'],
    ['g5.xlarge', 'x86_64'],
  ])('%s is %s', (type, arch) => {
    expect(architectureOf(type)).toBe(arch);
  });

  it('fails for something that is not an instance type', () => {
    expect(() => architectureOf('small')).toThrow('web host instanceType must look like "t4g.small" or "m7i.large", got "small"');
  });
});

describe('WebHost networking', () => {
  const withRole = { ...agentAccess, role: { name: 'nginx-access-logs-agent' } } as unknown as AgentAccess;
  const networked = (props: Partial<WebHostProps> = {}) => {
    const stack = testStack();
    new WebHost(stack, 'web-host', { agentAccess: withRole, agentConfig, ...props });
    return synth(stack);
  };

  it('keeps a running host when a new Amazon Linux AMI is published (replace on purpose with -replace)', () => {
    expect(onlyResource(networked(), 'aws_instance')).toMatchObject({ lifecycle: { ignore_changes: ['ami'] } });
  });

  it('launches in the configured subnet with the configured groups, and admits nothing by default', () => {
    const json = networked({ subnetId: 'subnet-0123456789abcdef0', securityGroupIds: ['sg-0123456789abcdef0'] });
    expect(onlyResource(json, 'aws_instance')).toMatchObject({
      subnet_id: 'subnet-0123456789abcdef0',
      vpc_security_group_ids: ['sg-0123456789abcdef0'],
    });
    expect(json.resource?.aws_security_group).toBeUndefined();
    expect(json.resource?.aws_iam_role_policy_attachment).toBeUndefined();
  });

  it('admits HTTP from the configured CIDR through its own group in the subnet VPC, with HTTPS out only', () => {
    const json = networked({ subnetId: 'subnet-0123456789abcdef0', httpIngressCidr: '203.0.113.0/24' });
    const group = onlyResource(json, 'aws_security_group') as { vpc_id: string; ingress: unknown[]; egress: unknown[] };
    expect(group.vpc_id).toMatch(/^\$\{data\.aws_subnet\.[\w-]+\.vpc_id\}$/);
    expect(group.ingress).toEqual([
      expect.objectContaining({ from_port: 80, to_port: 80, protocol: 'tcp', cidr_blocks: ['203.0.113.0/24'], ipv6_cidr_blocks: [] }),
    ]);
    expect(group.egress).toEqual([expect.objectContaining({ from_port: 443, to_port: 443, protocol: 'tcp' })]);
    expect(onlyResource(json, 'aws_instance').vpc_security_group_ids).toEqual([
      expect.stringMatching(/^\$\{aws_security_group\.[\w-]+\.id\}$/),
    ]);
    const defaultVpc = networked({ httpIngressCidr: '2001:db8::/32' });
    expect(Object.values(defaultVpc.data?.aws_vpc ?? {})).toEqual([{ default: true }]);
    expect((onlyResource(defaultVpc, 'aws_security_group') as { ingress: unknown[] }).ingress).toEqual([
      expect.objectContaining({ cidr_blocks: [], ipv6_cidr_blocks: ['2001:db8::/32'] }),
    ]);
  });

  it('gives Session Manager access only when asked', () => {
    expect(onlyResource(networked({ ssmSessionManager: true }), 'aws_iam_role_policy_attachment')).toEqual({
      role: 'nginx-access-logs-agent',
      policy_arn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
    });
  });

  it('fails for a malformed subnet, security group or CIDR, naming the variable', () => {
    expect(() => networked({ subnetId: 'my-subnet' })).toThrow(/subnet must look like subnet-.*got "my-subnet" \(set WEB_HOST_SUBNET_ID\)/);
    expect(() => networked({ securityGroupIds: ['web'] })).toThrow(/got "web" \(set WEB_HOST_SECURITY_GROUP_IDS\)/);
    expect(() => networked({ httpIngressCidr: '10.0.0.0' })).toThrow(/got "10.0.0.0" \(set WEB_HOST_HTTP_CIDR\)/);
    expect(() => networked({ httpIngressCidr: '300.0.0.0/8' })).toThrow(/HTTP ingress must be a CIDR/);
  });
});
