import { TerraformOutput } from 'cdktf';
import { Construct } from 'constructs';
import { EMULATOR_CREDENTIALS } from '../facts/emulator';
import type { LogAgentConfig } from '../pipeline/agent/config';
import { AGENT_METRICS } from '../pipeline/agent/defaults';
import { AGENT_DEFAULTS } from './defaults';
import type { DeploymentTarget } from './target';
import { terraformLiteral } from '../facts/terraform-literal';

/** The Kinesis Agent's /etc/aws-kinesis/agent.json, as far as this pipeline sets it. */
export interface KinesisAgentConfig {
  readonly 'kinesis.endpoint': string;
  readonly 'kinesis.region': string;
  readonly 'cloudwatch.emitMetrics': boolean;
  readonly 'cloudwatch.endpoint'?: string;
  readonly awsAccessKeyId?: string;
  readonly awsSecretAccessKey?: string;
  readonly flows: ReadonlyArray<{
    readonly filePattern: string;
    readonly kinesisStream: string;
    readonly maxBufferAgeMillis: number;
    readonly partitionKeyOption: 'RANDOM';
  }>;
}

/** What the agent.json of a target is made from. */
export interface AgentConfigProps {
  readonly target: DeploymentTarget;
  readonly region: string;
  /** The stream name as a plain string: the output is literal JSON, readable without running terraform. */
  readonly streamName: string;
  /**
   * Files the agent tails; the trailing * follows logrotate's renamed files.
   * @default - "/var/log/nginx/access.log*"
   */
  readonly filePattern?: string;
  /**
   * How long the agent buffers lines before a PutRecords call.
   * @default - 60,000 ms (the agent's own default) on AWS, 1,000 ms on LocalStack for quick local feedback
   */
  readonly maxBufferAgeMillis?: number;
  /** The parser's `LOG_FORMAT`: our agent checks each line against it. @default - nginx `main` and `combined` */
  readonly logFormat?: string;
}

/** The nginx access log our agent tails (it follows rotation itself: no pattern needed). */
export const LOG_AGENT_FILE = '/var/log/nginx/access.log';

/**
 * Our agent's /etc/nginx-log-agent/config.json for a target: AWS's endpoints, the default credential chain and
 * metrics in the agent's namespace; on LocalStack the emulator endpoint, a 1 s flush age and no metrics. Lines are
 * checked against the same LOG_FORMAT the parser Lambda gets.
 */
export function renderLogAgentConfig(props: AgentConfigProps): LogAgentConfig {
  const base = {
    stream: props.streamName,
    region: props.region,
    files: [LOG_AGENT_FILE],
    ...(props.logFormat === undefined ? {} : { logFormat: props.logFormat }),
  };
  if (props.target.kind === 'localstack') {
    return {
      ...base,
      kinesisEndpoint: props.target.endpoint,
      maxBufferAgeMillis: props.maxBufferAgeMillis ?? AGENT_DEFAULTS.maxBufferAgeMillisLocal,
      metrics: { enabled: false },
    };
  }
  return {
    ...base,
    ...(props.maxBufferAgeMillis === undefined ? {} : { maxBufferAgeMillis: props.maxBufferAgeMillis }),
    metrics: { namespace: AGENT_METRICS.namespace },
  };
}

/**
 * The agent.json for a target: regional endpoints and CloudWatch metrics on AWS; the emulator endpoint, dummy
 * credentials and no metrics on LocalStack (the agent's SDK would otherwise send metrics to real CloudWatch).
 */
export function renderAgentConfig(props: AgentConfigProps): KinesisAgentConfig {
  const local = props.target.kind === 'localstack';
  const maxBufferAgeMillis =
    props.maxBufferAgeMillis ?? (local ? AGENT_DEFAULTS.maxBufferAgeMillisLocal : AGENT_DEFAULTS.maxBufferAgeMillisAws);
  if (!Number.isInteger(maxBufferAgeMillis) || maxBufferAgeMillis < 1_000 || maxBufferAgeMillis > 900_000) {
    throw new Error(`agent maxBufferAgeMillis must be 1000–900000 ms (Kinesis Agent limit), got ${maxBufferAgeMillis}`);
  }
  const flows = [
    {
      filePattern: props.filePattern ?? AGENT_DEFAULTS.filePattern,
      kinesisStream: props.streamName,
      maxBufferAgeMillis,
      partitionKeyOption: 'RANDOM' as const,
    },
  ];
  if (props.target.kind === 'localstack') {
    return {
      'kinesis.endpoint': props.target.endpoint,
      'kinesis.region': props.region,
      'cloudwatch.emitMetrics': false,
      awsAccessKeyId: EMULATOR_CREDENTIALS.accessKeyId,
      awsSecretAccessKey: EMULATOR_CREDENTIALS.secretAccessKey,
      flows,
    };
  }
  return {
    'kinesis.endpoint': `kinesis.${props.region}.amazonaws.com`,
    'kinesis.region': props.region,
    'cloudwatch.emitMetrics': true,
    // The agent's CloudWatch endpoint defaults to us-east-1; metrics belong next to the stream.
    'cloudwatch.endpoint': `monitoring.${props.region}.amazonaws.com`,
    flows,
  };
}

/** Publishes the target's agent.json as the Terraform output `agent_json` (`npm run agent-config -- <target>`). */
export class AgentConfig extends Construct {
  public readonly config: KinesisAgentConfig;
  public readonly output: TerraformOutput;
  /** Our agent's configuration, published as the output `nginx_log_agent_json`. */
  public readonly logAgentConfig: LogAgentConfig;
  public readonly logAgentOutput: TerraformOutput;

  constructor(scope: Construct, id: string, props: AgentConfigProps) {
    super(scope, id);
    this.config = renderAgentConfig(props);
    this.output = new TerraformOutput(this, 'agent_json', {
      value: JSON.stringify(this.config, null, 2),
      description: 'The Kinesis Agent configuration (/etc/aws-kinesis/agent.json) for this target',
    });
    this.output.overrideLogicalId('agent_json');
    this.logAgentConfig = renderLogAgentConfig(props);
    this.logAgentOutput = new TerraformOutput(this, 'nginx_log_agent_json', {
      // The log format is the user's string: Terraform must not read its ${…} and %{…} as templates.
      value: terraformLiteral(JSON.stringify(this.logAgentConfig, null, 2)),
      description: 'Our agent\'s configuration (/etc/nginx-log-agent/config.json) for this target',
    });
    this.logAgentOutput.overrideLogicalId('nginx_log_agent_json');
  }
}
