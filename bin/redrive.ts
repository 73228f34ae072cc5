/**
 * `npm run redrive`: re-parses the records under the error prefix with the current LOG_FORMAT and delivers what now
 * parses into the main prefix (`pipeline/query/redrive.ts`); what still fails stays. Safe to interrupt and to rerun.
 *
 *   LOG_FORMAT='…' npm run redrive -- --endpoint http://127.0.0.1:PORT     npm start --serve's S3 (or LocalStack, moto)
 *   npm run redrive -- --stack aws --bucket my-bucket                      AWS (the usual credential chain)
 */
import { parseArgs } from 'node:util';
import { resolveLogFormat } from '../functions/nginx-parser/presets';
import { redrive } from '../pipeline/query/redrive';
import { projectRoot, readStackConfig } from '../pipeline/stack-config';
import { BUCKET_OPTIONS, bucketTarget } from './lib/bucket-target';

const USAGE = `usage: npm run redrive -- [--endpoint URL] [--stack NAME] [--bucket B] [--from PREFIX] [--to PREFIX]
                         [--log-format FORMAT] [--region R]

  --from PREFIX       where the error objects are (default: the stack's error prefix)
  --to PREFIX         where parsed lines go, in Firehose's key layout (default: the stack's prefix)
  --log-format FMT    a preset (main, combined, ingress-nginx, json) or nginx log_format to parse with
                      (default: the stack's LOG_FORMAT, i.e. the one synthesized)
  --raw               re-parse the source-record backup (RAW_BACKUP=on; default --from: its prefix) into --to, a
                      new prefix (the backup is kept; its lines are already under the main prefix once)
Every other name (bucket, delivery stream, compression) comes from the synthesized stack NAME
(cdktf.out/stacks/NAME/cdk.tf.json, or under CDKTF_OUTDIR; default stack: localstack).`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      ...BUCKET_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      'log-format': { type: 'string' },
      raw: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const config = readStackConfig({ projectDir: projectRoot(__dirname), stack: values.stack });
  const target = bucketTarget(config, values);
  const { bucket } = target;
  const raw = values.raw;
  const from = values.from ?? (raw ? config.delivery.backup?.prefix : config.delivery.errorOutputPrefix);
  if (from === undefined) throw new Error(`the ${values.stack} stack has no source-record backup (RAW_BACKUP=on): pass --from PREFIX`);
  const to = values.to ?? (raw ? undefined : config.delivery.prefix);
  if (raw && (to === undefined || to === config.delivery.prefix)) {
    throw new Error(
      `--raw re-parses every line of the backup, and each is already under ${config.delivery.prefix} once: pass --to NEW_PREFIX ` +
        '(e.g. --to nginx-v2/) and point the table at it, or delete what it replaces first',
    );
  }
  if (from === '' || to === '') throw new Error('the error prefix and the main prefix must not be empty (pass --from and --to)');
  const s3 = target.client();
  try {
    const report = await redrive({
      s3,
      bucket,
      from,
      to: to!,
      deliveryStreamName: config.delivery.name,
      compressionFormat: config.delivery.compressionFormat,
      fileExtension: config.delivery.fileExtension,
      logFormat: values['log-format'] === undefined ? config.lambda?.logFormat : resolveLogFormat(values['log-format']),
      source: raw ? 'raw' : 'errors',
      onObject: (o) =>
        process.stderr.write(
          `${o.result.padEnd(9)} s3://${bucket}/${o.key}: ${o.reason ?? `${o.delivered} of ${o.records} records delivered${o.written ? ` → ${o.written}` : ''}, ${o.stillFailing} still failing`}\n`,
        ),
    });
    process.stderr.write(
      `${report.objects.length} error objects under s3://${bucket}/${from}: ${report.delivered} records delivered to ${to}, ` +
        `${report.stillFailing} still failing, ${report.refused} objects refused\n`,
    );
    process.stdout.write(`${JSON.stringify({ bucket, from, to, ...report, objects: report.objects.length })}\n`);
    return report.refused > 0 ? 1 : 0;
  } finally {
    s3.destroy();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`redrive failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
