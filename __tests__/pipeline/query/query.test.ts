import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NGINX_MAIN_FORMAT } from '../../../functions/nginx-parser/log-format';
import { s3Client } from '../../../pipeline/clients';
import { startS3, type S3Emulator } from '../../../pipeline/emulators';
import { formatTimestamp } from '../../../facts/s3-layout';
import {
  formatTable,
  openBucketTable,
  partitionOfKey,
  QueryError,
  resolveQuery,
  type BucketTable,
  type ObjectSource,
} from '../../../pipeline/query/query';
import { parseCatalogConfig, readCatalogConfig, type CatalogConfig } from '../../../pipeline/stack-config';
import { AWS, LOCALSTACK, synthesized } from '../../stacks/pipeline-helpers';
import { makeCorpus, ndjson, type CorpusObject, type Row } from './corpus';

const BUCKET = 'query-test-bucket';
const FORMAT = `${NGINX_MAIN_FORMAT} $request_time`;
// The real synthesized aws stack, with $request_time in the format so that every named query exists.
const catalog: CatalogConfig = parseCatalogConfig(synthesized(AWS, { logFormat: FORMAT }).doc);

const now = Date.now();
const corpus = makeCorpus(now);
const inTable = corpus.filter((o) => o.datehour !== undefined);
const since = formatTimestamp('yyyy/MM/dd/HH', now - 24 * 3_600_000);
/** Rows the named queries see: in the table and within their last 24 h, with their partition. */
const recent: (Row & { datehour: string })[] = inTable
  .filter((o) => o.datehour! >= since)
  .flatMap((o) => o.rows.map((r) => ({ ...r, datehour: o.datehour! })));

function countBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
  return m;
}

describe('the table from the synthesized stack', () => {
  test('columns, types, partition projection and named queries come from the Glue resources', () => {
    expect(catalog.database).toBe('nginx_access_logs');
    expect(catalog.table).toBe('access_log');
    expect(catalog.columns.slice(0, 6)).toEqual([
      { name: 'host', type: 'string' },
      { name: 'timestamp', type: 'string' },
      { name: 'request', type: 'string' },
      { name: 'uri', type: 'string' },
      { name: 'status', type: 'int' },
      { name: 'size', type: 'bigint' },
    ]);
    expect(catalog.columns.at(-1)).toEqual({ name: 'request_time', type: 'double' });
    expect(catalog.partition).toEqual({ name: 'datehour', format: 'yyyy/MM/dd/HH', rangeStart: '2026/01/01/00', keyTemplate: 'nginx/${datehour}/' });
    expect(catalog.queries.map((q) => q.name).sort()).toEqual(['requests-and-5xx-by-hour', 'slowest-requests', 'top-client-addresses', 'top-uris']);
    // References to the database and table are resolved to their names.
    expect(catalog.queries.every((q) => q.sql.includes('FROM nginx_access_logs.access_log'))).toBe(true);
  });

  test("keys map to partitions as the projection's storage.location.template does", () => {
    const p = catalog.partition;
    const at = Date.UTC(2026, 4, 1, 13);
    expect(partitionOfKey('nginx/2026/05/01/13/stream-1-2026-05-01-13-00-00-x.gz', p, at)).toEqual({ value: '2026/05/01/13' });
    expect(partitionOfKey('nginx/2026/05/01/14/x', p, at)).toMatchObject({ outside: expect.stringMatching(/future/) });
    expect(partitionOfKey('nginx/2025/12/31/23/x', p, at)).toMatchObject({ outside: expect.stringMatching(/before the projection's range/) });
    expect(partitionOfKey('nginx/2026/02/30/10/x', p, at)).toMatchObject({ outside: expect.stringMatching(/not a yyyy\/MM\/dd\/HH date/) });
    expect(partitionOfKey('nginx/2026/05/01/13/_SUCCESS', p, at)).toMatchObject({ outside: expect.stringMatching(/hidden/) });
    expect(partitionOfKey('nginx/2026/05/01/13/a/b', p, at)).toMatchObject({ outside: expect.any(String) });
    expect(partitionOfKey('errors/2026/05/01/13/x', p, at)).toMatchObject({ outside: expect.any(String) });
  });

  test("the localstack stack has no catalog by default: the aws stack's is read; neither is an error", () => {
    const project = mkdtempSync(join(tmpdir(), 'catalog-'));
    const write = (stack: string, doc: unknown): void => {
      mkdirSync(join(project, 'cdktf.out', 'stacks', stack), { recursive: true });
      writeFileSync(join(project, 'cdktf.out', 'stacks', stack, 'cdk.tf.json'), JSON.stringify(doc));
    };
    try {
      write('localstack', synthesized(LOCALSTACK).doc);
      expect(() => readCatalogConfig({ projectDir: project })).toThrow(/no aws_glue_catalog_table in .*localstack.* or .*aws.*: run `npm run synth`/);
      write('aws', synthesized(AWS).doc);
      expect(readCatalogConfig({ projectDir: project }).source).toMatch(/stacks\/aws\/cdk\.tf\.json$/);
      write('localstack', synthesized(LOCALSTACK, { catalog: true }).doc);
      expect(readCatalogConfig({ projectDir: project }).source).toMatch(/stacks\/localstack\/cdk\.tf\.json$/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  test('an unknown named query lists the known ones; text with spaces is SQL', () => {
    expect(() => resolveQuery(catalog, 'top-url')).toThrow(/no named query "top-url"; the stack defines: .*top-uris/);
    expect(resolveQuery(catalog, 'top-uris').sql).toMatch(/GROUP BY uri/);
    expect(resolveQuery(catalog, 'SELECT 1')).toEqual({ sql: 'SELECT 1' });
  });
});

describe.each(['plain', 'gzip'] as const)('queries over %s objects', (compression) => {
  let s3: S3Emulator;
  let downloads: string;
  const tables: Record<'directory' | 's3', BucketTable | undefined> = { directory: undefined, s3: undefined };
  const client = { current: undefined as ReturnType<typeof s3Client> | undefined };

  beforeAll(async () => {
    s3 = await startS3({ buckets: [BUCKET] });
    downloads = mkdtempSync(join(tmpdir(), 'query-test-'));
    client.current = s3Client({ endpoint: s3.endpoint, region: 'us-east-1' });
    const put = (o: CorpusObject): Promise<unknown> => {
      const text = Buffer.from(ndjson(o.rows));
      const body = compression === 'gzip' ? gzipSync(text) : text;
      return client.current!.send(new PutObjectCommand({ Bucket: BUCKET, Key: compression === 'gzip' ? `${o.key}.gz` : o.key, Body: body }));
    };
    await Promise.all(corpus.map(put));
    tables.directory = await openBucketTable(catalog, { kind: 'directory', directory: s3.directory, bucket: BUCKET });
    const viaApi: ObjectSource = { kind: 's3', s3: client.current, bucket: BUCKET, downloadDir: downloads };
    tables.s3 = await openBucketTable(catalog, viaApi);
  }, 30_000);

  afterAll(async () => {
    tables.directory?.table.close();
    tables.s3?.table.close();
    client.current?.destroy();
    await s3?.stop();
    rmSync(downloads, { recursive: true, force: true });
  });

  const sources = ['directory', 's3'] as const;
  const run = async (source: (typeof sources)[number], nameOrSql: string) => tables[source]!.table.query(resolveQuery(catalog, nameOrSql).sql);

  test.each(sources)('reads only the objects in projected partitions (%s)', async (source) => {
    const t = tables[source]!;
    expect(t.table.objectCount).toBe(inTable.length);
    expect(t.outside.map((o) => o.key.replace(/\.gz$/, '')).sort()).toEqual(corpus.filter((o) => !o.datehour).map((o) => o.key).sort());
    const all = await run(source, 'SELECT count(*) AS n, count(DISTINCT datehour) AS hours FROM logs');
    expect(all.rows).toEqual([{ n: inTable.reduce((s, o) => s + o.rows.length, 0), hours: new Set(inTable.map((o) => o.datehour)).size }]);
  });

  test.each(sources)('requests-and-5xx-by-hour (%s)', async (source) => {
    const expected = [...countBy(recent, (r) => r.datehour)]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([datehour, rows]) => {
        const errors = rows.filter((r) => r.status >= 500).length;
        return { datehour, requests: rows.length, errors_5xx: errors, pct_5xx: Math.round((10_000 * errors) / rows.length) / 100 };
      });
    const got = await run(source, 'requests-and-5xx-by-hour');
    expect(got.columns).toEqual(['datehour', 'requests', 'errors_5xx', 'pct_5xx']);
    expect(got.rows.map((r) => ({ ...r, pct_5xx: Number(r.pct_5xx) }))).toEqual(expected);
    expect(expected.length).toBe(3);
  });

  test.each(sources)('top-uris (%s)', async (source) => {
    const expected = [...countBy(recent, (r) => r.uri)].map(([uri, rows]) => ({
      uri,
      requests: rows.length,
      bytes_sent: rows.reduce((s, r) => s + (r.size ?? 0), 0),
      errors: rows.filter((r) => r.status >= 400).length,
    }));
    const got = await run(source, 'top-uris');
    const requests = got.rows.map((r) => r.requests as number);
    expect(requests).toEqual([...requests].sort((a, b) => b - a));
    expect([...got.rows].sort((a, b) => String(a.uri).localeCompare(String(b.uri)))).toEqual(expected.sort((a, b) => a.uri.localeCompare(b.uri)));
  });

  test.each(sources)('top-client-addresses (%s)', async (source) => {
    const expected = [...countBy(recent, (r) => r.host)].map(([host, rows]) => ({
      host,
      requests: rows.length,
      errors: rows.filter((r) => r.status >= 400).length,
      distinct_uris: new Set(rows.map((r) => r.uri)).size,
    }));
    const got = await run(source, 'top-client-addresses');
    expect([...got.rows].sort((a, b) => String(a.host).localeCompare(String(b.host)))).toEqual(expected.sort((a, b) => a.host.localeCompare(b.host)));
  });

  test.each(sources)('slowest-requests (%s)', async (source) => {
    const expected = [...recent]
      .sort((a, b) => b.request_time - a.request_time)
      .slice(0, 50)
      .map((r) => ({ timestamp: r.timestamp, host: r.host, verb: r.verb, uri: r.uri, status: r.status, request_time: r.request_time }));
    expect((await run(source, 'slowest-requests')).rows).toEqual(expected);
  });

  test('the table answers to its Glue name, with the catalog, and to "logs"', async () => {
    const count = async (from: string): Promise<unknown> => (await run('directory', `SELECT count(*) AS n FROM ${from}`)).rows[0]!.n;
    const n = await count('logs');
    expect(await count('nginx_access_logs.access_log')).toBe(n);
    expect(await count('awsdatacatalog.nginx_access_logs.access_log')).toBe(n);
    expect(await count('access_log')).toBe(n);
  });

  test('Trino functions DuckDB lacks work as macros, and integers divide as in Trino', async () => {
    const r = await run(
      'directory',
      "SELECT date_format(from_iso8601_timestamp('2026-05-01T13:04:05'), '%Y/%m/%d/%H:%M:%S') AS f, " +
        "date_parse('2026/05/01 13', '%Y/%m/%d %H') AS p, 7 / 2 AS q, approx_percentile(x, 0.5) AS m, approx_distinct(x) AS d " +
        'FROM (VALUES (1), (2), (2), (9)) t(x)',
    );
    expect(r.rows).toEqual([{ f: '2026/05/01/13:04:05', p: '2026-05-01 13:00:00', q: 3, m: 2, d: 3 }]);
  });

  test("SQL errors are DuckDB's message with the query", async () => {
    const err = await run('directory', 'SELECT nope FROM logs').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryError);
    expect((err as Error).message).toMatch(/nope[\s\S]*in query:\nSELECT nope FROM logs/);
  });

  test('prints an aligned table', async () => {
    const text = formatTable(await run('directory', 'SELECT datehour, count(*) AS requests FROM logs GROUP BY 1 ORDER BY 1'));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^datehour\s+requests$/);
    expect(lines).toHaveLength(2 + 4);
  });
});

describe('objects the table cannot read', () => {
  let s3: S3Emulator;
  beforeAll(async () => {
    s3 = await startS3({ buckets: [BUCKET] });
  });
  afterAll(() => s3?.stop());

  test('a truncated or corrupt GZIP object, or a line that is not JSON, is reported by key and skipped', async () => {
    const client = s3Client({ endpoint: s3.endpoint, region: 'us-east-1' });
    const hour = formatTimestamp('yyyy/MM/dd/HH', now);
    const rows = makeCorpus(now, { hours: 1, perObject: 500 })[0]!.rows;
    const good = gzipSync(ndjson(rows));
    const objects: Record<string, Buffer> = {
      [`nginx/${hour}/good.gz`]: good,
      [`nginx/${hour}/truncated.gz`]: good.subarray(0, Math.floor(good.length / 2)),
      [`nginx/${hour}/garbage.gz`]: Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not gzip at all')]),
      [`nginx/${hour}/not-json`]: Buffer.from('{"host":"1.2.3.4"}\nthis is not JSON\n'),
    };
    for (const [Key, Body] of Object.entries(objects)) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    client.destroy();
    const { table } = await openBucketTable(catalog, { kind: 'directory', directory: s3.directory, bucket: BUCKET });
    try {
      const r = await table.query('SELECT count(*) AS n FROM logs');
      expect(r.rows).toEqual([{ n: rows.length }]);
      expect(table.skipped.map((s) => s.key).sort()).toEqual([`nginx/${hour}/garbage.gz`, `nginx/${hour}/not-json`, `nginx/${hour}/truncated.gz`]);
      for (const s of table.skipped) expect(s.reason).not.toContain(s3.directory);
    } finally {
      table.close();
    }
  });

  test("a filter on datehour skips other partitions' objects unread, as Athena's projection does", async () => {
    const other = await startS3({ buckets: [BUCKET] });
    const client = s3Client({ endpoint: other.endpoint, region: 'us-east-1' });
    const hour = formatTimestamp('yyyy/MM/dd/HH', now);
    const old = formatTimestamp('yyyy/MM/dd/HH', now - 48 * 3_600_000);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `nginx/${hour}/new`, Body: ndjson(makeCorpus(now)[0]!.rows) }));
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `nginx/${old}/broken`, Body: 'not JSON\n' }));
    client.destroy();
    const { table } = await openBucketTable(catalog, { kind: 'directory', directory: other.directory, bucket: BUCKET });
    try {
      await table.query(`SELECT count(*) FROM logs WHERE datehour >= '${hour}'`);
      expect(table.skipped).toEqual([]);
      await table.query('SELECT count(*) FROM logs');
      expect(table.skipped.map((s) => s.key)).toEqual([`nginx/${old}/broken`]);
    } finally {
      table.close();
      await other.stop();
    }
  });

  test('an empty or missing prefix is an error that says so', async () => {
    await expect(openBucketTable(catalog, { kind: 'directory', directory: s3.directory, bucket: 'no-such-bucket' })).rejects.toThrow(
      /bucket no-such-bucket is not in the S3 emulator's directory/,
    );
    const other = await startS3({ buckets: ['empty'] });
    try {
      await expect(openBucketTable(catalog, { kind: 'directory', directory: other.directory, bucket: 'empty' })).rejects.toThrow(
        /no objects under s3:\/\/empty\/nginx\/ .*nothing delivered yet/,
      );
    } finally {
      await other.stop();
    }
  });
});
