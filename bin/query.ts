/**
 * `npm run query`: the stack's Athena named queries, or any SQL, over the delivered logs, run here by DuckDB with the
 * Glue table's columns, types and projected partition (`pipeline/query/query.ts`).
 *
 *   npm run query -- --list                                       the named queries
 *   npm run query -- --endpoint http://127.0.0.1:PORT top-uris    npm start --serve's S3 (or LocalStack, moto)
 *   npm run query -- --dir .tmp/s3 "SELECT status, count(*) FROM logs GROUP BY 1"
 *   npm run query -- --stack aws --bucket my-bucket requests-and-5xx-by-hour    AWS (the usual credential chain)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  checkSchema,
  collectObjects,
  describeQueries,
  formatTable,
  openBucketTable,
  resolveQuery,
  schemaProblems,
  TRINO_MACROS,
  type ObjectSource,
} from '../pipeline/query/query';
import { projectRoot, readCatalogConfig, readStackConfig } from '../pipeline/stack-config';
import { BUCKET_OPTIONS, bucketTarget } from './lib/bucket-target';

const USAGE = `usage: npm run query -- [--endpoint URL | --dir S3RVER_DIR] [--stack NAME] [--bucket B] [--region R]
                       [--json] [--list] [--check-schema] <named query | SQL>

  <named query>   one of the stack's Athena named queries (--list names them)
  <SQL>           any statement; the table is "logs", or its Glue name (e.g. nginx_access_logs.access_log)
  --endpoint URL  S3 endpoint (npm start --serve, LocalStack, moto); default AWS with the usual credentials
  --dir DIR       read an S3 emulator's (s3rver's) directory in place instead of through the S3 API
  --stack NAME    synthesized stack for the bucket and the table (default localstack; the table comes from the
                  aws stack when NAME has none)
  --json          print one JSON array of row objects instead of a table
  --check-schema  instead of a query: check that every value of every object reads back with its Glue column's
                  type (none turned into NULL) and that every JSON key is a column; exit 1 on a problem
Trino functions DuckDB lacks, provided as macros: ${TRINO_MACROS.map((m) => m.name).join(', ')}.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      ...BUCKET_OPTIONS,
      dir: { type: 'string' },
      json: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      'check-schema': { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  const root = projectRoot(__dirname);
  const catalog = readCatalogConfig({ projectDir: root, stack: values.stack });
  if (values.list) {
    process.stdout.write(`${describeQueries(catalog.queries)}\n`);
    return 0;
  }
  const checking = values['check-schema'];
  if (positionals.length !== (checking ? 0 : 1)) {
    process.stderr.write(`${USAGE}\n\ngive one named query or one SQL statement (quoted), got ${positionals.length} arguments\n`);
    return 2;
  }
  const sql = checking ? '' : resolveQuery(catalog, positionals[0]!).sql;
  if (values.dir !== undefined && values.endpoint !== undefined) throw new Error('give --dir or --endpoint, not both');

  const config = readStackConfig({ projectDir: root, stack: values.stack });
  const target = bucketTarget(config, values);
  const { bucket } = target;
  const s3 = values.dir === undefined ? target.client() : undefined;
  const downloadDir = s3 ? mkdtempSync(join(tmpdir(), 'nginx-query-')) : undefined;
  try {
    const source: ObjectSource = s3
      ? { kind: 's3', s3, bucket, downloadDir: downloadDir! }
      : { kind: 'directory', directory: values.dir!, bucket };
    if (checking) {
      const { objects } = await collectObjects(source, catalog.partition);
      const check = await checkSchema(catalog.columns, objects.map((o) => o.path));
      const problems = schemaProblems(check);
      process.stdout.write(
        `${check.lines} lines in ${objects.length} objects against ${catalog.columns.length} columns of ${catalog.database}.${catalog.table}: ` +
          `${problems.length === 0 ? 'every value reads back with its column type' : `\n  ${problems.join('\n  ')}`}\n`,
      );
      return problems.length === 0 ? 0 : 1;
    }
    const { table, outside } = await openBucketTable(catalog, source);
    try {
      const result = await table.query(sql);
      process.stdout.write(values.json ? `${JSON.stringify(result.rows)}\n` : `${formatTable(result)}\n`);
      const notes = [
        `${result.rows.length} row${result.rows.length === 1 ? '' : 's'} from ${table.objectCount} object${table.objectCount === 1 ? '' : 's'} of s3://${bucket}/${catalog.partition.keyTemplate}`,
        ...(outside.length > 0 ? [`${outside.length} object(s) under the prefix are outside the table's partitions (first: ${outside[0]!.key}: ${outside[0]!.reason})`] : []),
        ...table.skipped.map((s) => `skipped s3://${bucket}/${s.key}: ${s.reason}`),
      ];
      process.stderr.write(`${notes.join('\n')}\n`);
      return 0;
    } finally {
      table.close();
    }
  } finally {
    s3?.destroy();
    if (downloadDir) rmSync(downloadDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`query failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
