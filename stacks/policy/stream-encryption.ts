import { PolicyRule, resourcesOfType, TerraformDocument, Violation } from './types';

const RULE_ID = 'stream-encrypted';

function check(doc: TerraformDocument): Violation[] {
  return resourcesOfType(doc, 'aws_kinesis_stream').flatMap(([address, stream]): Violation[] => {
    if (stream.encryption_type !== 'KMS') {
      const got = stream.encryption_type === undefined ? 'none' : JSON.stringify(stream.encryption_type);
      return [{ ruleId: RULE_ID, address, message: `encryption_type must be "KMS", got ${got}` }];
    }
    if (typeof stream.kms_key_id !== 'string' || stream.kms_key_id === '') {
      return [{ ruleId: RULE_ID, address, message: 'encryption_type is KMS but kms_key_id is empty: use alias/aws/kinesis or a key ARN' }];
    }
    return [];
  });
}

/** Every Kinesis data stream on AWS uses server-side encryption with KMS (cdk-nag KinesisDataStreamSSE). */
export const streamEncrypted: PolicyRule = {
  id: RULE_ID,
  summary: 'Kinesis data streams use KMS server-side encryption',
  targets: ['aws'],
  check,
};
