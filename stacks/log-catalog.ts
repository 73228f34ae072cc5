import { GlueCatalogDatabase } from '@cdktf/provider-aws/lib/glue-catalog-database';
import { GlueCatalogTable } from '@cdktf/provider-aws/lib/glue-catalog-table';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { physicalNames } from '../facts/names';
import { DELIVERY_DEFAULTS } from './defaults';
import { catalogColumns, CatalogColumn } from './log-columns';
import type { LogBucket } from './log-bucket';
import { checkStaticPrefix } from './validate';

/** Catalog defaults and the formats Athena needs to read newline-delimited JSON, in one place. */
export const CATALOG_DEFAULTS = Object.freeze({
  tableName: 'access_log',
  /** The partition column; one string `yyyy/MM/dd/HH` matches Firehose's layout, so a key needs no rewriting. */
  partitionKey: 'datehour',
  partitionFormat: 'yyyy/MM/dd/HH',
  /** Athena enumerates hours from here when a query has no datehour filter: keep it near the stream's creation. */
  projectionStartHour: '2026/01/01/00',
  /**
   * The Hive JSON SerDe: Athena's docs warn that with the OpenX SerDe "the number of results and their values can be
   * non-deterministic" and recommend the Hive one. It needs one JSON object per line, which the parser guarantees;
   * failed lines land under the error prefix, outside the table's location.
   */
  serde: 'org.apache.hive.hcatalog.data.JsonSerDe',
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
});

export interface LogCatalogProps {
  /** The bucket Firehose writes to. */
  readonly bucket: LogBucket;
  /**
   * The delivery stream's static prefix; Firehose appends `YYYY/MM/dd/HH/`.
   * @default - "nginx/", the delivery stream's default
   */
  readonly prefix?: string;
  /**
   * Glue database name: lowercase letters, digits and underscores.
   * @default - "nginx_access_logs", the name prefix with underscores
   */
  readonly databaseName?: string;
  /** @default - "access_log" */
  readonly tableName?: string;
  /**
   * The nginx `log_format`, from which the columns are derived exactly as the parser names and types its keys.
   * @default - nginx's stock `main` format
   */
  readonly logFormat?: string;
  /**
   * First hour partition projection knows of, as `yyyy/MM/dd/HH` (UTC).
   * @default - "2026/01/01/00"
   */
  readonly projectionStartHour?: string;
}

/**
 * The Glue database and table over the delivered logs, with partition projection on Firehose's hour folders.
 *
 * Projection computes partitions from the `datehour` filter of each query (`WHERE datehour >= '2026/05/01/00'`), so
 * data is queryable the minute it lands: no crawler, no `MSCK REPAIR TABLE`, no partition API calls.
 */
export class LogCatalog extends Construct {
  public readonly database: GlueCatalogDatabase;
  public readonly table: GlueCatalogTable;
  public readonly databaseName: string;
  public readonly tableName: string;
  public readonly columns: readonly CatalogColumn[];

  constructor(scope: Construct, id: string, props: LogCatalogProps) {
    super(scope, id);
    const prefix = props.prefix ?? DELIVERY_DEFAULTS.prefix;
    const databaseName = props.databaseName ?? physicalNames().glueDatabase;
    const tableName = props.tableName ?? CATALOG_DEFAULTS.tableName;
    const start = props.projectionStartHour ?? CATALOG_DEFAULTS.projectionStartHour;
    checkStaticPrefix('catalog prefix', prefix);
    checkCatalogName('catalog databaseName', databaseName);
    checkCatalogName('catalog tableName', tableName);
    if (!/^\d{4}\/(0[1-9]|1[0-2])\/(0[1-9]|[12]\d|3[01])\/([01]\d|2[0-3])$/.test(start)) {
      throw new Error(`catalog projectionStartHour must be yyyy/MM/dd/HH (UTC), e.g. "2026/01/01/00", got "${start}"`);
    }
    this.columns = catalogColumns(props.logFormat);

    const location = `s3://${props.bucket.bucketName}/${prefix}`;
    const key = CATALOG_DEFAULTS.partitionKey;
    this.database = new GlueCatalogDatabase(this, 'database', {
      name: databaseName,
      description: 'nginx access logs delivered by Firehose',
    });
    this.table = new GlueCatalogTable(this, 'table', {
      databaseName: this.database.name,
      name: tableName,
      description: 'One row per nginx access-log line, as the parser Lambda writes it (newline-delimited JSON)',
      tableType: 'EXTERNAL_TABLE',
      partitionKeys: [{ name: key, type: 'string', comment: 'UTC arrival hour, yyyy/MM/dd/HH' }],
      parameters: {
        EXTERNAL: 'TRUE',
        classification: 'json',
        'projection.enabled': 'true',
        [`projection.${key}.type`]: 'date',
        [`projection.${key}.format`]: CATALOG_DEFAULTS.partitionFormat,
        [`projection.${key}.range`]: `${start},NOW`,
        [`projection.${key}.interval`]: '1',
        [`projection.${key}.interval.unit`]: 'HOURS',
        // "$${" is Terraform's escape for a literal "${": Athena, not Terraform, fills in the partition value.
        'storage.location.template': `${location}$\${${key}}/`,
      },
      storageDescriptor: {
        location,
        inputFormat: CATALOG_DEFAULTS.inputFormat,
        outputFormat: CATALOG_DEFAULTS.outputFormat,
        serDeInfo: { serializationLibrary: CATALOG_DEFAULTS.serde, parameters: { 'serialization.format': '1' } },
        columns: this.columns.map((c) => ({ name: c.name, type: c.type })),
      },
    });
    this.databaseName = this.database.name;
    this.tableName = this.table.name;
  }

  /** Whether the table has a column, e.g. `request_time` for the slowest-requests query. */
  hasColumn(name: string): boolean {
    return this.columns.some((c) => c.name === name);
  }
}

function checkCatalogName(what: string, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!/^[a-z0-9_]{1,255}$/.test(name)) {
    throw new Error(`${what} must be lowercase letters, digits and underscores (Athena-compatible Glue name), got "${name}"`);
  }
}
