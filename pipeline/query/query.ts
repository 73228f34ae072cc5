/**
 * Athena's view of the delivered logs, on this machine: DuckDB over the NDJSON objects (plain or GZIP) of the main
 * prefix, with the Glue table's columns and types and its projected partition column, and the stack's named queries.
 *
 * Everything about the table comes from the synthesized stack (`readCatalogConfig`): the columns with their Hive
 * types, the projection's format, range and `storage.location.template`. An object belongs to the table when its key
 * is `template` with a projected value and a file name, exactly the objects Athena reads for that partition; its
 * partition value comes from its key. Objects are read in place from the embedded S3's directory or downloaded
 * through the S3 API (`collectObjects`).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { S3Client } from '@aws-sdk/client-s3';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listStoredObjects } from '../emulators';
import type { CatalogConfig, NamedQuery, PartitionProjection } from '../stack-config';
import { getObject, listKeys } from '../verify';

/** An object of the bucket as a file on this machine. */
export interface LocalObject {
  readonly key: string;
  readonly path: string;
}

/** An object of the table: the file and the partition value its key gives. */
export interface TableObject extends LocalObject {
  readonly partition: string;
}

/** An object under the table's location that was not read, and why. */
export interface SkippedObject {
  readonly key: string;
  readonly reason: string;
}

/**
 * Trino functions the named queries (or people used to Athena) call and DuckDB lacks, as DuckDB macros. Kept small:
 * each one is Trino's meaning in DuckDB's words, and the README lists them.
 */
export const TRINO_MACROS: readonly { readonly name: string; readonly sql: string; readonly note: string }[] = [
  {
    name: 'date_format',
    // DuckDB's strftime takes its format only as a constant, so Trino's MySQL specifiers cannot be rewritten inside
    // the macro: %Y %m %d %H (what the named queries use) mean the same in both; minutes are %M here, %i in Trino.
    sql: 'CREATE MACRO date_format(ts, fmt) AS strftime(CAST(ts AS TIMESTAMP), fmt)',
    note: '%Y %m %d %H and %S mean the same as in Trino; minutes are %M (Trino: %i)',
  },
  {
    name: 'date_parse',
    sql: 'CREATE MACRO date_parse(str, fmt) AS strptime(str, fmt)',
    note: 'the same specifiers as date_format',
  },
  {
    name: 'from_iso8601_timestamp',
    sql: 'CREATE MACRO from_iso8601_timestamp(str) AS CAST(str AS TIMESTAMPTZ)',
    note: 'a value without an offset is UTC, the session zone',
  },
  {
    name: 'approx_distinct',
    sql: 'CREATE MACRO approx_distinct(x) AS count(DISTINCT x)',
    note: "exact: Athena's estimate has a 2.3 % standard error",
  },
  {
    name: 'approx_percentile',
    sql: 'CREATE MACRO approx_percentile(x, p) AS quantile_disc(x, p)',
    note: 'exact, one percentile (not an array of them)',
  },
];

/** Hive type names of Glue columns → DuckDB types. */
export function duckdbType(hive: string): string {
  const t = hive.trim().toLowerCase();
  const array = /^array<(.+)>$/.exec(t);
  if (array) return `${duckdbType(array[1]!)}[]`;
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (decimal) return `DECIMAL(${decimal[1]}, ${decimal[2]})`;
  const simple: Record<string, string> = {
    string: 'VARCHAR',
    varchar: 'VARCHAR',
    char: 'VARCHAR',
    tinyint: 'TINYINT',
    smallint: 'SMALLINT',
    int: 'INTEGER',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    float: 'FLOAT',
    double: 'DOUBLE',
    boolean: 'BOOLEAN',
    date: 'DATE',
    timestamp: 'TIMESTAMP',
  };
  const out = simple[t];
  if (out === undefined) {
    throw new Error(`Glue column type "${hive}" has no DuckDB counterpart here; supported: ${Object.keys(simple).join(', ')}, array<…>, decimal(p,s)`);
  }
  return out;
}

const JAVA_DATE_FIELDS: Readonly<Record<string, { re: string; part: 'y' | 'M' | 'd' | 'H' | 'm' | 's' }>> = {
  yyyy: { re: '\\d{4}', part: 'y' },
  MM: { re: '\\d{2}', part: 'M' },
  dd: { re: '\\d{2}', part: 'd' },
  HH: { re: '\\d{2}', part: 'H' },
  mm: { re: '\\d{2}', part: 'm' },
  ss: { re: '\\d{2}', part: 's' },
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Parses a projected date value (`2026/05/01/13` for `yyyy/MM/dd/HH`) into epoch ms (UTC), or undefined when the
 * value does not have the format or is no real date: the values Athena's date projection would generate.
 */
export function parseProjectedDate(value: string, format: string): number | undefined {
  const order: ('y' | 'M' | 'd' | 'H' | 'm' | 's')[] = [];
  const source = format.replace(/yyyy|MM|dd|HH|mm|ss|[^]/g, (token) => {
    const field = JAVA_DATE_FIELDS[token];
    if (!field) return escapeRegExp(token);
    order.push(field.part);
    return `(${field.re})`;
  });
  const m = new RegExp(`^${source}$`).exec(value);
  if (!m) return undefined;
  const f = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0 };
  order.forEach((part, i) => (f[part] = Number(m[i + 1])));
  const ms = Date.UTC(f.y, f.M - 1, f.d, f.H, f.m, f.s);
  const d = new Date(ms);
  const real = d.getUTCFullYear() === f.y && d.getUTCMonth() === f.M - 1 && d.getUTCDate() === f.d && f.H < 24 && f.m < 60 && f.s < 60;
  return real ? ms : undefined;
}

/** The static part of the key template: the prefix to list. */
export function listingPrefix(partition: PartitionProjection): string {
  return partition.keyTemplate.slice(0, partition.keyTemplate.indexOf('${'));
}

/**
 * Which partition a key belongs to, as Athena's projection sees it: the template with a value of the projection's
 * format, then a file name (no deeper folders; names starting with `_` or `.` are hidden, as in Hive), and a value
 * in the projection's range (from its start up to now). Returns the value, or why the key is not part of the table.
 */
export function partitionOfKey(
  key: string,
  partition: PartitionProjection,
  now: number = Date.now(),
): { value: string } | { outside: string } {
  const marker = `\${${partition.name}}`;
  const [before, after = ''] = partition.keyTemplate.split(marker);
  const valueRe = partition.format.replace(/yyyy|MM|dd|HH|mm|ss|[^]/g, (t) => JAVA_DATE_FIELDS[t]?.re ?? escapeRegExp(t));
  const m = new RegExp(`^${escapeRegExp(before!)}(${valueRe})${escapeRegExp(after)}([^/]+)$`).exec(key);
  if (!m) return { outside: `not ${partition.keyTemplate}<file>` };
  if (/^[_.]/.test(m[2]!)) return { outside: 'a hidden file (name starts with _ or .)' };
  const value = m[1]!;
  const ms = parseProjectedDate(value, partition.format);
  if (ms === undefined) return { outside: `"${value}" is not a ${partition.format} date` };
  const start = parseProjectedDate(partition.rangeStart, partition.format);
  if (start !== undefined && ms < start) return { outside: `${partition.name} ${value} is before the projection's range (${partition.rangeStart})` };
  if (ms > now) return { outside: `${partition.name} ${value} is in the future (the projection ends at NOW)` };
  return { value };
}

/** Where the objects come from: the embedded S3's directory, or an S3 endpoint (downloaded into `downloadDir`). */
export type ObjectSource =
  | { readonly kind: 'directory'; readonly directory: string; readonly bucket: string }
  | { readonly kind: 's3'; readonly s3: S3Client; readonly bucket: string; readonly downloadDir: string; readonly concurrency?: number };

/**
 * Lists the objects under `prefix` and splits them into the table's, with their partition values, and those outside
 * it; from an S3 endpoint only the table's are downloaded.
 */
export async function collectObjects(
  source: ObjectSource,
  partition: PartitionProjection,
  now?: number,
): Promise<{ listed: number; objects: TableObject[]; outside: SkippedObject[] }> {
  const prefix = listingPrefix(partition);
  const listed =
    source.kind === 'directory'
      ? listStoredObjects(source.directory, source.bucket, prefix)
      : (await listKeys(source.s3, source.bucket, prefix)).map((key) => ({ key, path: '' }));
  const inside: TableObject[] = [];
  const outside: SkippedObject[] = [];
  for (const o of listed) {
    const p = partitionOfKey(o.key, partition, now);
    if ('value' in p) inside.push({ ...o, partition: p.value });
    else outside.push({ key: o.key, reason: p.outside });
  }
  if (source.kind === 's3') {
    mkdirSync(source.downloadDir, { recursive: true });
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < inside.length) {
        const i = next++;
        const o = inside[i]!;
        const path = join(source.downloadDir, `${String(i).padStart(7, '0')}.object`);
        writeFileSync(path, await getObject(source.s3, source.bucket, o.key));
        inside[i] = { ...o, path };
      }
    };
    await Promise.all(Array.from({ length: Math.min(source.concurrency ?? 8, inside.length) }, worker));
  }
  return { listed: listed.length, objects: inside, outside };
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(2);
    return readSync(fd, head, 0, 2, 0) === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const sqlIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/** A query's answer: column names and rows of JSON-ready values. */
export interface QueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly Record<string, unknown>[];
}

/** A query that DuckDB rejected: its message, with the query. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/**
 * A DuckDB database with the table as a view over the given objects: `<database>.<table>` as Athena names it (also
 * under `awsdatacatalog.`), and `logs`. Unqualified names resolve in the table's database first, as in a named query.
 */
export class LogTable {
  /** Objects left out because DuckDB could not read them (corrupt GZIP, a line that is not JSON, a type mismatch). */
  readonly skipped: SkippedObject[] = [];

  /**
   * Each object as a link named for DuckDB: `<dir>/<key>=<value, URL-encoded>/<n>.json[.gz]`, a Hive-style partition
   * folder DuckDB reads the value from, and an extension that tells it the compression (found from the bytes).
   */
  private readonly links = new Map<TableObject, string>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly catalog: CatalogConfig,
    private objects: TableObject[],
    private readonly linkDir: string,
  ) {
    objects.forEach((o, i) => {
      const folder = join(linkDir, `${catalog.partition.name}=${encodeURIComponent(o.partition)}`);
      mkdirSync(folder, { recursive: true });
      const link = join(folder, `${i}.json${isGzip(o.path) ? '.gz' : ''}`);
      symlinkSync(resolve(o.path), link);
      this.links.set(o, link);
    });
  }

  /** Opens an in-memory DuckDB with the table over `objects`. */
  static async open(catalog: CatalogConfig, objects: readonly TableObject[], opts: { threads?: number } = {}): Promise<LogTable> {
    const instance = await DuckDBInstance.create(':memory:', opts.threads ? { threads: String(opts.threads) } : {});
    const connection = await instance.connect();
    const table = new LogTable(instance, connection, catalog, [...objects], mkdtempSync(join(tmpdir(), 'log-table-')));
    try {
      // A database named like Athena's catalog, so `awsdatacatalog.db.table` resolves too. (A named `:memory:NAME`
      // instance would be shared by every instance of that name in the process.)
      await connection.run("ATTACH ':memory:' AS awsdatacatalog");
      await connection.run('USE awsdatacatalog');
      // Trino divides integers as integers (count_if(…) / count(*) is 0 or 1); DuckDB's `/` would give a fraction.
      await connection.run('SET integer_division = true');
      // Athena's session zone: current_timestamp and timestamp text are UTC.
      await connection.run("SET TimeZone = 'UTC'");
      for (const m of TRINO_MACROS) await connection.run(m.sql);
      await connection.run(`CREATE SCHEMA ${sqlIdent(catalog.database)}`);
      await connection.run(`SET search_path = ${sqlString(`${catalog.database},main`)}`);
      await table.defineView();
    } catch (err) {
      table.close();
      throw err;
    }
    return table;
  }

  /** The objects the table reads now. */
  get objectCount(): number {
    return this.objects.length;
  }

  private async defineView(): Promise<void> {
    const { catalog } = this;
    const key = catalog.partition.name;
    const columns = `{${catalog.columns.map((c) => `${sqlString(c.name)}: ${sqlString(duckdbType(c.type))}`).join(', ')}}`;
    const select = catalog.columns.map((col) => sqlIdent(col.name)).join(', ');
    // Hive partitioning over the links' folders gives each row its partition value, and DuckDB reads only the
    // objects whose value passes a query's filter on it (`datehour >= …`): Athena's partition pruning.
    const body =
      this.objects.length === 0
        ? `SELECT ${catalog.columns.map((col) => `CAST(NULL AS ${duckdbType(col.type)}) AS ${sqlIdent(col.name)}`).join(', ')}, ` +
          `CAST(NULL AS VARCHAR) AS ${sqlIdent(key)} WHERE false`
        : `SELECT ${select}, ${sqlIdent(key)} FROM read_json([${this.objects.map((o) => sqlString(this.links.get(o)!)).join(', ')}], ` +
          `columns = ${columns}, format = 'newline_delimited', compression = 'auto_detect', ` +
          `hive_partitioning = true, hive_types = {${sqlString(key)}: 'VARCHAR'})`;
    await this.connection.run(`CREATE OR REPLACE VIEW ${sqlIdent(catalog.database)}.${sqlIdent(catalog.table)} AS ${body}`);
    await this.connection.run(`CREATE OR REPLACE VIEW main.logs AS SELECT * FROM ${sqlIdent(catalog.database)}.${sqlIdent(catalog.table)}`);
  }

  /**
   * Runs one SQL statement. An object DuckDB cannot read is reported in {@link skipped} and left out, and the query
   * runs again without it, so one corrupt object never hides the rest; any other error is a {@link QueryError} with
   * DuckDB's message and the query.
   */
  async query(sql: string): Promise<QueryResult> {
    for (;;) {
      try {
        const reader = await this.connection.runAndReadAll(sql);
        const names = reader.columnNames();
        const types = reader.columnTypes().map(String);
        const rows = reader.getRowObjectsJson().map((row) => {
          const out: Record<string, unknown> = {};
          names.forEach((name, i) => (out[name] = jsonValue(row[name], types[i]!)));
          return out;
        });
        return { columns: names, rows };
      } catch (err) {
        const message = (err as Error).message;
        const bad = this.objects.find((o) => message.includes(this.links.get(o)!));
        if (!bad) throw new QueryError(`${message.trim()}\nin query:\n${sql}`, { cause: err });
        this.skipped.push({ key: bad.key, reason: message.split('\n')[0]!.replaceAll(this.links.get(bad)!, bad.key).trim() });
        this.objects = this.objects.filter((o) => o !== bad);
        await this.defineView();
      }
    }
  }

  /** Closes the database and removes the links (never the objects). */
  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
    rmSync(this.linkDir, { recursive: true, force: true });
  }
}

/** DuckDB's JSON form of a value, with whole numbers DuckDB writes as strings (BIGINT, HUGEINT) as numbers when exact. */
function jsonValue(value: unknown, type: string): unknown {
  if (typeof value === 'string' && /^(BIGINT|HUGEINT|UBIGINT|UHUGEINT)$/.test(type) && /^-?\d+$/.test(value)) {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  return value;
}

/**
 * The SQL to run for a named query or a statement: a name of the stack's named queries gives its SQL; text with a
 * space in it is SQL; anything else is an unknown name, and the error lists the known ones.
 */
export function resolveQuery(catalog: CatalogConfig, nameOrSql: string): { name?: string; sql: string } {
  const text = nameOrSql.trim();
  const named = catalog.queries.find((q) => q.name === text);
  if (named) return { name: named.name, sql: named.sql };
  if (/\s/.test(text)) return { sql: text };
  throw new Error(`no named query "${text}"; the stack defines: ${catalog.queries.map((q) => q.name).join(', ') || 'none'} (or pass SQL)`);
}

/** The named queries as `name  description` lines, for `--list`. */
export function describeQueries(queries: readonly NamedQuery[]): string {
  const width = Math.max(0, ...queries.map((q) => q.name.length));
  return queries.map((q) => `${q.name.padEnd(width)}  ${q.description}`).join('\n');
}

/** Rows as an aligned text table, numbers right-aligned, long values cut at `maxWidth` characters. */
export function formatTable(result: QueryResult, maxWidth = 60): string {
  const cell = (v: unknown): string => {
    const s = v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return s.length > maxWidth ? `${s.slice(0, maxWidth - 1)}…` : s;
  };
  const cols = result.columns;
  const cells = result.rows.map((r) => cols.map((c) => cell(r[c])));
  const numeric = cols.map((c) => result.rows.length > 0 && result.rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]): string =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line([...cols]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

/** The table over a bucket's objects, and what was listed but is not part of it. */
export interface BucketTable {
  readonly table: LogTable;
  /** Objects under the listing prefix that are outside the table's partitions (Athena would not read them either). */
  readonly outside: readonly SkippedObject[];
}

/**
 * Lists the objects under the table's location (downloading them from an S3 endpoint), keeps those in its
 * projected partitions and opens the table over them. Throws when the prefix holds no object at all, so an empty
 * or misnamed location is an error rather than an empty answer.
 */
export async function openBucketTable(
  catalog: CatalogConfig,
  source: ObjectSource,
  opts: { now?: number; threads?: number } = {},
): Promise<BucketTable> {
  const { listed, objects, outside } = await collectObjects(source, catalog.partition, opts.now);
  if (listed === 0) {
    throw new Error(
      `no objects under s3://${source.bucket}/${listingPrefix(catalog.partition)} (${source.kind === 'directory' ? `S3 emulator directory ${source.directory}` : 'S3 API'}): ` +
        'nothing delivered yet, or the wrong bucket or endpoint',
    );
  }
  const table = await LogTable.open(catalog, objects, { threads: opts.threads });
  return { table, outside };
}

/** How the values of one column read back with its declared type. */
export interface ColumnCheck {
  readonly column: string;
  readonly type: string;
  /** Lines where the JSON has a value (not null, not missing). */
  readonly values: number;
  /** Of those, values DuckDB read with the column's type (not NULL). */
  readonly typed: number;
  /** Values whose JSON type the column's type does not read as it is, with up to three examples. */
  readonly misfits: number;
  readonly examples: readonly string[];
}

/** The result of {@link checkSchema}: per column, and the JSON keys no column reads. */
export interface SchemaCheck {
  readonly lines: number;
  readonly columns: readonly ColumnCheck[];
  readonly unreadKeys: readonly string[];
  /** DuckDB's error when a typed read failed outright (a value it cannot cast). */
  readonly typedReadError?: string;
}

/** JSON types (DuckDB's json_type names) each Hive type reads without turning a value into NULL. */
function jsonTypesFor(hive: string): readonly string[] | undefined {
  const t = hive.trim().toLowerCase();
  if (t === 'string' || t === 'varchar') return ['VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE'];
  if (['tinyint', 'smallint', 'int', 'integer', 'bigint'].includes(t)) return ['BIGINT', 'UBIGINT'];
  if (t === 'double' || t === 'float' || t.startsWith('decimal')) return ['BIGINT', 'UBIGINT', 'DOUBLE'];
  if (t === 'boolean') return ['BOOLEAN'];
  if (t.startsWith('array<')) return ['ARRAY'];
  return undefined;
}

/**
 * Reads NDJSON files with the Glue columns' types and checks that no value is lost to NULL: every value present in
 * the JSON reads back typed, its JSON type is one the column's type takes as it is (a number for a numeric column,
 * within range for int), and every JSON key is a column. This is the schema proof of the parser's output.
 */
export async function checkSchema(columns: readonly { name: string; type: string }[], files: readonly string[]): Promise<SchemaCheck> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    // Objects keep no extension in the S3 emulator's directory: the compression is told from each file's bytes.
    const gz = files.filter(isGzip);
    const plain = files.filter((f) => !gz.includes(f));
    const list = (fs: readonly string[]): string => `[${fs.map(sqlString).join(', ')}]`;
    const reads = [...(gz.length ? [[gz, 'gzip'] as const] : []), ...(plain.length ? [[plain, 'uncompressed'] as const] : [])];
    await c.run(
      `CREATE TABLE raw AS ${reads.map(([fs, comp]) => `SELECT json FROM read_ndjson_objects(${list(fs)}, compression = '${comp}')`).join(' UNION ALL ') || 'SELECT NULL::JSON AS json WHERE false'}`,
    );
    const lines = Number((await c.runAndReadAll('SELECT count(*) AS n FROM raw')).getRowObjectsJson()[0]!.n);
    const struct = `{${columns.map((col) => `${sqlString(col.name)}: ${sqlString(duckdbType(col.type))}`).join(', ')}}`;
    let typed: Record<string, number> | undefined;
    let typedReadError: string | undefined;
    try {
      const typedReads = reads.map(
        ([fs, comp]) => `SELECT * FROM read_json(${list(fs)}, columns = ${struct}, format = 'newline_delimited', compression = '${comp}')`,
      );
      const r = await c.runAndReadAll(
        `SELECT ${columns.map((col) => `count(${sqlIdent(col.name)}) AS ${sqlIdent(col.name)}`).join(', ')} ` +
          `FROM (${typedReads.join(' UNION ALL ') || `SELECT ${columns.map((col) => `NULL AS ${sqlIdent(col.name)}`).join(', ')} WHERE false`})`,
      );
      const row = r.getRowObjectsJson()[0]!;
      typed = Object.fromEntries(columns.map((col) => [col.name, Number(row[col.name])]));
    } catch (err) {
      typedReadError = (err as Error).message.split('\n')[0];
    }
    const checks: ColumnCheck[] = [];
    for (const col of columns) {
      const path = sqlString(`$."${col.name}"`);
      const fits = jsonTypesFor(col.type);
      if (!fits) throw new Error(`no schema rule for the Glue type "${col.type}" of column ${col.name}`);
      const range = col.type === 'int' ? ` OR (json_type(json, ${path}) IN ('BIGINT', 'UBIGINT') AND TRY_CAST(json_extract_string(json, ${path}) AS INTEGER) IS NULL)` : '';
      const misfit = `(json_type(json, ${path}) NOT IN (${fits.map(sqlString).join(', ')})${range})`;
      const present = `json_type(json, ${path}) IS NOT NULL AND json_type(json, ${path}) <> 'NULL'`;
      const r = (
        await c.runAndReadAll(
          `SELECT count(*) FILTER (WHERE ${present}) AS n, count(*) FILTER (WHERE ${present} AND ${misfit}) AS bad, ` +
            `list(json_extract(json, ${path})::VARCHAR) FILTER (WHERE ${present} AND ${misfit})[1:3] AS examples FROM raw`,
        )
      ).getRowObjectsJson()[0]!;
      const values = Number(r.n);
      checks.push({
        column: col.name,
        type: col.type,
        values,
        typed: typed?.[col.name] ?? 0,
        misfits: Number(r.bad),
        examples: ((r.examples as string[] | null) ?? []).map(String),
      });
    }
    const keys = (await c.runAndReadAll('SELECT DISTINCT unnest(json_keys(json)) AS k FROM raw ORDER BY 1')).getRowObjectsJson().map((r) => String(r.k));
    const names = new Set(columns.map((col) => col.name));
    return { lines, columns: checks, unreadKeys: keys.filter((k) => !names.has(k.toLowerCase())), typedReadError };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** What is wrong in a {@link SchemaCheck}, one line per problem (empty when the schema holds). */
export function schemaProblems(check: SchemaCheck): string[] {
  return [
    ...(check.typedReadError ? [`typed read failed: ${check.typedReadError}`] : []),
    ...check.columns.flatMap((col) => [
      ...(col.misfits > 0 ? [`${col.column} (${col.type}): ${col.misfits} values of another JSON type, e.g. ${col.examples.join(', ')}`] : []),
      ...(!check.typedReadError && col.typed !== col.values ? [`${col.column} (${col.type}): ${col.values - col.typed} values read as NULL`] : []),
    ]),
    ...(check.unreadKeys.length > 0 ? [`JSON keys with no column: ${check.unreadKeys.join(', ')}`] : []),
  ];
}
