import { streamEncrypted } from '../../../stacks/policy/stream-encryption';

const ctx = { target: 'aws' as const };
const doc = (stream: Record<string, unknown>) => ({ resource: { aws_kinesis_stream: { s: stream } } });

describe('stream-encrypted', () => {
  it('passes a stream with KMS and the AWS-managed key', () => {
    expect(streamEncrypted.check(doc({ encryption_type: 'KMS', kms_key_id: 'alias/aws/kinesis' }), ctx)).toEqual([]);
  });

  it('reports a stream without encryption', () => {
    expect(streamEncrypted.check(doc({ name: 'x' }), ctx)).toEqual([
      { ruleId: 'stream-encrypted', address: 'aws_kinesis_stream.s', message: 'encryption_type must be "KMS", got none' },
    ]);
  });

  it('reports KMS without a key', () => {
    expect(streamEncrypted.check(doc({ encryption_type: 'KMS' }), ctx)[0]?.message).toMatch(/kms_key_id is empty/);
  });

  it('applies to the AWS target only', () => {
    expect(streamEncrypted.targets).toEqual(['aws']);
  });
});
