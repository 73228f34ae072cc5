import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AssetType, TerraformAsset, Token } from 'cdktf';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileLogFormat } from '../functions/nginx-parser/log-format';
import { resolveLogFormat } from '../functions/nginx-parser/presets';
import { FIREHOSE_LIMITS } from '../facts/aws-limits';
import { physicalNames } from '../facts/names';
import { terraformLiteral } from '../facts/terraform-literal';
import { FUNCTION_DEFAULTS, LOG_DEFAULTS } from './defaults';
import { zipDirectory } from './bundle-archive';
import { assumeRolePolicy } from './iam';
import { checkRange } from './validate';

/** Where the parser bundle is and how the function runs. */
export interface ParserFunctionProps {
  /**
   * Directory holding the esbuild bundle `index.js` (`npm run bundle` writes dist/nginx-parser); its files are
   * zipped reproducibly and deployed as a TerraformAsset.
   */
  readonly bundleDir: string;
  /**
   * The function's name; its log group is /aws/lambda/<name>.
   * @default - "nginx-access-logs-parser"
   */
  readonly functionName?: string;
  /**
   * The nginx `log_format` the access log is written in, or a preset name (`main`, `combined`, `ingress-nginx`,
   * `json`); the function gets the format string as LOG_FORMAT. Compiled at synth, so a format the parser cannot
   * split unambiguously fails here rather than in production.
   * @default - nginx's stock `main` format (combined plus "$http_x_forwarded_for"), the original setup's lines
   */
  readonly logFormat?: string;
  /**
   * Name of the function's execution role; IAM names are account-wide, so the stack adds the region.
   * @default - the function's name
   */
  readonly roleName?: string;
  /**
   * Memory (and proportional CPU) in MB.
   * @default - 256 MB: a 1 MB Firehose batch and its JSON output fit many times over
   */
  readonly memorySizeMB?: number;
  /**
   * Invocation timeout; Firehose gives up on a transformation after 5 minutes.
   * @default - 120 seconds
   */
  readonly timeoutSeconds?: number;
  /**
   * Days the function's log group keeps logs.
   * @default - 14 days
   */
  readonly logRetentionDays?: number;
}

/** The Firehose transformation Lambda that turns nginx lines into JSON, with its log group and a minimal role. */
export class ParserFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly functionArn: string;
  public readonly functionName: string;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly role: IamRole;

  constructor(scope: Construct, id: string, props: ParserFunctionProps) {
    super(scope, id);
    const functionName = props.functionName ?? physicalNames().parserFunction;
    const given = props.logFormat;
    const timeoutSeconds = props.timeoutSeconds ?? FUNCTION_DEFAULTS.timeoutSeconds;
    const memorySizeMB = props.memorySizeMB ?? FUNCTION_DEFAULTS.memorySizeMB;
    checkRange('parser timeoutSeconds', timeoutSeconds, {
      min: FUNCTION_DEFAULTS.timeoutMinSeconds,
      max: FIREHOSE_LIMITS.lambdaTimeoutMaxSeconds - 1,
      unit: 'seconds',
      why: 'room for a cold start on a full batch, and under the 5 minutes Firehose waits for a transformation',
      integer: true,
    });
    checkRange('parser memorySizeMB', memorySizeMB, {
      min: 128,
      max: 10240,
      unit: 'MB',
      why: 'Lambda memory limits',
      integer: true,
    });
    let logFormat = given ?? '';
    if (given === undefined || !Token.isUnresolved(given)) {
      try {
        logFormat = resolveLogFormat(given);
        compileLogFormat(logFormat);
      } catch (error) {
        throw new Error(`parser logFormat is not usable: ${(error as Error).message} (set LOG_FORMAT)`, { cause: error });
      }
    }
    if (!existsSync(join(props.bundleDir, 'index.js'))) {
      throw new Error(
        `parser bundle not found: ${join(props.bundleDir, 'index.js')} is missing. Run \`npm run bundle\` first.`,
      );
    }

    this.logGroup = new CloudwatchLogGroup(this, 'log-group', {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.logRetentionDays ?? LOG_DEFAULTS.retentionDays,
    });

    this.role = new IamRole(this, 'role', {
      name: props.roleName ?? functionName,
      assumeRolePolicy: assumeRolePolicy(this, 'assume-role', 'lambda.amazonaws.com'),
    });
    const writeOwnLogs = new DataAwsIamPolicyDocument(this, 'write-own-logs', {
      statement: [
        {
          sid: 'WriteOwnLogGroup',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${this.logGroup.arn}:*`],
        },
      ],
    });
    const rolePolicy = new IamRolePolicy(this, 'role-policy', {
      name: 'write-own-logs',
      role: this.role.id,
      policy: writeOwnLogs.json,
    });

    // A reproducible zip: the same bundle gives the same source_code_hash, so unchanged code never redeploys.
    const zip = zipDirectory(props.bundleDir);
    const sha256 = createHash('sha256').update(zip).digest();
    const zipFile = join(tmpdir(), 'nginx-parser-bundles', `${sha256.toString('hex')}.zip`);
    if (!existsSync(zipFile)) {
      mkdirSync(join(tmpdir(), 'nginx-parser-bundles'), { recursive: true });
      writeFileSync(zipFile, zip);
    }
    const bundle = new TerraformAsset(this, 'bundle', { path: zipFile, type: AssetType.FILE });
    this.function = new LambdaFunction(this, 'function', {
      functionName,
      description: 'Parses nginx access-log lines from Firehose into JSON',
      role: this.role.arn,
      runtime: FUNCTION_DEFAULTS.runtime,
      handler: FUNCTION_DEFAULTS.handler,
      architectures: [FUNCTION_DEFAULTS.architecture],
      memorySize: memorySizeMB,
      timeout: timeoutSeconds,
      filename: bundle.path,
      sourceCodeHash: sha256.toString('base64'),
      // Escaped: nginx's ${var} syntax would otherwise be a Terraform reference ("Invalid reference" at plan). A token
      // is Terraform's own expression and stays as it is.
      environment: { variables: { LOG_FORMAT: Token.isUnresolved(logFormat) ? logFormat : terraformLiteral(logFormat) } },
      // The log group (with its retention) and the role's permission must exist before the first invocation.
      dependsOn: [this.logGroup, rolePolicy],
    });
    this.functionArn = this.function.arn;
    this.functionName = this.function.functionName;
  }

  /**
   * The IAM statements a caller such as Firehose needs to invoke the function: the unqualified ARN and its versions
   * and aliases (`<arn>:*`), so a processor ARN edited to `:$LATEST` or a version in the console keeps working.
   */
  grantInvoke(): DataAwsIamPolicyDocumentStatement[] {
    return [
      {
        sid: 'InvokeParser',
        actions: ['lambda:InvokeFunction', 'lambda:GetFunctionConfiguration'],
        resources: [this.functionArn, `${this.functionArn}:*`],
      },
    ];
  }
}
