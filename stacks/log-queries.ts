import { AthenaNamedQuery } from '@cdktf/provider-aws/lib/athena-named-query';
import { AthenaWorkgroup } from '@cdktf/provider-aws/lib/athena-workgroup';
import { Construct } from 'constructs';
import { NAMED_QUERY_NAMES } from '../facts/named-queries';
import { DEFAULT_NAMES, physicalNames } from '../facts/names';
import type { LogBucket } from './log-bucket';
import type { LogCatalog } from './log-catalog';
import { checkRange, checkStaticPrefix } from './validate';

/** Athena workgroup defaults: encrypted results and a scan cap, so one careless query cannot cost much. */
export const QUERY_DEFAULTS = Object.freeze({
  resultsPrefix: 'athena-results/',
  /** 10 GiB: at $5 per TB scanned a query costs at most about 5 cents. */
  bytesScannedCutoffPerQuery: 10 * 1024 ** 3,
  /** Athena's minimum for the cutoff. */
  minBytesScannedCutoff: 10 * 1024 ** 2,
  /** The named queries look this far back; their datehour filter is what keeps the scan small. */
  lookbackHours: 24,
});

/** Where a named query's SQL comes from: the catalog it reads and how far back it looks. */
interface QueryScope {
  readonly table: string;
  readonly lookbackHours: number;
}

/** The named queries people run first, as pure SQL builders (Athena engine v3 / Trino SQL). */
export function namedQueries(scope: QueryScope, hasRequestTime: boolean): Record<string, { description: string; sql: string }> {
  const since = `datehour >= date_format(current_timestamp - interval '${scope.lookbackHours}' hour, '%Y/%m/%d/%H')`;
  const queries: Record<string, { description: string; sql: string }> = {
    [NAMED_QUERY_NAMES.requestsByHour]: {
      description: `Requests, 5xx responses and 5xx rate per hour, last ${scope.lookbackHours} h`,
      sql: `SELECT datehour, count(*) AS requests, count_if(status >= 500) AS errors_5xx,\n  round(100.0 * count_if(status >= 500) / count(*), 2) AS pct_5xx\nFROM ${scope.table}\nWHERE ${since}\nGROUP BY datehour\nORDER BY datehour`,
    },
    [NAMED_QUERY_NAMES.topUris]: {
      description: `Most requested URIs with bytes sent and error counts, last ${scope.lookbackHours} h`,
      sql: `SELECT uri, count(*) AS requests, sum(size) AS bytes_sent, count_if(status >= 400) AS errors\nFROM ${scope.table}\nWHERE ${since}\nGROUP BY uri\nORDER BY requests DESC\nLIMIT 50`,
    },
    [NAMED_QUERY_NAMES.topClientAddresses]: {
      description: `Client addresses with the most requests, last ${scope.lookbackHours} h`,
      sql: `SELECT host, count(*) AS requests, count_if(status >= 400) AS errors, approx_distinct(uri) AS distinct_uris\nFROM ${scope.table}\nWHERE ${since}\nGROUP BY host\nORDER BY requests DESC\nLIMIT 50`,
    },
  };
  if (hasRequestTime) {
    queries[NAMED_QUERY_NAMES.slowestRequests] = {
      description: `Slowest requests by $request_time, last ${scope.lookbackHours} h`,
      sql: `SELECT "timestamp", host, verb, uri, status, request_time\nFROM ${scope.table}\nWHERE ${since}\nORDER BY request_time DESC\nLIMIT 50`,
    };
  }
  return queries;
}

export interface LogQueriesProps {
  /** The table the queries read. */
  readonly catalog: LogCatalog;
  /** Bucket for query results (written under `resultsPrefix`, encrypted). */
  readonly resultsBucket: LogBucket;
  /** @default - "athena-results/" */
  readonly resultsPrefix?: string;
  /** @default - "nginx-access-logs" */
  readonly workgroupName?: string;
  /**
   * Athena cancels a query that would scan more than this.
   * @default - 10 GiB (about $0.05 at $5 per TB)
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * KMS key for the results; without one they use SSE-S3.
   * @default - SSE-S3
   */
  readonly resultsKmsKeyArn?: string;
  /**
   * Tags of the workgroup: Athena bills per query, and a workgroup tag is how that cost is allocated.
   * @default - { project: "nginx-access-logs" }
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Whether destroy deletes the workgroup together with its query history (Athena refuses to delete a workgroup that
   * has run queries otherwise, and `terraform destroy` fails).
   * @default - true: the history is only metadata; query results stay in the results bucket, which keeps its own
   *   protection
   */
  readonly forceDestroy?: boolean;
}

/** An Athena workgroup over the log table, enforcing encrypted results and a scan cap, with named queries. */
export class LogQueries extends Construct {
  public readonly workgroup: AthenaWorkgroup;
  public readonly workgroupName: string;
  public readonly queries: readonly AthenaNamedQuery[];

  constructor(scope: Construct, id: string, props: LogQueriesProps) {
    super(scope, id);
    const resultsPrefix = props.resultsPrefix ?? QUERY_DEFAULTS.resultsPrefix;
    const cutoff = props.bytesScannedCutoffPerQuery ?? QUERY_DEFAULTS.bytesScannedCutoffPerQuery;
    checkStaticPrefix('queries resultsPrefix', resultsPrefix);
    checkRange('queries bytesScannedCutoffPerQuery', cutoff, {
      min: QUERY_DEFAULTS.minBytesScannedCutoff,
      max: Number.MAX_SAFE_INTEGER,
      unit: 'bytes',
      why: 'Athena accepts 10 MB or more',
      integer: true,
    });

    this.workgroup = new AthenaWorkgroup(this, 'workgroup', {
      name: props.workgroupName ?? physicalNames().athenaWorkgroup,
      description: 'Queries over the nginx access logs; results encrypted, scans capped',
      forceDestroy: props.forceDestroy ?? true,
      tags: { ...(props.tags ?? { project: DEFAULT_NAMES.prefix }) },
      configuration: {
        // Enforced: a client cannot write unencrypted results elsewhere or lift the cap.
        enforceWorkgroupConfiguration: true,
        publishCloudwatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        resultConfiguration: {
          outputLocation: `s3://${props.resultsBucket.bucketName}/${resultsPrefix}`,
          encryptionConfiguration:
            props.resultsKmsKeyArn === undefined
              ? { encryptionOption: 'SSE_S3' }
              : { encryptionOption: 'SSE_KMS', kmsKeyArn: props.resultsKmsKeyArn },
        },
      },
    });
    this.workgroupName = this.workgroup.name;

    const table = `${props.catalog.databaseName}.${props.catalog.tableName}`;
    const sql = namedQueries({ table, lookbackHours: QUERY_DEFAULTS.lookbackHours }, props.catalog.hasColumn('request_time'));
    this.queries = Object.entries(sql).map(
      ([name, q]) =>
        new AthenaNamedQuery(this, name, {
          name,
          description: q.description,
          database: props.catalog.databaseName,
          workgroup: this.workgroup.id,
          query: q.sql,
        }),
    );
  }
}
