/**
 * The embedded Kinesis's HTTP front: AWS JSON 1.1 (`POST /`, `X-Amz-Target: Kinesis_20131202.<Operation>`,
 * `Content-Type: application/x-amz-json-1.1`) on `node:http`, answering malformed, unsigned and unknown requests as
 * Kinesis does (the order of the checks and the answers are kinesalite's record of the service).
 *
 * Signatures are required to be present and well-formed but are not verified, like every Kinesis emulator: any
 * credentials work. CBOR (`application/x-amz-cbor-1.1`, the AWS SDK for Java's default) is refused with a message
 * saying how to turn it off; the AWS SDK for JavaScript v3 and the AWS CLI send JSON.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { KinesisError } from './errors';
import { SHAPES, type Operation } from './shapes';
import { KinesisStore, type KinesisStoreOptions, type PutEntry } from './store';
import { validate } from './validation';

const AMZ_JSON = 'application/x-amz-json-1.1';
const AMZ_CBOR = 'application/x-amz-cbor-1.1';
const SERVICE = 'Kinesis_20131202';
/** The largest request body taken (PutRecords' 5 MiB in base64 and JSON, with room). */
const MAX_REQUEST_BYTES = 7 * 1024 * 1024;
/** Operations of the Kinesis API this emulator does not implement: named in their error, unlike unknown ones. */
const NOT_IMPLEMENTED = new Set([
  'AddTagsToStream', 'ListTagsForStream', 'RemoveTagsFromStream', 'MergeShards', 'SplitShard', 'UpdateShardCount',
  'EnableEnhancedMonitoring', 'DisableEnhancedMonitoring', 'StartStreamEncryption', 'StopStreamEncryption',
  'RegisterStreamConsumer', 'DeregisterStreamConsumer', 'DescribeStreamConsumer', 'ListStreamConsumers',
  'SubscribeToShard', 'UpdateStreamMode', 'DescribeLimits',
]);
const CBOR_REFUSED =
  'This embedded Kinesis speaks AWS JSON 1.1 only, not CBOR (application/x-amz-cbor-1.1). The AWS SDK for JavaScript ' +
  'and the AWS CLI send JSON; turn CBOR off in the AWS SDK for Java (and the KCL) with AWS_CBOR_DISABLE=true (v1) or ' +
  'aws.cborEnabled=false (v2).';

/** Runs one operation on the store with a validated request: an object to send as JSON, a ready body, or nothing. */
function run(store: KinesisStore, op: Operation, data: Record<string, unknown>, region: string): object | Buffer | void {
  const d = data as never;
  switch (op) {
    case 'CreateStream':
      return store.createStream(d, region);
    case 'DeleteStream':
      return store.deleteStream(d);
    case 'DescribeStream':
      return store.describeStream(d);
    case 'DescribeStreamSummary':
      return store.describeStreamSummary(d);
    case 'ListStreams':
      return store.listStreams(d);
    case 'ListShards':
      return store.listShards(d);
    case 'PutRecord':
      return store.putRecord(d);
    case 'PutRecords':
      return store.putRecords(data as { StreamName: string; Records: PutEntry[] });
    case 'GetShardIterator':
      return store.getShardIterator(d);
    case 'GetRecords':
      return store.getRecords(d);
    case 'IncreaseStreamRetentionPeriod':
      return store.changeRetention(d, true);
    case 'DecreaseStreamRetentionPeriod':
      return store.changeRetention(d, false);
  }
}

/** A CBOR map of text strings: enough to tell a CBOR client why it is refused. */
function cborMap(entries: Record<string, string>): Buffer {
  const parts: Buffer[] = [Buffer.from([0xa0 + Object.keys(entries).length])];
  const text = (s: string): void => {
    const b = Buffer.from(s, 'utf8');
    const n = b.length;
    parts.push(n < 24 ? Buffer.from([0x60 + n]) : n < 256 ? Buffer.from([0x78, n]) : Buffer.from([0x79, n >> 8, n & 0xff]));
    parts.push(b);
  };
  for (const [k, v] of Object.entries(entries)) {
    text(k);
    text(v);
  }
  return Buffer.concat(parts);
}

function send(res: ServerResponse, status: number, body: string | Buffer, contentType?: string): void {
  res.statusCode = status;
  if (contentType) res.setHeader('Content-Type', contentType);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, data: object, contentType = AMZ_JSON): void {
  send(res, status, JSON.stringify(data), contentType);
}

/** Errors before the content type is known come as XML; a numeric `msg` is a bare status. */
function sendXmlError(res: ServerResponse, type: string, msg: string | number): void {
  if (typeof msg === 'number') send(res, msg, `<${type}/>\n`);
  else send(res, 403, `<${type}>\n  <Message>${msg}</Message>\n</${type}>\n`);
}

/** `Unable to determine…`, `Missing Authentication Token`, or which signature parts are missing; undefined if signed. */
function signatureProblem(req: IncomingMessage): KinesisError | undefined {
  const authHeader = req.headers.authorization;
  const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
  const authQuery = query.has('X-Amz-Algorithm');
  if (authHeader && authQuery) {
    return new KinesisError('InvalidSignatureException', "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
  }
  if (!authHeader && !authQuery) return new KinesisError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  let msg = '';
  if (authHeader) {
    const params = new Map<string, string | undefined>();
    for (const x of authHeader.split(/,| /).slice(1).filter(Boolean)) {
      const [k, v] = x.trim().split('=');
      params.set(k!, v);
    }
    for (const p of ['Credential', 'Signature', 'SignedHeaders']) {
      if (!params.get(p)) msg += `Authorization header requires '${p}' parameter. `;
    }
    if (!req.headers['x-amz-date'] && !req.headers.date) {
      msg += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ";
    }
    if (msg) msg += `Authorization=${authHeader}`;
  } else {
    for (const p of ['X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date']) {
      if (!query.get(p)) msg += `AWS query-string parameters must include '${p}'. `;
    }
    if (msg) msg += 'Re-examine the query-string parameters.';
  }
  return msg ? new KinesisError('IncompleteSignatureException', msg) : undefined;
}

/** The region of the request's SigV4 credential scope (`AKID/20250101/us-east-1/kinesis/aws4_request`). */
function regionOf(req: IncomingMessage): string {
  const credential = /Credential=([^,\s]+)/.exec(req.headers.authorization ?? '')?.[1]
    ?? new URL(req.url ?? '/', 'http://localhost').searchParams.get('X-Amz-Credential') ?? '';
  return credential.split('/')[2] || 'us-east-1';
}

function handle(store: KinesisStore, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  res.setHeader('x-amzn-RequestId', randomUUID());
  const origin = req.headers.origin;
  if (req.method !== 'OPTIONS' || !origin) res.setHeader('x-amz-id-2', randomBytes(72).toString('base64'));
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      const headers = req.headers['access-control-request-headers'];
      const method = req.headers['access-control-request-method'];
      if (headers) res.setHeader('Access-Control-Allow-Headers', headers);
      if (method) res.setHeader('Access-Control-Allow-Methods', method);
      res.setHeader('Access-Control-Max-Age', 172800);
      send(res, 200, '');
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', 'x-amzn-RequestId,x-amzn-ErrorType,x-amz-request-id,x-amz-id-2,x-amzn-ErrorMessage,Date');
  }
  if (req.method !== 'POST') return sendXmlError(res, 'AccessDeniedException', 'Unable to determine service/operation name to be authorized');

  const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const [service, operation] = String(req.headers['x-amz-target'] ?? '').split('.');
  const serviceValid = service === SERVICE;
  const operationValid = operation !== undefined && Object.hasOwn(SHAPES, operation);
  const knownOperation = operationValid || NOT_IMPLEMENTED.has(operation ?? '');

  if (contentType === AMZ_CBOR) {
    send(res, 400, cborMap({ __type: 'SerializationException', message: CBOR_REFUSED }), AMZ_CBOR);
    return;
  }
  if (body.length === 0) {
    // No body: the type is all Kinesis answers, in JSON only if the request was JSON (CBOR otherwise).
    const type = serviceValid && knownOperation ? 'SerializationException' : 'UnknownOperationException';
    if (contentType === AMZ_JSON) sendJson(res, 400, { __type: type });
    else send(res, 400, cborMap({ __type: type }), AMZ_CBOR);
    return;
  }
  if (contentType !== AMZ_JSON && contentType !== 'application/json') {
    if (!service || !operation) return sendXmlError(res, 'AccessDeniedException', 'Unable to determine service/operation name to be authorized');
    return sendXmlError(res, 'UnknownOperationException', 404);
  }
  let data: unknown;
  try {
    data = JSON.parse(body.toString('utf8'));
  } catch {
    data = undefined;
  }
  if (typeof data !== 'object' || data === null) {
    if (contentType === 'application/json') {
      return sendJson(res, 400, { Output: { __type: 'com.amazon.coral.service#SerializationException' }, Version: '1.0' }, contentType);
    }
    return sendJson(res, 400, { __type: 'SerializationException' });
  }
  // Plain JSON reaches no operation.
  if (contentType === 'application/json') {
    return sendJson(res, 404, { Output: { __type: 'com.amazon.coral.service#UnknownOperationException' }, Version: '1.0' }, contentType);
  }
  if (!serviceValid || !operationValid) {
    if (serviceValid && NOT_IMPLEMENTED.has(operation ?? '')) {
      return sendJson(res, 400, { __type: 'UnknownOperationException', message: `${operation} is not implemented by the embedded Kinesis` });
    }
    return sendJson(res, 400, { __type: 'UnknownOperationException' });
  }
  const unsigned = signatureProblem(req);
  if (unsigned) return sendJson(res, unsigned.statusCode, unsigned.body);

  try {
    const op = operation as Operation;
    const clean = validate(data as Record<string, unknown>, SHAPES[op]);
    const out = run(store, op, clean, regionOf(req));
    if (Buffer.isBuffer(out)) send(res, 200, out, AMZ_JSON);
    // Operations with no result answer with an empty body, as Kinesis does.
    else if (out === undefined) send(res, 200, '', AMZ_JSON);
    else sendJson(res, 200, out);
  } catch (err) {
    if (!(err instanceof KinesisError)) throw err;
    sendJson(res, err.statusCode, err.body);
  }
}

/** An HTTP server in front of a store; not listening yet. */
export function createKinesisServer(store: KinesisStore): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    let length = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      length += chunk.length;
      if (length > MAX_REQUEST_BYTES) {
        refused = true;
        res.statusCode = 413;
        res.setHeader('Transfer-Encoding', 'chunked');
        res.end();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (refused) return;
      try {
        handle(store, req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
      } catch (err) {
        // A defect here, not bad input: answer as the service does to an internal error and keep serving.
        sendJson(res, 500, { __type: 'InternalFailure', message: (err as Error).message });
      }
    });
  });
}

export { KinesisStore, type KinesisStoreOptions };
