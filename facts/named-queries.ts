/**
 * Names of the Athena named queries the stack creates (`stacks/log-queries.ts`), for the tools that run some of them
 * by name (`npm start`'s summary). Framework-free, so the local runtime can import it without cdktf.
 */
export const NAMED_QUERY_NAMES = Object.freeze({
  requestsByHour: 'requests-and-5xx-by-hour',
  topUris: 'top-uris',
  topClientAddresses: 'top-client-addresses',
  slowestRequests: 'slowest-requests',
} as const);
