import { compileLogFormats, outputSchema } from '../functions/nginx-parser/log-format';
import { resolveLogFormat } from '../functions/nginx-parser/presets';

/** A Glue/Athena column: name and Hive type. */
export interface CatalogColumn {
  readonly name: string;
  readonly type: 'string' | 'int' | 'bigint' | 'double';
}

/**
 * The table columns for the JSON the parser writes for `logFormat` (a `LOG_FORMAT` value: preset name or `log_format`
 * string; undefined means nginx's `main`), in the parser's key order.
 *
 * Derived from the parser's own format compiler and output schema, so the catalog and the Lambda can never disagree on
 * the keys or their types. The parser writes a key as a JSON number only when nginx always writes that variable as one
 * (checked on every line), so numeric columns read back as numbers: `status` int, whole numbers bigint (`size`,
 * `$request_length`, `upstream_status_last`), fractions double (`$request_time`, `upstream_response_time_total`).
 * Everything else is a string, including the `$upstream_*` lists as logged (`"0.004, 0.002"`), request headers such
 * as `$content_length`, and the timestamp (the original schema's `2020-12-22T12:32:36`, UTC; `from_iso8601_timestamp("timestamp")`
 * turns it into a timestamp in a query).
 */
export function catalogColumns(logFormat?: string): CatalogColumn[] {
  const { keys, keyTypes } = outputSchema(compileLogFormats(resolveLogFormat(logFormat)).formats);
  const seen = new Set<string>();
  return keys.map((key, i) => {
    const name = key.toLowerCase();
    if (seen.has(name)) {
      throw new Error(`log format gives two keys that differ only in case ("${name}"); Athena column names are case-insensitive`);
    }
    seen.add(name);
    const type = keyTypes[i];
    return { name, type: type === 'decimal' ? 'double' : type === 'integer' ? (key === 'status' ? 'int' : 'bigint') : 'string' };
  });
}
