import { LogBucket } from '../../stacks/log-bucket';
import { CATALOG_DEFAULTS, LogCatalog } from '../../stacks/log-catalog';
import { catalogColumns } from '../../stacks/log-columns';
import { onlyResource, synth, testStack } from './construct-helpers';

const CUSTOM_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ' +
  '"$http_user_agent" $request_time "$upstream_response_time" $bytes_sent';

function catalogTable(props: Partial<ConstructorParameters<typeof LogCatalog>[2]> = {}) {
  const stack = testStack();
  const bucket = new LogBucket(stack, 'log-bucket', { bucketName: 'logs-bucket' });
  const catalog = new LogCatalog(stack, 'log-catalog', { bucket, ...props });
  return { catalog, table: onlyResource(synth(stack), 'aws_glue_catalog_table') as Record<string, any> };
}

describe('catalogColumns', () => {
  it("has the parser keys of the main format, the original schema's keys first, with numeric status and size", () => {
    expect(catalogColumns()).toEqual([
      { name: 'host', type: 'string' },
      { name: 'timestamp', type: 'string' },
      { name: 'request', type: 'string' },
      { name: 'uri', type: 'string' },
      { name: 'status', type: 'int' },
      { name: 'size', type: 'bigint' },
      { name: 'verb', type: 'string' },
      { name: 'refferer', type: 'string' },
      { name: 'useragent', type: 'string' },
      { name: 'protocol', type: 'string' },
      { name: 'remote_user', type: 'string' },
      { name: 'http_x_forwarded_for', type: 'string' },
    ]);
  });

  it('types extra numeric variables: request_time double, bytes_sent bigint, upstream lists string', () => {
    const columns = catalogColumns(CUSTOM_FORMAT);
    expect(columns).toEqual(
      expect.arrayContaining([
        { name: 'request_time', type: 'double' },
        { name: 'bytes_sent', type: 'bigint' },
        { name: 'upstream_response_time', type: 'string' },
      ]),
    );
  });

  it('types the ingress-nginx preset: lists as logged are strings, their companions numbers', () => {
    const columns = catalogColumns('ingress-nginx');
    expect(columns.slice(10)).toEqual([
      { name: 'remote_user', type: 'string' },
      { name: 'request_length', type: 'bigint' },
      { name: 'request_time', type: 'double' },
      { name: 'proxy_upstream_name', type: 'string' },
      { name: 'proxy_alternative_upstream_name', type: 'string' },
      { name: 'upstream_addr', type: 'string' },
      { name: 'upstream_response_length', type: 'string' },
      { name: 'upstream_response_length_total', type: 'bigint' },
      { name: 'upstream_response_time', type: 'string' },
      { name: 'upstream_response_time_total', type: 'double' },
      { name: 'upstream_status', type: 'string' },
      { name: 'upstream_status_last', type: 'bigint' },
      { name: 'req_id', type: 'string' },
    ]);
  });

  it('fails for a format the parser rejects', () => {
    expect(() => catalogColumns('$remote_addr$status')).toThrow(/no text between them/);
  });
});

describe('LogCatalog', () => {
  it('reads JSON lines with the Hive JSON SerDe under the Firehose prefix', () => {
    const { table } = catalogTable();
    expect(table.storage_descriptor).toMatchObject({
      location: expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\.[\w-]+\.bucket\}\/nginx\/$/),
      input_format: 'org.apache.hadoop.mapred.TextInputFormat',
      ser_de_info: { serialization_library: 'org.apache.hive.hcatalog.data.JsonSerDe' },
    });
  });

  it('projects hourly datehour partitions onto the YYYY/MM/dd/HH folders', () => {
    const { table } = catalogTable({ projectionStartHour: '2026/05/01/00' });
    expect(table.partition_keys).toEqual([expect.objectContaining({ name: 'datehour', type: 'string' })]);
    expect(table.parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.datehour.type': 'date',
      'projection.datehour.format': 'yyyy/MM/dd/HH',
      'projection.datehour.range': '2026/05/01/00,NOW',
      'projection.datehour.interval.unit': 'HOURS',
    });
  });

  it('escapes the location template so Athena, not Terraform, fills in ${datehour}', () => {
    const { table } = catalogTable({ prefix: 'web/' });
    expect(table.parameters['storage.location.template']).toMatch(
      /^s3:\/\/\$\{aws_s3_bucket\.[\w-]+\.bucket\}\/web\/\$\$\{datehour\}\/$/,
    );
  });

  it('has one column per parser key', () => {
    const { table } = catalogTable({ logFormat: CUSTOM_FORMAT });
    expect(table.storage_descriptor.columns.map((c: { name: string }) => c.name)).toEqual(
      catalogColumns(CUSTOM_FORMAT).map((c) => c.name),
    );
  });

  it('knows whether the format logs $request_time', () => {
    expect(catalogTable().catalog.hasColumn('request_time')).toBe(false);
    expect(catalogTable({ logFormat: CUSTOM_FORMAT }).catalog.hasColumn('request_time')).toBe(true);
  });

  it('is an external table in a database named after the prefix', () => {
    const stack = testStack();
    new LogCatalog(stack, 'log-catalog', { bucket: new LogBucket(stack, 'b', { bucketName: 'logs-bucket' }) });
    const json = synth(stack);
    expect(onlyResource(json, 'aws_glue_catalog_database')).toMatchObject({ name: 'nginx_access_logs' });
    expect(onlyResource(json, 'aws_glue_catalog_table')).toMatchObject({
      name: CATALOG_DEFAULTS.tableName,
      table_type: 'EXTERNAL_TABLE',
    });
  });

  it('fails for a projection start that is not yyyy/MM/dd/HH', () => {
    expect(() => catalogTable({ projectionStartHour: '2026-01-01' })).toThrow(
      'catalog projectionStartHour must be yyyy/MM/dd/HH (UTC), e.g. "2026/01/01/00", got "2026-01-01"',
    );
  });

  it('fails for a database name Athena cannot use', () => {
    expect(() => catalogTable({ databaseName: 'Nginx-Logs' })).toThrow(/catalog databaseName must be lowercase/);
  });

  it('fails for a prefix without the trailing slash', () => {
    expect(() => catalogTable({ prefix: 'nginx' })).toThrow(/catalog prefix must end with "\/"/);
  });
});
