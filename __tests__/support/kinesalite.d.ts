// Type declarations for kinesalite, which ships none: the stock emulator the differential tests compare ours with.

declare module 'kinesalite' {
  import type { Server } from 'node:http';

  /** Options of kinesalite 3.x (`kinesalite --help`); times are how long a stream stays in a transitional state. */
  interface KinesaliteOptions {
    /** LevelDB directory; omitted means in-memory (memdown), which is what the tests use: leveldown is not built here. */
    path?: string;
    createStreamMs?: number;
    deleteStreamMs?: number;
    updateStreamMs?: number;
    shardLimit?: number;
  }

  function kinesalite(options?: KinesaliteOptions): Server;
  export = kinesalite;
}
