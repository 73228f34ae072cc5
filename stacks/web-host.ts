import { DataAwsSsmParameter } from '@cdktf/provider-aws/lib/data-aws-ssm-parameter';
import { DataAwsSubnet } from '@cdktf/provider-aws/lib/data-aws-subnet';
import { DataAwsVpc } from '@cdktf/provider-aws/lib/data-aws-vpc';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { isIP } from 'node:net';
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
  /** AWS's managed policy for the SSM Agent (Session Manager, no inbound port, no key pair). */
  ssmPolicyArn: 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
  httpPort: 80,
  /** The agent, Session Manager and dnf reach AWS endpoints and the AL2023 repositories over HTTPS only. */
  httpsPort: 443,
});

const NO_RULE_SOURCES = Object.freeze({ prefixListIds: [], securityGroups: [], selfAttribute: false });

/** Where the web host runs and who may reach it; everything off by default. */
export interface WebHostNetwork {
  /**
   * Subnet to launch in (`subnet-…`); required where the region or account has no default VPC.
   * @default - a default subnet of the default VPC
   */
  readonly subnetId?: string;
  /**
   * Security groups (`sg-…`) to attach, e.g. one admitting your load balancer.
   * @default - the VPC's default group (admits nothing from outside it) unless `httpIngressCidr` creates one
   */
  readonly securityGroupIds?: readonly string[];
  /**
   * An IPv4 or IPv6 CIDR admitted to nginx on port 80, through a security group created for the host (which also
   * allows HTTPS out, for the agent, Session Manager and dnf).
   * @default - no ingress
   */
  readonly httpIngressCidr?: string;
  /**
   * Attach AmazonSSMManagedInstanceCore to the host's role, so `aws ssm start-session` reaches it to debug the agent
   * without a key pair or an open port.
   * @default - false
   */
  readonly ssmSessionManager?: boolean;
}

/** Throws unless the network settings are well-formed IDs and a CIDR; unresolved tokens are skipped. */
export function checkWebHostNetwork(network: WebHostNetwork): void {
  const problems: string[] = [];
  const { subnetId, securityGroupIds = [], httpIngressCidr } = network;
  if (subnetId !== undefined && !Token.isUnresolved(subnetId) && !/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) {
    problems.push(`subnet must look like subnet-0123456789abcdef0, got "${subnetId}" (set WEB_HOST_SUBNET_ID)`);
  }
  for (const id of securityGroupIds) {
    if (!Token.isUnresolved(id) && !/^sg-[0-9a-f]{8,17}$/.test(id)) {
      problems.push(`security group must look like sg-0123456789abcdef0, got "${id}" (set WEB_HOST_SECURITY_GROUP_IDS)`);
    }
  }
  if (httpIngressCidr !== undefined && !Token.isUnresolved(httpIngressCidr) && cidrFamily(httpIngressCidr) === undefined) {
    problems.push(`HTTP ingress must be a CIDR like 203.0.113.0/24 or 2001:db8::/32, got "${httpIngressCidr}" (set WEB_HOST_HTTP_CIDR)`);
  }
  if (problems.length > 0) throw new Error(`web host ${problems.join('; ')}`);
}

/** "ipv4" or "ipv6" for a well-formed CIDR, undefined otherwise (the address checked by node:net). */
export function cidrFamily(cidr: string): 'ipv4' | 'ipv6' | undefined {
  const [address = '', bits = '', ...rest] = cidr.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0 || !/^\d{1,3}$/.test(bits)) return undefined;
  if (Number(bits) > (version === 4 ? 32 : 128)) return undefined;
  return version === 4 ? 'ipv4' : 'ipv6';
}

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

export interface WebHostProps extends WebHostNetwork {
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
  /** The group admitting `httpIngressCidr`, when one is given. */
  public readonly securityGroup?: SecurityGroup;

  constructor(scope: Construct, id: string, props: WebHostProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? WEB_HOST_DEFAULTS.instanceType;
    checkWebHostNetwork(props);
    const name = props.name ?? physicalNames().webHost;
    if (props.httpIngressCidr !== undefined) this.securityGroup = this.httpSecurityGroup(name, props);
    if (props.ssmSessionManager) {
      new IamRolePolicyAttachment(this, 'ssm-core', {
        role: props.agentAccess.role.name,
        policyArn: WEB_HOST_DEFAULTS.ssmPolicyArn,
      });
    }
    const securityGroupIds = [...(props.securityGroupIds ?? []), ...(this.securityGroup ? [this.securityGroup.id] : [])];
    const ami = new DataAwsSsmParameter(this, 'ami', {
      name: WEB_HOST_DEFAULTS.amiParameters[architectureOf(instanceType)],
    });

    this.instance = new Instance(this, 'instance', {
      ami: ami.value,
      instanceType,
      iamInstanceProfile: props.agentAccess.instanceProfile.name,
      subnetId: props.subnetId,
      vpcSecurityGroupIds: securityGroupIds.length === 0 ? undefined : securityGroupIds,
      userData: props.logAgent ? logAgentUserData(props.logAgent) : webHostUserData(props.agentConfig),
      // A changed agent.json must reach the host: replace it rather than keep a stale configuration.
      userDataReplaceOnChange: true,
      metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
      // An explicit size (the AL2023 AMI's 8 GiB): emulators cannot read it from the AMI's snapshot.
      rootBlockDevice: { encrypted: true, volumeType: 'gp3', volumeSize: 8 },
      tags: { Name: name },
      // The AMI parameter moves to each new Amazon Linux release; replacing a running host for it would lose the logs
      // not yet shipped and the agent's checkpoint. Replace on purpose with `terraform apply -replace=<address>`.
      lifecycle: { ignoreChanges: ['ami'] },
    });
  }

  /** HTTP in from one CIDR, HTTPS out; in the given subnet's VPC, or the default VPC. */
  private httpSecurityGroup(name: string, props: WebHostProps): SecurityGroup {
    const vpcId =
      props.subnetId === undefined
        ? new DataAwsVpc(this, 'default-vpc', { default: true }).id
        : new DataAwsSubnet(this, 'subnet', { id: props.subnetId }).vpcId;
    const cidr = props.httpIngressCidr as string;
    const family = cidrFamily(cidr);
    const { httpPort, httpsPort } = WEB_HOST_DEFAULTS;
    return new SecurityGroup(this, 'http', {
      name,
      description: `nginx on port ${httpPort} from ${cidr}; HTTPS out for the Kinesis Agent, SSM and dnf`,
      vpcId,
      // Inline rules list every attribute: in JSON configurations Terraform requires each one of these blocks' fields.
      ingress: [
        {
          ...NO_RULE_SOURCES,
          description: 'HTTP to nginx',
          fromPort: httpPort,
          toPort: httpPort,
          protocol: 'tcp',
          cidrBlocks: family === 'ipv4' ? [cidr] : [],
          ipv6CidrBlocks: family === 'ipv6' ? [cidr] : [],
        },
      ],
      egress: [
        {
          ...NO_RULE_SOURCES,
          description: 'HTTPS to AWS endpoints and the Amazon Linux repositories',
          fromPort: httpsPort,
          toPort: httpsPort,
          protocol: 'tcp',
          cidrBlocks: ['0.0.0.0/0'],
          ipv6CidrBlocks: ['::/0'],
        },
      ],
      tags: { Name: name },
    });
  }
}
