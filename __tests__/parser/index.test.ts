import type { FirehoseTransformationResponse } from '../../facts/firehose-transformation';

type Handler = (event: unknown) => Promise<FirehoseTransformationResponse>;

/** Loads the Lambda entry point afresh with LOG_FORMAT set (or unset), as a cold start would. */
function load(logFormat: string | undefined): Handler {
  const saved = process.env.LOG_FORMAT;
  if (logFormat === undefined) delete process.env.LOG_FORMAT;
  else process.env.LOG_FORMAT = logFormat;
  try {
    let handler: Handler | undefined;
    jest.isolateModules(() => {
      // A fresh module per environment: the handler reads LOG_FORMAT once, at load.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = (require('../../functions/nginx-parser/index') as { handler: Handler }).handler;
    });
    return handler as Handler;
  } finally {
    if (saved === undefined) delete process.env.LOG_FORMAT;
    else process.env.LOG_FORMAT = saved;
  }
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('Lambda entry point', () => {
  it('exports a handler for nginx main and combined lines when LOG_FORMAT is unset', async () => {
    const res = await load(undefined)({
      records: [{ recordId: '1', data: b64('1.2.3.4 - - [22/Dec/2020:12:32:36 +0000] "GET / HTTP/1.1" 200 1 "-" "-"\n') }],
    });
    expect(res.records[0]?.result).toBe('Ok');
  });

  it('reads LOG_FORMAT once at load', async () => {
    const handler = load('$remote_addr [$time_local] $status');
    process.env.LOG_FORMAT = '$status';
    try {
      const res = await handler({ records: [{ recordId: '1', data: b64('1.2.3.4 [22/Dec/2020:12:32:36 +0000] 204\n') }] });
      expect(JSON.parse(Buffer.from(res.records[0]?.data ?? '', 'base64').toString())).toMatchObject({ host: '1.2.3.4', status: 204 });
    } finally {
      delete process.env.LOG_FORMAT;
    }
  });

  it('fails to load with an error naming LOG_FORMAT when the format is ambiguous', () => {
    expect(() => load('$remote_addr$status')).toThrow(/^LOG_FORMAT is not a usable nginx log_format \("\$remote_addr\$status"\): .*no text between them/);
  });
});
