/**
 * `npm run verify`: reads the delivery bucket back (embedded S3, LocalStack, moto or AWS) and checks every object:
 * key layout, the output schema on every line, Firehose error records under the error prefix. Prints counts by
 * status and by hour; exits 1 on any problem or when nothing was delivered.
 *
 *   npm run verify -- --endpoint http://localhost:4566            LocalStack (names from the localstack stack)
 *   npm run verify -- --endpoint http://127.0.0.1:PORT            npm start --serve's S3
 *   npm run verify -- --stack aws --bucket my-bucket              AWS (credentials from the usual chain)
 */
import { parseArgs } from 'node:util';
import { projectRoot, readStackConfig } from '../pipeline/stack-config';
import { verifyBucket, type VerifyReport } from '../pipeline/verify';
import { BUCKET_OPTIONS, bucketTarget } from './lib/bucket-target';

const USAGE = `usage: npm run verify -- [--endpoint URL] [--stack NAME] [--bucket NAME] [--prefix P] [--error-prefix P]
                        [--region R] [--allow-empty]
Names come from cdktf.out/stacks/NAME/cdk.tf.json (default stack: localstack); flags override them.`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...BUCKET_OPTIONS,
      prefix: { type: 'string' },
      'error-prefix': { type: 'string' },
      'allow-empty': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const config = readStackConfig({ projectDir: projectRoot(__dirname), stack: values.stack });
  const target = bucketTarget(config, values);
  const { bucket } = target;
  const s3 = target.client();
  try {
    const report = await verifyBucket(s3, {
      bucket,
      prefix: values.prefix ?? config.delivery.prefix,
      errorOutputPrefix: values['error-prefix'] ?? config.delivery.errorOutputPrefix,
      deliveryStreamName: config.delivery.name,
    });
    process.stderr.write(describe(report, bucket));
    process.stdout.write(`${JSON.stringify({ bucket, ...report })}\n`);
    if (report.problemCount > 0) return 1;
    if (report.objects + report.errorObjects === 0 && !values['allow-empty']) {
      process.stderr.write(`no objects under s3://${bucket}/ yet: nothing delivered (use --allow-empty to accept that)\n`);
      return 1;
    }
    return 0;
  } finally {
    s3.destroy();
  }
}

function describe(r: VerifyReport, bucket: string): string {
  const table = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `    ${k.padEnd(14)} ${n}`)
      .join('\n');
  return [
    `s3://${bucket}: ${r.objects} objects, ${r.records} records; ${r.errorObjects} error objects, ${r.errorRecords} failed records; ${r.bytes} bytes`,
    '  by status:',
    table(r.byStatus),
    '  by hour (log timestamp, UTC):',
    table(r.byHour),
    '  objects by key hour (arrival, UTC):',
    table(r.byKeyHour),
    ...(r.errorObjects > 0 ? ['  error objects by type:', table(r.byErrorType)] : []),
    r.problemCount === 0 ? '  no problems' : `  ${r.problemCount} problems:\n${r.problems.map((p) => `    ${p}`).join('\n')}`,
    '',
  ].join('\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`verify failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
