/**
 * The JSON every parsed line becomes: the keys it starts with and their types. The parser writes them, the Glue
 * table declares them, `verify` checks them.
 */

/**
 * The original schema's keys, in its order and spelling: `refferer` is misspelled there and kept so queries written
 * against it keep working.
 */
export const ORIGINAL_SCHEMA_KEYS = ['host', 'timestamp', 'request', 'uri', 'status', 'size', 'verb', 'refferer', 'useragent'] as const;

/** Every parsed line starts with these keys, in this order: the original schema's, then `protocol`. */
export const LEADING_KEYS = [...ORIGINAL_SCHEMA_KEYS, 'protocol'] as const;
export type LeadingKey = (typeof LEADING_KEYS)[number];

/**
 * The JSON type of each leading key's value when it is not `null`: `timestamp` is UTC `YYYY-MM-DDTHH:mm:ss`;
 * `status` and `size` are numbers when nginx wrote one clean number and strings otherwise.
 */
export const LEADING_KEY_TYPES: { readonly [K in LeadingKey]: 'string' | 'number' | 'timestamp' } = {
  host: 'string',
  timestamp: 'timestamp',
  request: 'string',
  uri: 'string',
  status: 'number',
  size: 'number',
  verb: 'string',
  refferer: 'string',
  useragent: 'string',
  protocol: 'string',
};
