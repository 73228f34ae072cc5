/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of an emulator, for tests of retries and restarts with the
 * real SDK and the real wire protocol.
 *
 * It can: fail the next N requests with an HTTP error (e.g. 500 InternalFailure, 400 throttling), reset the next N
 * connections without a response, go down (refuse connections) and come back on the same port while the emulator
 * behind it keeps its data, and fail chosen entries of Kinesis PutRecords calls with
 * ProvisionedThroughputExceededException the way Kinesis does (the others are stored, the response lists both).
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { closeServer, EMULATOR_HOST, listen, type Emulator } from '../../pipeline/emulators';

/** An injected whole-request failure. */
export interface HttpFault {
  readonly status: number;
  /** The AWS error code (`__type`), e.g. `InternalFailure`, `ProvisionedThroughputExceededException`. */
  readonly code: string;
}

/** Chooses PutRecords entries to fail: `index` in the call, `call` counts PutRecords calls from 1. */
export type EntryFault = (entry: { readonly index: number; readonly data: Buffer }, call: number) => boolean;

/** A running fault proxy. */
export interface FaultProxy extends Emulator {
  /** Fails the next `count` requests with `fault` (default 500 InternalFailure). */
  failNext(count: number, fault?: HttpFault): void;
  /** Destroys the next `count` connections when their request arrives: the client sees a socket error. */
  resetNext(count: number): void;
  /** Fails PutRecords entries chosen by `fault` (until set to undefined). */
  failEntries(fault: EntryFault | undefined): void;
  /** Stops listening and drops every connection: the endpoint refuses connections. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Requests seen, entries failed on purpose, and so on. */
  readonly counters: { requests: number; injectedErrors: number; resets: number; failedEntries: number; putRecordsCalls: number };
}

/** Starts a proxy to `target` (an emulator endpoint) on a free 127.0.0.1 port. */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let failures: { count: number; fault: HttpFault } = { count: 0, fault: { status: 500, code: 'InternalFailure' } };
  let resets = 0;
  let entryFault: EntryFault | undefined;
  const counters = { requests: 0, injectedErrors: 0, resets: 0, failedEntries: 0, putRecordsCalls: 0 };

  const server = createServer((req, res) => {
    counters.requests++;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (resets > 0) {
        resets--;
        counters.resets++;
        req.socket.destroy();
        return;
      }
      if (failures.count > 0) {
        failures.count--;
        counters.injectedErrors++;
        sendAwsError(res, failures.fault);
        return;
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      if (entryFault && target.endsWith('.PutRecords')) {
        counters.putRecordsCalls++;
        void putRecordsWithFaults(req, res, body, entryFault, counters.putRecordsCalls);
        return;
      }
      forward(req.method ?? 'POST', req.url ?? '/', req.headers, body).then(
        (up) => relay(up.res, up.body, res),
        () => req.socket.destroy(),
      );
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function putRecordsWithFaults(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    fault: EntryFault,
    call: number,
  ): Promise<void> {
    const input = JSON.parse(body.toString('utf8')) as { Records: { Data: string }[] };
    const failing = input.Records.map((r, index) => fault({ index, data: Buffer.from(r.Data, 'base64') }, call));
    const passing = input.Records.filter((_, i) => !failing[i]);
    let results: unknown[] = [];
    let failedUpstream = 0;
    if (passing.length > 0) {
      const up = await forward(req.method ?? 'POST', req.url ?? '/', req.headers, Buffer.from(JSON.stringify({ ...input, Records: passing })));
      if (up.res.statusCode !== 200) {
        relay(up.res, up.body, res);
        return;
      }
      const out = JSON.parse(up.body.toString('utf8')) as { Records: unknown[]; FailedRecordCount: number };
      results = out.Records;
      failedUpstream = out.FailedRecordCount;
    }
    let next = 0;
    const merged = failing.map((fail) => {
      if (!fail) return results[next++];
      counters.failedEntries++;
      return {
        ErrorCode: 'ProvisionedThroughputExceededException',
        ErrorMessage: 'Rate exceeded for shard shardId-000000000000 (injected by the fault proxy).',
      };
    });
    const failedCount = failing.filter(Boolean).length + failedUpstream;
    const payload = JSON.stringify({ FailedRecordCount: failedCount, Records: merged });
    res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': Buffer.byteLength(payload) });
    res.end(payload);
  }

  function forward(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
  ): Promise<{ res: IncomingMessage; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path,
          headers: { ...headers, host: upstream.host, 'content-length': String(body.length) },
        },
        (upRes) => {
          const parts: Buffer[] = [];
          upRes.on('data', (c: Buffer) => parts.push(c));
          upRes.on('end', () => resolve({ res: upRes, body: Buffer.concat(parts) }));
          upRes.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  const port = await listen(server, 0);
  let isUp = true;
  return {
    endpoint: `http://${EMULATOR_HOST}:${port}`,
    port,
    counters,
    failNext(count, fault = { status: 500, code: 'InternalFailure' }) {
      failures = { count, fault };
    },
    resetNext(count) {
      resets = count;
    },
    failEntries(fault) {
      entryFault = fault;
    },
    async down() {
      if (!isUp) return;
      isUp = false;
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
    async up() {
      if (isUp) return;
      await listen(server, port);
      isUp = true;
    },
    async stop() {
      isUp = false;
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}

function relay(upRes: IncomingMessage, body: Buffer, res: ServerResponse): void {
  const headers = { ...upRes.headers, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  res.writeHead(upRes.statusCode ?? 502, headers);
  res.end(body);
}

function sendAwsError(res: ServerResponse, fault: HttpFault): void {
  const payload = JSON.stringify({ __type: fault.code, message: `injected by the fault proxy: ${fault.code}` });
  res.writeHead(fault.status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(payload),
    'x-amzn-ErrorType': fault.code,
  });
  res.end(payload);
}
