import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { Construct } from 'constructs';
import type { AgentAccess } from './agent-access';
import type { KinesisAgentConfig } from './agent-config';
import { physicalNames } from '../facts/names';
import { logAgentUserData, type LogAgentInstall } from './log-agent-host';

/** Web host defaults: a small Graviton instance on the latest Amazon Linux 2023, hardened. */
export const WEB_HOST_DEFAULTS = Object.freeze({
  /** 2 GiB: nginx plus the Kinesis Agent's JVM (up to 512 MB heap by default) with room to spare. */
  instanceType: 't4g.small',
  /** Public SSM parameters AWS keeps pointing at the newest Amazon Linux 2023 AMI, per architecture. */
  amiParameters: {
    arm64: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    x86_64: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  },
  agentUser: 'aws-kinesis-agent-user',
});

/** The CPU architecture of an EC2 instance type: Graviton families carry a "g" after the generation (t4g, m7g). */
export function architectureOf(instanceType: string): 'arm64' | 'x86_64' {
  const family = /^([a-z]+)(\d+)([a-z-]*)\./.exec(instanceType);
  if (family === null) {
    throw new Error(`web host instanceType must look like "t4g.small" or "m7i.large", got "${instanceType}"`);
  }
  return (family[3] ?? '').includes('g') ? 'arm64' : 'x86_64';
}

/**
 * The instance's user data: installs nginx and the Kinesis Agent, lets the agent read nginx's logs, writes agent.json.
 *
 * Pure, so it is tested as text. nginx on Amazon Linux 2023 logs in its stock `main` format, the parser's default.
 */
export function webHostUserData(agentConfig: KinesisAgentConfig): string {
  const user = WEB_HOST_DEFAULTS.agentUser;
  return [
    '#!/bin/bash',
    'set -euo pipefail',
    'dnf install -y nginx aws-kinesis-agent acl',
    '# The AL2023 package does not create the agent user\'s group, and the service fails without it',
    '# (awslabs/amazon-kinesis-agent#269).',
    `getent group ${user} >/dev/null || groupadd -r ${user}`,
    `usermod -a -G ${user} ${user}`,
    '# The original setup\'s chmod, least-privilege: the agent may list and read the log folder, and the default ACL keeps',
    '# files logrotate creates (mode 0640) readable by the agent too.',
    'chmod 755 /var/log/nginx',
    `setfacl -m u:${user}:rx /var/log/nginx`,
    `setfacl -d -m u:${user}:r /var/log/nginx`,
    "cat > /etc/aws-kinesis/agent.json <<'AGENT_JSON'",
    JSON.stringify(agentConfig, null, 2),
    'AGENT_JSON',
    'systemctl enable --now nginx',
    'systemctl enable --now aws-kinesis-agent',
    '',
  ].join('\n');
}

export interface WebHostProps {
  /** Gives the instance the agent's role (PutRecords on the stream only) through its instance profile. */
  readonly agentAccess: AgentAccess;
  /** The agent.json the instance runs with (the stack's AgentConfig for this target). */
  readonly agentConfig: KinesisAgentConfig;
  /**
   * Install our agent (many lines per record) instead of the Kinesis Agent.
   * @default - the Kinesis Agent with `agentConfig`
   */
  readonly logAgent?: LogAgentInstall;
  /** @default - "t4g.small" (Graviton, 2 GiB) */
  readonly instanceType?: string;
  /**
   * Subnet to launch in.
   * @default - a default subnet of the default VPC
   */
  readonly subnetId?: string;
  /**
   * Security groups; give one that admits HTTP from your clients to serve traffic.
   * @default - the VPC's default group, which admits nothing from outside it
   */
  readonly securityGroupIds?: readonly string[];
  /** @default - "nginx-access-logs-web" */
  readonly name?: string;
}

/**
 * The web host of the original setup: an Amazon Linux 2023 instance running nginx and the Kinesis Agent with the agent's role.
 *
 * Off by default in the stack. Hardened beyond the original: IMDSv2 only, encrypted root volume, no key pair and no
 * public ingress unless a security group is given (add a key pair or SSM access to log in). LocalStack synthesizes it
 * but boots nothing.
 */
export class WebHost extends Construct {
  public readonly instance: Instance;

  constructor(scope: Construct, id: string, props: WebHostProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? WEB_HOST_DEFAULTS.instanceType;
    const ami = new DataAwsSsmParameter(this, 'ami', {
      name: WEB_HOST_DEFAULTS.amiParameters[architectureOf(instanceType)],
    });

    this.instance = new Instance(this, 'instance', {
      ami: ami.value,
      instanceType,
      iamInstanceProfile: props.agentAccess.instanceProfile.name,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: props.securityGroupIds === undefined ? undefined : [...props.securityGroupIds],
      userData: props.logAgent ? logAgentUserData(props.logAgent) : webHostUserData(props.agentConfig),
      // A changed agent.json must reach the host: replace it rather than keep a stale configuration.
      userDataReplaceOnChange: true,
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
      // An explicit size (the AL2023 AMI's 8 GiB): emulators cannot read it from the AMI's snapshot.
      rootBlockDevice: { encrypted: true, volumeType: 'gp3', volumeSize: 8 },
      tags: { Name: props.name ?? physicalNames().webHost },
    });
  }
}
