/**
 * A synthesized LocalStack stack shaped like `cdktf.out/stacks/localstack/cdk.tf.json` (Terraform JSON for
 * hashicorp/aws 5.100): only the resources and attributes the local pipeline reads, references as cdktf writes them.
 */
import { S3_LAYOUT } from '../../facts/s3-layout';

export interface FixtureOptions {
  readonly compression?: string;
  readonly bufferingSize?: number;
  readonly bufferingInterval?: number;
  readonly processorBufferMb?: string;
  readonly processorIntervalSeconds?: string;
  readonly retries?: string;
  readonly shardCount?: number;
  readonly onDemand?: boolean;
  readonly logFormat?: string;
  readonly prefix?: string;
  readonly errorPrefix?: string;
  readonly processor?: boolean;
}

export function stackFixture(o: FixtureOptions = {}): Record<string, unknown> {
  const parameters = [
    { parameter_name: 'LambdaArn', parameter_value: '${aws_lambda_function.parser_function_1A2B.arn}:$LATEST' },
    { parameter_name: 'BufferSizeInMBs', parameter_value: o.processorBufferMb ?? '1' },
    { parameter_name: 'BufferIntervalInSeconds', parameter_value: o.processorIntervalSeconds ?? '60' },
    { parameter_name: 'NumberOfRetries', parameter_value: o.retries ?? '3' },
  ];
  return {
    '//': { metadata: { stackName: 'localstack', version: '0.21.0' } },
    provider: { aws: [{ region: 'ap-northeast-2', access_key: 'test', secret_key: 'test' }] },
    terraform: { required_providers: { aws: { source: 'aws', version: '5.100.0' } } },
    resource: {
      aws_kinesis_stream: {
        stream_stream_C0FFEE: {
          name: 'nginx-access-logs',
          retention_period: 24,
          ...(o.onDemand ? { stream_mode_details: { stream_mode: 'ON_DEMAND' } } : { shard_count: o.shardCount ?? 1, stream_mode_details: { stream_mode: 'PROVISIONED' } }),
        },
      },
      aws_s3_bucket: { bucket_bucket_BEEF: { bucket: 'nginx-access-logs-s3', force_destroy: true } },
      aws_lambda_function: {
        parser_function_1A2B: {
          function_name: 'nginx-access-log-parser',
          handler: 'index.handler',
          runtime: 'nodejs20.x',
          ...(o.logFormat !== undefined ? { environment: { variables: { LOG_FORMAT: o.logFormat } } } : {}),
        },
      },
      aws_kinesis_firehose_delivery_stream: {
        delivery_stream_DEAD: {
          name: 'nginx-logs-to-s3',
          destination: 'extended_s3',
          kinesis_source_configuration: {
            kinesis_stream_arn: '${aws_kinesis_stream.stream_stream_C0FFEE.arn}',
            role_arn: '${aws_iam_role.delivery_role.arn}',
          },
          extended_s3_configuration: {
            bucket_arn: '${aws_s3_bucket.bucket_bucket_BEEF.arn}',
            role_arn: '${aws_iam_role.delivery_role.arn}',
            prefix: o.prefix ?? 'nginx/',
            error_output_prefix: o.errorPrefix ?? S3_LAYOUT.errorPrefix,
            buffering_size: o.bufferingSize ?? 5,
            buffering_interval: o.bufferingInterval ?? 60,
            compression_format: o.compression ?? 'UNCOMPRESSED',
            ...(o.processor === false
              ? {}
              : { processing_configuration: { enabled: true, processors: [{ type: 'Lambda', parameters }] } }),
          },
        },
      },
    },
  };
}
