// Type declarations for s3rver, which ships none. Only what pipeline/emulators.ts uses.

declare module 's3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  interface S3rverOptions {
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    /** Creates the buckets in `configureBuckets` (README: "without going through S3's API"). */
    configureBuckets(): Promise<void>;
    /** A request listener for `http.createServer()` (README: `s3rver.callback()`). */
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  }
  export = S3rver;
}
