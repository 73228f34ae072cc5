import { LogBucket } from '../../stacks/log-bucket';
import { LogCatalog } from '../../stacks/log-catalog';
import { LogQueries, LogQueriesProps, namedQueries } from '../../stacks/log-queries';
import { onlyResource, resourcesOf, synth, testStack } from './construct-helpers';

function queriesStack(props: Partial<LogQueriesProps> = {}, logFormat?: string) {
  const stack = testStack();
  const bucket = new LogBucket(stack, 'log-bucket', { bucketName: 'logs-bucket' });
  const catalog = new LogCatalog(stack, 'log-catalog', { bucket, logFormat });
  new LogQueries(stack, 'log-queries', { catalog, resultsBucket: bucket, ...props });
  return synth(stack);
}

describe('LogQueries', () => {
  it('enforces encrypted results (SSE-S3 by default) under athena-results/', () => {
    const workgroup = onlyResource(queriesStack(), 'aws_athena_workgroup') as Record<string, any>;
    expect(workgroup.configuration).toMatchObject({
      enforce_workgroup_configuration: true,
      result_configuration: {
        output_location: expect.stringMatching(/^s3:\/\/\$\{aws_s3_bucket\.[\w-]+\.bucket\}\/athena-results\/$/),
        encryption_configuration: { encryption_option: 'SSE_S3' },
      },
    });
  });

  it('uses SSE-KMS when given a key', () => {
    const workgroup = onlyResource(queriesStack({ resultsKmsKeyArn: 'arn:aws:kms:ap-northeast-2:111122223333:key/k' }), 'aws_athena_workgroup') as Record<string, any>;
    expect(workgroup.configuration.result_configuration.encryption_configuration).toEqual({
      encryption_option: 'SSE_KMS',
      kms_key_arn: 'arn:aws:kms:ap-northeast-2:111122223333:key/k',
    });
  });

  it('lets terraform destroy remove the workgroup with its query history (Athena refuses otherwise)', () => {
    expect(onlyResource(queriesStack(), 'aws_athena_workgroup')).toMatchObject({ force_destroy: true });
  });

  it('caps bytes scanned per query at 10 GiB by default', () => {
    const workgroup = onlyResource(queriesStack(), 'aws_athena_workgroup') as Record<string, any>;
    expect(workgroup.configuration.bytes_scanned_cutoff_per_query).toBe(10 * 1024 ** 3);
  });

  it('fails for a cutoff under Athena’s 10 MB minimum', () => {
    expect(() => queriesStack({ bytesScannedCutoffPerQuery: 1000 })).toThrow(
      /queries bytesScannedCutoffPerQuery must be a whole number 10485760–.* bytes \(Athena accepts 10 MB or more\), got 1000/,
    );
  });

  it('creates the hourly, top-URI and top-client queries in the workgroup', () => {
    const names = resourcesOf(queriesStack(), 'aws_athena_named_query').map((q) => q.name);
    expect(names.sort()).toEqual(['requests-and-5xx-by-hour', 'top-client-addresses', 'top-uris']);
  });

  it('adds slowest requests only when the format logs $request_time', () => {
    const format =
      '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time';
    const names = resourcesOf(queriesStack({}, format), 'aws_athena_named_query').map((q) => q.name);
    expect(names).toContain('slowest-requests');
  });

  it('runs every query in the workgroup against the catalog database', () => {
    for (const query of resourcesOf(queriesStack(), 'aws_athena_named_query')) {
      expect(query.workgroup).toMatch(/^\$\{aws_athena_workgroup\.[\w-]+\.id\}$/);
      expect(query.database).toMatch(/^\$\{aws_glue_catalog_database\.[\w-]+\.name\}$/);
    }
  });
});

describe('namedQueries', () => {
  const sql = namedQueries({ table: 'db.access_log', lookbackHours: 24 }, true);

  it('filters every query on the projected datehour partition, so scans stay small', () => {
    for (const q of Object.values(sql)) {
      expect(q.sql).toContain("datehour >= date_format(current_timestamp - interval '24' hour, '%Y/%m/%d/%H')");
    }
  });

  it('computes the 5xx rate per hour', () => {
    expect(sql['requests-and-5xx-by-hour']?.sql).toMatch(/count_if\(status >= 500\) \/ count\(\*\)[\s\S]*GROUP BY datehour/);
  });

  it('orders slowest requests by request_time', () => {
    expect(sql['slowest-requests']?.sql).toMatch(/ORDER BY request_time DESC/);
  });
});
