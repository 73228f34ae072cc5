import { S3Object } from '@cdktf/provider-aws/lib/s3-object';
import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { AGENT_NAME } from '../pipeline/agent/defaults';
import type { LogBucket } from './log-bucket';

/** Where the agent bundle is uploaded. */
export interface AgentBundleProps {
  /** The bucket that holds the bundle (the log bucket: no second bucket to secure). */
  readonly bucket: LogBucket;
  /** The built bundle, `dist/agent/nginx-log-agent.js` from `npm run build`. */
  readonly bundlePath: string;
  /** @default - "agent/" */
  readonly keyPrefix?: string;
}

/**
 * Our agent's bundle as an S3 object the web host downloads at boot. The key carries the bundle's hash, so a new
 * build is a new object, which changes the user data and replaces the host with one running the new agent.
 */
export class AgentBundle extends Construct {
  public readonly object: S3Object;
  public readonly bucketName: string;
  public readonly key: string;
  /** The object's ARN: the only object the web host's role may read. */
  public readonly objectArn: string;

  constructor(scope: Construct, id: string, props: AgentBundleProps) {
    super(scope, id);
    if (!existsSync(props.bundlePath)) {
      throw new Error(`agent bundle ${props.bundlePath} does not exist: run \`npm run build\` first (it writes dist/agent/)`);
    }
    const hash = createHash('sha256').update(readFileSync(props.bundlePath)).digest('hex').slice(0, 16);
    this.key = `${props.keyPrefix ?? 'agent/'}${AGENT_NAME}-${hash}.js`;
    const asset = new TerraformAsset(this, 'bundle', { path: props.bundlePath, type: AssetType.FILE });
    this.object = new S3Object(this, 'object', {
      bucket: props.bucket.bucketName,
      key: this.key,
      source: asset.path,
      contentType: 'application/javascript',
    });
    this.bucketName = props.bucket.bucketName;
    this.objectArn = `${props.bucket.bucketArn}/${this.key}`;
  }
}
