import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { Construct } from 'constructs';
import { physicalNames } from '../facts/names';
import { AGENT_DEFAULTS, AGENT_METRICS_WILDCARD_REASON } from './defaults';
import { assumeRolePolicy } from './iam';
import type { LogStream } from './log-stream';
import { allowWildcardResource } from './policy/wildcard-reason';

/** The stream the agent may write and the names of its IAM objects. */
export interface AgentAccessProps {
  /** The stream the agent writes to; the only stream the policy names. */
  readonly stream: LogStream;
  /**
   * Name of the policy, the role and the instance profile (account-wide: the stack adds the region).
   * @default - "nginx-access-logs-agent"
   */
  readonly name?: string;
  /**
   * The only CloudWatch namespace the agent may publish metrics to.
   * @default - "AWSKinesisAgent", the namespace the agent uses
   */
  readonly metricsNamespace?: string;
  /**
   * The agent bundle's S3 object (our agent): the instance may read this one object to install it.
   * @default - no S3 access (the Kinesis Agent comes from the distribution's packages)
   */
  readonly bundleObjectArn?: string;
}

/**
 * What the Kinesis Agent on the web host may do: the original setup's policy, made least-privilege.
 *
 * Exactly the calls the agent makes: `kinesis:PutRecords` on the one stream (from the stream's write grant, with its
 * key when customer-managed) and `cloudwatch:PutMetricData` only into the agent's namespace. A managed policy, so
 * it can also be attached to a user or a role outside EC2; an EC2 role and instance profile carry it for the web host.
 */
export class AgentAccess extends Construct {
  public readonly policy: IamPolicy;
  public readonly role: IamRole;
  public readonly instanceProfile: IamInstanceProfile;

  constructor(scope: Construct, id: string, props: AgentAccessProps) {
    super(scope, id);
    const name = props.name ?? physicalNames().agent;
    const namespace = props.metricsNamespace ?? AGENT_DEFAULTS.metricsNamespace;

    const document = new DataAwsIamPolicyDocument(this, 'document', {
      statement: [
        // The Kinesis Agent's only Kinesis call (KinesisSender.java): no describe, no single PutRecord.
        ...props.stream.grantWrite(AGENT_DEFAULTS.kinesisActions),
        {
          sid: 'PutAgentMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          condition: [{ test: 'StringEquals', variable: 'cloudwatch:namespace', values: [namespace] }],
        },
        ...(props.bundleObjectArn === undefined
          ? []
          : [{ sid: 'ReadAgentBundle', actions: ['s3:GetObject'], resources: [props.bundleObjectArn] }]),
      ],
    });
    allowWildcardResource(document, 'PutAgentMetrics', AGENT_METRICS_WILDCARD_REASON);
    this.policy = new IamPolicy(this, 'policy', {
      name,
      description: `${props.bundleObjectArn === undefined ? 'Kinesis Agent' : 'nginx-log-agent'}: put nginx access-log records and ${namespace} metrics`,
      policy: document.json,
    });

    this.role = new IamRole(this, 'role', {
      name,
      assumeRolePolicy: assumeRolePolicy(this, 'assume-role', 'ec2.amazonaws.com'),
    });
    new IamRolePolicyAttachment(this, 'role-policy', { role: this.role.name, policyArn: this.policy.arn });
    this.instanceProfile = new IamInstanceProfile(this, 'instance-profile', { name, role: this.role.name });
  }
}
