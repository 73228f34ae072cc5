import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { formatTimestamp } from '../../facts/s3-layout';
import { AWS, LOCALSTACK, synthesized } from '../stacks/pipeline-helpers';

/**
 * `npm run query` as users run it: bin/query.ts built by esbuild into a project folder of its own (under the
 * repository, so node_modules resolves) holding both synthesized stacks and an S3 emulator directory.
 */
// Each test starts the CLI (node, the AWS SDK, DuckDB) one to three times.
jest.setTimeout(30_000);

describe('npm run query', () => {
  const ROOT = resolve(__dirname, '..', '..');
  const project = join(ROOT, '.tmp', `query-cli-test-${process.pid}`);
  const cli = join(project, 'dist', 'app', 'bin', 'query.js');
  const data = join(project, 's3');
  const bucket = 'nginx-access-logs-s3';
  const hour = formatTimestamp('yyyy/MM/dd/HH', Date.now());

  beforeAll(() => {
    for (const [name, target] of [['aws', AWS], ['localstack', LOCALSTACK]] as const) {
      mkdirSync(join(project, 'cdktf.out', 'stacks', name), { recursive: true });
      writeFileSync(join(project, 'cdktf.out', 'stacks', name, 'cdk.tf.json'), JSON.stringify(synthesized(target).doc));
    }
    writeFileSync(join(project, 'package.json'), '{}');
    writeFileSync(join(project, 'cdktf.json'), '{}');
    const object = join(data, bucket, 'nginx', hour, 'stream-1-x._S3rver_object');
    mkdirSync(dirname(object), { recursive: true });
    const row = (uri: string, status: number) => JSON.stringify({ host: '10.0.0.1', timestamp: '2026-05-01T00:00:00', uri, status, size: 10 });
    writeFileSync(object, `${row('/a', 200)}\n${row('/a', 500)}\n${row('/b', 200)}\n`);
    mkdirSync(join(data, 'empty-bucket'), { recursive: true });
    const misfit = join(data, 'misfit-bucket', 'nginx', hour, 'stream-1-y._S3rver_object');
    mkdirSync(dirname(misfit), { recursive: true });
    writeFileSync(misfit, `${row('/a', 200)}\n{"status":"abc","size":"0123"}\n`);
    buildSync({ entryPoints: [join(ROOT, 'bin', 'query.ts')], outfile: cli, bundle: true, packages: 'external', platform: 'node', target: 'node20', format: 'cjs', logLevel: 'silent' });
  }, 30_000);
  afterAll(() => rmSync(project, { recursive: true, force: true }));

  const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

  test('--list names the named queries', () => {
    const r = run('--list');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^requests-and-5xx-by-hour\s+Requests, 5xx responses/m);
    expect(r.stdout).toMatch(/^top-uris\s+/m);
  });

  test('a named query as a table, SQL as JSON', () => {
    const table = run('--dir', data, 'top-uris');
    expect(table.status).toBe(0);
    expect(table.stdout.split('\n').slice(0, 4)).toEqual([
      'uri  requests  bytes_sent  errors',
      '---  --------  ----------  ------',
      '/a          2          20       1',
      '/b          1          10       0',
    ]);
    expect(table.stderr).toMatch(/2 rows from 1 object of s3:\/\/nginx-access-logs-s3\/nginx\/\$\{datehour\}\//);
    const json = run('--dir', data, '--json', 'SELECT datehour, count(*) AS n FROM nginx_access_logs.access_log GROUP BY 1');
    expect(JSON.parse(json.stdout)).toEqual([{ datehour: hour, n: 3 }]);
  });

  test('an unknown named query, bad SQL and an empty prefix fail with what to do', () => {
    const unknown = run('--dir', data, 'top-url');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/no named query "top-url"; the stack defines: .*top-uris.* \(or pass SQL\)/);
    const bad = run('--dir', data, 'SELECT nope FROM logs');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/Binder Error[\s\S]*in query:\nSELECT nope FROM logs/);
    const empty = run('--dir', data, '--bucket', 'empty-bucket', 'top-uris');
    expect(empty.status).toBe(1);
    expect(empty.stderr).toMatch(/no objects under s3:\/\/empty-bucket\/nginx\/ .*nothing delivered yet/);
  });

  test('--check-schema proves the objects against the Glue types, or says which values would be NULL', () => {
    const ok = run('--dir', data, '--check-schema');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^3 lines in 1 objects against 12 columns of nginx_access_logs\.access_log: every value reads back/);
    const bad = run('--dir', data, '--bucket', 'misfit-bucket', '--check-schema');
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/status \(int\): 1 values of another JSON type, e\.g\. "abc"/);
    expect(bad.stdout).toMatch(/size \(bigint\): 1 values of another JSON type, e\.g\. "0123"/);
  });
});
