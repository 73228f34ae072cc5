import type { AwsProviderConfig } from '@cdktf/provider-aws/lib/provider';
import { EMULATOR_CREDENTIALS } from '../facts/emulator';

/** Where a stack deploys: real AWS, or a LocalStack (or any AWS emulator) answering on one endpoint. */
export type DeploymentTarget =
  | { readonly kind: 'aws' }
  | { readonly kind: 'localstack'; readonly endpoint: string };

/**
 * The provider `endpoints` keys of every AWS service the stack talks to.
 *
 * `sts` is the provider's own identity call. A synth test derives the needed services from the synthesized resource
 * types, so a construct that adds a service without adding it here fails the suite instead of reaching real AWS.
 */
export const LOCALSTACK_SERVICES = Object.freeze([
  'athena',
  'cloudwatch',
  'ec2',
  'firehose',
  'glue',
  'iam',
  'kinesis',
  'lambda',
  'logs',
  's3',
  'sns',
  'ssm',
  'sts',
] as const);

/**
 * The AWS provider settings for a target: pure, so it is unit tested without synthesizing.
 *
 * AWS gets only the region (credentials come from the usual chain). LocalStack gets an endpoint for every service,
 * path-style S3 (no DNS for bucket subdomains), dummy credentials and the skip flags for calls an emulator
 * does not answer like AWS (credential validation, EC2 metadata). The account id is still looked up (STS
 * GetCallerIdentity, which LocalStack and moto answer): without it the provider builds ARNs with an empty account,
 * e.g. for the Athena workgroup's tags, and the emulator finds no such resource.
 */
export function providerSettings(target: DeploymentTarget, region: string): AwsProviderConfig {
  if (target.kind === 'aws') return { region };
  const endpoints = Object.fromEntries(LOCALSTACK_SERVICES.map((service) => [service, target.endpoint]));
  return {
    region,
    accessKey: EMULATOR_CREDENTIALS.accessKeyId,
    secretKey: EMULATOR_CREDENTIALS.secretAccessKey,
    s3UsePathStyle: true,
    skipCredentialsValidation: true,
    skipMetadataApiCheck: 'true',
    endpoints: [endpoints],
  };
}
