import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { TerraformStack, Testing } from 'cdktf';
import { LogBucket } from '../../stacks/log-bucket';
import { LogStream } from '../../stacks/log-stream';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const stack = () => new TerraformStack(Testing.app(), 'grants');
interface Statement {
  sid: string;
  actions: string[];
  resources: string[];
  condition?: Array<{ test: string; variable: string; values: string[] }>;
}
/** The statements as synthesized: the grants put in a policy document of their stack. */
const resolve = (scope: TerraformStack, statement: DataAwsIamPolicyDocumentStatement[]): Statement[] => {
  new DataAwsIamPolicyDocument(scope, `doc-${scope.node.children.length}`, { statement });
  const doc = JSON.parse(Testing.synth(scope)) as { data: { aws_iam_policy_document: Record<string, { statement: Statement[] }> } };
  return Object.values(doc.data.aws_iam_policy_document).at(-1)!.statement;
};
const STREAM_ARN = expect.stringMatching(/^\$\{aws_kinesis_stream\.[\w-]+\.arn\}$/);

describe('LogStream grants', () => {
  it('read: the four calls Firehose makes on a Kinesis source, on the stream only', () => {
    const s = stack();
    const stream = new LogStream(s, 'stream');
    expect(resolve(s, stream.grantRead())).toEqual([
      {
        sid: 'ReadLogStream',
        actions: ['kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
        resources: [STREAM_ARN],
      },
    ]);
  });

  it('write: only the calls asked for; a customer-managed key adds GenerateDataKey via Kinesis in the region', () => {
    const s = stack();
    const stream = new LogStream(s, 'stream', { kmsKeyId: KEY });
    const [write, key] = resolve(s, stream.grantWrite(['kinesis:PutRecords']));
    expect(write).toMatchObject({ actions: ['kinesis:PutRecords'] });
    expect(key).toEqual({
      sid: 'EncryptLogStream',
      actions: ['kms:GenerateDataKey'],
      resources: [KEY],
      condition: [
        {
          test: 'StringEquals',
          variable: 'kms:ViaService',
          values: [expect.stringMatching(/^kinesis\.\$\{data\.aws_region\.[\w-]+\.name\}\.amazonaws\.com$/)],
        },
      ],
    });
    expect(() => stream.grantWrite(['kinesis:DeleteStream'])).toThrow(/grantWrite takes kinesis:PutRecord or kinesis:PutRecords, got kinesis:DeleteStream/);
  });

  it('needs no key statement with the AWS-managed key, and refuses a key it cannot name', () => {
    const s = stack();
    expect(new LogStream(s, 'stream').grantRead()).toHaveLength(1);
    expect(() => new LogStream(stack(), 'stream', { kmsKeyId: 'alias/logs' })).toThrow(
      'stream kmsKeyId must be alias/aws/kinesis or a KMS key ARN (the grants name the key), got "alias/logs"',
    );
  });
});

describe('LogBucket grants', () => {
  it('read: list and get under a prefix, decrypt with the bucket key via S3 for this bucket only', () => {
    const s = stack();
    const bucket = new LogBucket(s, 'bucket', { kmsKeyArn: KEY });
    const statements = resolve(s, bucket.grantRead('errors/'));
    expect(statements.map((x) => [x.sid, x.actions, x.resources])).toEqual([
      ['ListLogBucket', ['s3:ListBucket'], [expect.stringMatching(/^\$\{aws_s3_bucket\.[\w-]+\.arn\}$/)]],
      ['ReadLogObjects', ['s3:GetObject'], [expect.stringMatching(/^\$\{aws_s3_bucket\.[\w-]+\.arn\}\/errors\/\*$/)]],
      ['DecryptWithBucketKey', ['kms:Decrypt'], [KEY]],
    ]);
    expect(statements[0]!.condition).toEqual([{ test: 'StringLike', variable: 's3:prefix', values: ['errors/*'] }]);
    expect(statements[2]!.condition).toContainEqual(
      expect.objectContaining({ variable: 'kms:EncryptionContext:aws:s3:arn', values: [statements[0]!.resources![0]] }),
    );
  });

  it('write without a bucket key holds no KMS statement', () => {
    const s = stack();
    expect(resolve(s, new LogBucket(s, 'bucket').grantWrite()).map((x) => x.sid)).toEqual(['WriteLogBucket']);
  });
});
