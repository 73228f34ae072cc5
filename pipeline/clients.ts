/**
 * AWS SDK v3 clients for Kinesis and S3 that work both against AWS and against emulators.
 *
 * With an `endpoint` (the embedded Kinesis, s3rver, LocalStack, moto) the clients get the settings emulators need; without
 * one they are the SDK's plain defaults (credential chain, region endpoint, HTTP/2 for Kinesis).
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { EMULATOR_CREDENTIALS } from '../facts/emulator';

/** Options shared by {@link kinesisClient} and {@link s3Client}. */
export interface ClientOptions {
  /** Emulator or LocalStack URL, e.g. `http://127.0.0.1:4566`. @default - the AWS endpoint of `region` */
  readonly endpoint?: string;
  readonly region: string;
  /**
   * Attempts per call, the SDK's own retries included.
   *
   * @default - the SDK default (3); the shipper passes 1 because it retries itself, entry by entry
   */
  readonly maxAttempts?: number;
  /** Environment to look for credentials in. @default - process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A Kinesis client.
 *
 * The SDK's default HTTP/2 handler fails every call against the Kinesis emulators and moto with "Protocol error"; emulators
 * get an HTTP/1.1 `NodeHttpHandler` with keep-alive instead.
 */
export function kinesisClient(opts: ClientOptions): KinesisClient {
  return new KinesisClient(commonConfig(opts));
}

/**
 * An S3 client.
 *
 * Against emulators: path-style addressing (no bucket DNS), and checksums only when an operation requires them;
 * with the SDK's default (`WHEN_SUPPORTED`) streamed bodies are sent with aws-chunked framing, which s3rver stores
 * verbatim, corrupting the object.
 */
export function s3Client(opts: ClientOptions): S3Client {
  const common = commonConfig(opts);
  if (opts.endpoint === undefined) return new S3Client(common);
  return new S3Client({
    ...common,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Settings every client gets: the SDK's defaults without an endpoint; with one, what every emulator needs. */
function commonConfig(opts: ClientOptions): {
  region: string;
  maxAttempts?: number;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  requestHandler?: NodeHttpHandler;
} {
  if (opts.endpoint === undefined) return { region: opts.region, maxAttempts: opts.maxAttempts };
  return {
    region: opts.region,
    endpoint: opts.endpoint,
    maxAttempts: opts.maxAttempts,
    credentials: emulatorCredentials(opts.env ?? process.env),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 30_000 }),
  };
}

/**
 * The emulators' credentials unless the environment provides some (then the SDK's own chain finds them); used only
 * with an endpoint. A copy each time: the SDK tags the object it is given.
 */
function emulatorCredentials(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } | undefined {
  const hasEnvCredentials = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  const hasProfile = Boolean(env.AWS_PROFILE);
  return hasEnvCredentials || hasProfile ? undefined : { ...EMULATOR_CREDENTIALS };
}
