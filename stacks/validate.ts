import { Token } from 'cdktf';
import { FIREHOSE_LIMITS } from '../facts/aws-limits';
import { hasExpressions, listingPrefix } from '../facts/s3-layout';

/** What Firehose appends to a static prefix: the UTC arrival hour. */
const HOUR_FOLDERS = 'YYYY/MM/dd/HH/';

/**
 * Throws unless `value` lies in [min, max]; unresolved tokens are skipped (their value is known only at apply).
 *
 * The message names the setting, the allowed range with its reason, what was received and how to fix it.
 */
export function checkRange(
  what: string,
  value: number,
  range: { min: number; max: number; unit: string; why: string; integer?: boolean },
): void {
  if (Token.isUnresolved(value)) return;
  const integerOk = !range.integer || Number.isInteger(value);
  if (Number.isFinite(value) && integerOk && value >= range.min && value <= range.max) return;
  const kind = range.integer ? 'a whole number ' : '';
  throw new Error(
    `${what} must be ${kind}${range.min}–${range.max} ${range.unit} (${range.why}), got ${value}`,
  );
}

/**
 * Returns the problems with an S3 bucket name (empty when valid).
 *
 * Rules from S3's bucket naming page: 3–63 characters; lowercase letters, digits, dots and hyphens; starts and ends
 * with a letter or digit; no two adjacent dots; not an IP address; no reserved prefix or suffix.
 */
export function bucketNameProblems(name: string): string[] {
  const problems: string[] = [];
  if (name.length < 3 || name.length > 63) problems.push(`is ${name.length} characters long (3–63 allowed)`);
  if (!/^[a-z0-9.-]*$/.test(name)) problems.push('may contain only lowercase letters, digits, dots and hyphens');
  if (/^[.-]|[.-]$/.test(name)) problems.push('must start and end with a letter or digit');
  if (name.includes('..')) problems.push('must not contain two adjacent dots');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) problems.push('must not look like an IP address');
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(name)) problems.push('must not start with xn--, sthree- or amzn-s3-demo-');
  if (/(-s3alias|--ol-s3|--x-s3|--table-s3)$/.test(name)) problems.push('must not end with a reserved suffix');
  return problems;
}

/** Throws with every problem of an S3 bucket name; names containing tokens are checked at apply by AWS instead. */
export function checkBucketName(name: string, variable = 'BUCKET_NAME'): void {
  if (Token.isUnresolved(name)) return;
  const problems = bucketNameProblems(name);
  if (problems.length > 0) {
    throw new Error(`invalid S3 bucket name "${name}": it ${problems.join('; it ')}. Set ${variable} to a valid name.`);
  }
}

/** Throws unless a Firehose S3 prefix is static (no !{} expressions), non-empty, ends in "/" and fits 512 characters. */
export function checkStaticPrefix(what: string, prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  const problems: string[] = [];
  if (!prefix.endsWith('/')) problems.push(`end with "/" (Firehose appends ${HOUR_FOLDERS} without a separator)`);
  if (prefix.includes('!{')) problems.push('be static, without !{...} expressions (LocalStack does not evaluate them)');
  if (prefix.startsWith('/')) problems.push('not start with "/"');
  const max = FIREHOSE_LIMITS.prefixMaxChars - HOUR_FOLDERS.length;
  if (prefix.length > max) {
    problems.push(`be at most ${max} characters (Firehose allows ${FIREHOSE_LIMITS.prefixMaxChars} once ${HOUR_FOLDERS} is appended)`);
  }
  if (problems.length > 0) {
    throw new Error(`${what} must ${problems.join(' and ')}, got "${prefix}"`);
  }
}

/**
 * Throws unless a Firehose error prefix follows AWS's rules and keeps failures apart from the data: it must use
 * `!{firehose:error-output-type}` and a `!{timestamp:…}` expression (then AWS, LocalStack's docs and the local
 * Firehose agree on the keys), end with "/", and its static part must not overlap the data prefix (the Athena table
 * reads everything under the data prefix).
 */
export function checkErrorPrefix(errorPrefix: string, dataPrefix: string): void {
  if (Token.isUnresolved(errorPrefix) || Token.isUnresolved(dataPrefix)) return;
  const problems: string[] = [];
  if (!errorPrefix.includes('!{firehose:error-output-type}')) {
    problems.push('contain !{firehose:error-output-type} (AWS requires it in an error prefix with expressions)');
  }
  if (!/!\{timestamp:[^}]+\}/.test(errorPrefix)) problems.push('contain a !{timestamp:...} expression, e.g. !{timestamp:yyyy/MM/dd/HH}');
  if (!errorPrefix.endsWith('/')) problems.push('end with "/"');
  if (errorPrefix.startsWith('/')) problems.push('not start with "/"');
  if (problems.length > 0) {
    throw new Error(
      `delivery errorOutputPrefix must ${problems.join(' and ')}, got "${errorPrefix}" ` +
        '(e.g. "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/")',
    );
  }
  const errorRoot = listingPrefix(errorPrefix);
  const dataRoot = hasExpressions(dataPrefix) ? listingPrefix(dataPrefix) : dataPrefix;
  if (errorRoot.startsWith(dataRoot) || dataRoot.startsWith(errorRoot)) {
    throw new Error(
      `delivery errorOutputPrefix must differ from prefix so failed records land apart: "${errorRoot}" (from ` +
        `"${errorPrefix}") and "${dataRoot}" overlap. Choose folders that do not contain each other.`,
    );
  }
}
