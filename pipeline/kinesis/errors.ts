/**
 * Errors of the embedded Kinesis as Kinesis sends them: an HTTP status and a JSON body with `__type` (the SDK turns it
 * into the exception's `name`) and, usually, `message`.
 */

/** An error answer: thrown by the actions and validation, written by the server. */
export class KinesisError extends Error {
  /** The JSON body: `{"__type": …, "message": …}` (validation's SerializationException says `Message`). */
  readonly body: Record<string, string>;

  constructor(
    readonly type: string,
    message?: string,
    readonly statusCode = 400,
    messageKey: 'message' | 'Message' = 'message',
  ) {
    super(message ?? type);
    this.name = type;
    this.body = message === undefined ? { __type: type } : { __type: type, [messageKey]: message };
  }
}

/** `Stream NAME under account ACCOUNT not found.`: Kinesis's answer for a stream that does not exist (or is not ACTIVE). */
export function streamNotFound(name: string, account: string): KinesisError {
  return new KinesisError('ResourceNotFoundException', `Stream ${name} under account ${account} not found.`);
}

/** Kinesis's answer for a shard iterator it cannot decode. */
export function invalidShardIterator(): KinesisError {
  return new KinesisError('InvalidArgumentException', 'Invalid ShardIterator.');
}

/** What Kinesis answers when a shard's write limit (or here, the emulator's memory budget) is exceeded. */
export function rateExceeded(shardId: string, stream: string, account: string, why?: string): KinesisError {
  return new KinesisError(
    'ProvisionedThroughputExceededException',
    `Rate exceeded for shard ${shardId} in stream ${stream} under account ${account}.${why ? ` ${why}` : ''}`,
  );
}
