/**
 * The Lambda entry point: a Firehose data-transformation handler turning nginx access-log lines into JSON lines.
 *
 * `LOG_FORMAT` (optional) is the nginx `log_format` string of the logs; unset or blank means nginx's `main` and
 * `combined` formats. It is read and compiled once, when the module loads.
 */
import { createHandler } from './handler';
import { createParser, type LineParser } from './parse';

function parserFromEnvironment(): LineParser {
  const logFormat = process.env.LOG_FORMAT;
  try {
    return createParser(logFormat);
  } catch (err) {
    throw new Error(`LOG_FORMAT is not a usable nginx log_format (${JSON.stringify(logFormat)}): ${(err as Error).message}`, { cause: err });
  }
}

// A CommonJS export, as the bundle is CommonJS: an ES `export` would make esbuild add its ~500-byte ESM interop.
export = { handler: createHandler(parserFromEnvironment()) };
