// Type declarations for the two npm emulators, which ship none. Only what pipeline/emulators.ts uses.

declare module 'kinesalite' {
  import type { Server } from 'node:http';

  /** Options of kinesalite 3.x (`kinesalite --help`); times are how long a stream stays in a transitional state. */
  interface KinesaliteOptions {
    /** LevelDB directory; omitted means in-memory (memdown), which is what we use: leveldown is not built here. */
    path?: string;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }

  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}

declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
    httpServer?: Server;
  }
  export = S3rver;
}
