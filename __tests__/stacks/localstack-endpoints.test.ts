import { LOCALSTACK_SERVICES } from '../../stacks/target';
import { LOCALSTACK, synthesized } from './pipeline-helpers';

/**
 * The provider `endpoints` key each resource or data-source type prefix talks to. A type with no entry fails the
 * test below: add its service here and to LOCALSTACK_SERVICES, or the localstack stack would call real AWS.
 */
const SERVICE_OF_TYPE_PREFIX: ReadonlyArray<readonly [string, string | null]> = [
  ['aws_kinesis_firehose_', 'firehose'],
  ['aws_kinesis_', 'kinesis'],
  ['aws_s3_', 's3'],
  ['aws_lambda_', 'lambda'],
  ['aws_iam_policy_document', null], // rendered locally by the provider, no API call
  ['aws_iam_', 'iam'],
  ['aws_cloudwatch_log_', 'logs'],
  ['aws_cloudwatch_metric_alarm', 'cloudwatch'],
  ['aws_cloudwatch_dashboard', 'cloudwatch'],
  ['aws_region', null], // the provider's configured region, no API call
  ['aws_caller_identity', 'sts'],
  ['aws_glue_', 'glue'],
  ['aws_athena_', 'athena'],
  ['aws_sns_', 'sns'],
  ['aws_kms_', 'kms'],
  ['aws_instance', 'ec2'],
  ['aws_security_group', 'ec2'],
  ['aws_subnet', 'ec2'],
  ['aws_vpc', 'ec2'],
  ['aws_ami', 'ec2'],
  ['aws_ssm_', 'ssm'],
];

function serviceOf(type: string): string | null {
  const entry = SERVICE_OF_TYPE_PREFIX.find(([prefix]) => type.startsWith(prefix));
  if (entry === undefined) throw new Error(`no service known for ${type}: add it to SERVICE_OF_TYPE_PREFIX`);
  return entry[1];
}

/** The services the synthesized localstack stack talks to, from its resource and data-source types. */
function neededServices(): Set<string> {
  // Everything on, so the optional constructs' types are covered too.
  const { doc } = synthesized(LOCALSTACK, {
    catalog: true,
    alarmEmail: 'ops@example.com',
    webHost: true,
    webHostNetwork: { subnetId: 'subnet-0123456789abcdef0', httpIngressCidr: '203.0.113.0/24', ssmSessionManager: true },
    bucketKmsKeyArn: 'arn:aws:kms:ap-northeast-2:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  });
  const types = [...Object.keys(doc.resource), ...Object.keys(doc.data)];
  // The provider itself calls STS for the caller identity unless told to skip it.
  return new Set(['sts', ...types.map(serviceOf).filter((s): s is string => s !== null)]);
}

describe('LocalStack endpoints', () => {
  it('cover every service the synthesized resources and data sources use', () => {
    const needed = neededServices();
    expect([...needed].filter((service) => !(LOCALSTACK_SERVICES as readonly string[]).includes(service))).toEqual([]);
    const endpoints = synthesized(LOCALSTACK).doc.provider.aws![0]!.endpoints as Array<Record<string, string>>;
    for (const service of needed) expect(endpoints[0]).toHaveProperty(service, 'http://localhost:4566');
  });

  it('are derived from the types the stack really has', () => {
    expect([...neededServices()]).toEqual(expect.arrayContaining(['firehose', 'iam', 'kinesis', 'lambda', 'logs', 's3']));
  });

  it('fail loudly for a resource type with no known service', () => {
    expect(() => serviceOf('aws_dynamodb_table')).toThrow('no service known for aws_dynamodb_table');
  });
});
