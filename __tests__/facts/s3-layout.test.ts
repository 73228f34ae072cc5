import {
  defaultExtension,
  evaluatePrefix,
  keyParts,
  keyPattern,
  listingPrefix,
  objectKey,
  S3_LAYOUT,
} from '../../facts/s3-layout';
import { ERROR_LAYOUT_FIXTURE as F, fixtureErrorKey } from './error-layout-fixture';

const at = Date.UTC(2026, 10, 25, 5, 7, 9); // 2026-11-25T05:07:09Z
const uuid = '7578adbc-da7c-4c3c-86a7-89c99057ee7d';

describe('object keys', () => {
  test('a static prefix gets the UTC hour folders and Firehose suffix', () => {
    const key = objectKey({ prefix: 'nginx/', deliveryStreamName: 'nginx-logs-to-s3', version: 1, oldestArrivalMs: at, extension: '', uuid });
    expect(key).toBe(`nginx/2026/11/25/05/nginx-logs-to-s3-1-2026-11-25-05-07-09-${uuid}`);
  });

  test('GZIP objects end in .gz', () => {
    expect(defaultExtension('GZIP')).toBe('.gz');
    expect(defaultExtension('UNCOMPRESSED')).toBe('');
    const key = objectKey({ prefix: 'nginx/', deliveryStreamName: 'd', version: 3, oldestArrivalMs: at, extension: '.gz' });
    expect(key).toMatch(/^nginx\/2026\/11\/25\/05\/d-3-2026-11-25-05-07-09-[0-9a-f-]{36}\.gz$/);
    expect(keyPattern('nginx/', 'd').test(key)).toBe(true);
  });

  test('an empty prefix is the default YYYY/MM/dd/HH/ layout', () => {
    expect(evaluatePrefix('', at)).toBe('2026/11/25/05/');
  });

  test('a prefix without a trailing slash is concatenated as AWS does', () => {
    expect(evaluatePrefix('legacy', at)).toBe('legacy2026/11/25/05/');
  });

  test('timestamp and error-output-type expressions are evaluated, with no hour folders appended', () => {
    expect(evaluatePrefix('logs/dt=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/', at)).toBe('logs/dt=2026-11-25/h=05/');
    expect(evaluatePrefix("e/!{firehose:error-output-type}/!{timestamp:yyyy'/'MM}/", at)).toBe('e/processing-failed/2026/11/');
  });

  test('random-string is 11 characters', () => {
    expect(evaluatePrefix('r/!{firehose:random-string}/', at)).toMatch(/^r\/[a-z0-9_-]{11}\/2026\/11\/25\/05\/$/);
  });

  test('keyPattern rejects a key whose time does not match its folders', () => {
    expect(keyPattern('nginx/', 'd').test(`nginx/2026/11/25/06/d-1-2026-11-25-05-07-09-${uuid}`)).toBe(false);
  });

  test("accepts LocalStack's unversioned object names only when asked to", () => {
    const key = `nginx/2026/11/25/05/d-2026-11-25-05-07-09-${uuid}`;
    expect(keyPattern('nginx/', 'd').test(key)).toBe(false);
    expect(keyPattern('nginx/', 'd', { versionOptional: true }).test(key)).toBe(true);
  });
});

describe('the error layout', () => {
  test('the error prefix forms the documented key from a time and an error type', () => {
    expect(fixtureErrorKey(S3_LAYOUT.errorPrefix)).toBe(F.key);
  });

  test('keyPattern reads the hour and the error type back, and rejects other types and mismatched hours', () => {
    const pattern = keyPattern(S3_LAYOUT.errorPrefix, F.deliveryStreamName);
    expect(keyParts(pattern, F.key)).toEqual({ hour: F.hour, errorOutputType: F.errorOutputType });
    expect(keyParts(pattern, `${F.key}.gz`)).toEqual({ hour: F.hour, errorOutputType: F.errorOutputType });
    expect(pattern.test(F.key.replace('processing-failed', 'made-up-failed'))).toBe(false);
    expect(pattern.test(F.key.replace('/05/', '/06/'))).toBe(false);
    // The old layout, errors/YYYY/MM/dd/HH/, is no longer where errors are.
    expect(pattern.test(F.key.replace('processing-failed/', ''))).toBe(false);
  });

  test('quoted literals and repeated fields in a timestamp expression', () => {
    const prefix = "e/!{timestamp:'year='yyyy'/month='MM}/!{firehose:error-output-type}/!{timestamp:dd}/";
    const key = objectKey({ prefix, deliveryStreamName: 'd', version: 2, oldestArrivalMs: at, extension: '', uuid });
    expect(key).toBe(`e/year=2026/month=11/processing-failed/25/d-2-2026-11-25-05-07-09-${uuid}`);
    expect(keyParts(keyPattern(prefix, 'd'), key)).toEqual({ hour: '2026/11/25/05', errorOutputType: 'processing-failed' });
  });

  test('objects are listed under the static part of a prefix', () => {
    expect(listingPrefix(S3_LAYOUT.errorPrefix)).toBe('errors/');
    expect(listingPrefix(S3_LAYOUT.dataPrefix)).toBe('nginx/');
  });
});
