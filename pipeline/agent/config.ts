/**
 * Our agent's configuration file (`/etc/nginx-log-agent/config.json`): its shape, its defaults and its validation.
 *
 * Framework-free: the stack renders it from the synthesized resources (`npm run agent-config`), the agent reads and
 * checks it at start, and both share this one definition.
 */
import { AGGREGATION_DEFAULTS } from './aggregator';
import { AGENT_METRICS, AGENT_PATHS } from './defaults';
import type { InitialPosition } from './tail';

/** The configuration file as written (JSON). */
export interface LogAgentConfig {
  /** The Kinesis data stream. */
  readonly stream: string;
  readonly region: string;
  /** A Kinesis endpoint other than AWS's (LocalStack, an emulator). @default - AWS's regional endpoint */
  readonly kinesisEndpoint?: string;
  /** Access logs to tail, each through rotation (rename and copytruncate). */
  readonly files: readonly string[];
  /** The parser Lambda's `LOG_FORMAT` (lines are checked against it). @default - nginx `main` and `combined` */
  readonly logFormat?: string;
  /** One line per record, the Kinesis Agent's way. @default false */
  readonly oneLinePerRecord?: boolean;
  /** @default AGGREGATION_DEFAULTS.maxRecordBytes */
  readonly maxRecordBytes?: number;
  /** @default AGGREGATION_DEFAULTS.maxBufferAgeMillis */
  readonly maxBufferAgeMillis?: number;
  /** Where to start a file with no checkpoint yet. @default 'START_OF_FILE' */
  readonly initialPosition?: InitialPosition;
  /** @default AGENT_PATHS.stateDirectory */
  readonly checkpointDirectory?: string;
  readonly metrics?: {
    /** @default true */
    readonly enabled?: boolean;
    /** @default AGENT_METRICS.namespace */
    readonly namespace?: string;
    /** @default - AWS's regional CloudWatch endpoint */
    readonly endpoint?: string;
    /** @default AGENT_METRICS.intervalSeconds */
    readonly intervalSeconds?: number;
  };
}

/** The configuration with every default applied. */
export interface ResolvedLogAgentConfig {
  readonly stream: string;
  readonly region: string;
  readonly kinesisEndpoint?: string;
  readonly files: readonly string[];
  readonly logFormat?: string;
  readonly oneLinePerRecord: boolean;
  readonly maxRecordBytes: number;
  readonly maxBufferAgeMillis: number;
  readonly initialPosition: InitialPosition;
  readonly checkpointDirectory: string;
  readonly metrics: { readonly enabled: boolean; readonly namespace: string; readonly endpoint?: string; readonly intervalSeconds: number };
}

/**
 * Checks a parsed configuration file and applies the defaults; throws one error listing every problem, each with what
 * was expected and what was found. `source` names the file in the message.
 */
export function resolveLogAgentConfig(value: unknown, source = 'config'): ResolvedLogAgentConfig {
  const problems: string[] = [];
  const v = (typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
  if (v !== value) problems.push(`expected a JSON object, got ${JSON.stringify(value)}`);
  const str = (key: string, required: boolean): string | undefined => {
    const x = v[key];
    if (x === undefined && !required) return undefined;
    if (typeof x === 'string' && x.trim() !== '') return x;
    problems.push(`"${key}" must be a non-empty string, got ${JSON.stringify(x)}`);
    return undefined;
  };
  const int = (obj: Record<string, unknown>, key: string, min: number, max: number, fallback: number): number => {
    const x = obj[key];
    if (x === undefined) return fallback;
    if (typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max) return x;
    problems.push(`"${key}" must be a whole number ${min}–${max}, got ${JSON.stringify(x)}`);
    return fallback;
  };
  const stream = str('stream', true) ?? '';
  const region = str('region', true) ?? '';
  const kinesisEndpoint = str('kinesisEndpoint', false);
  const logFormat = v.logFormat === undefined ? undefined : str('logFormat', false);
  const files = v.files;
  if (!Array.isArray(files) || files.length === 0 || !files.every((f) => typeof f === 'string' && f.startsWith('/'))) {
    problems.push(`"files" must be a non-empty list of absolute paths, got ${JSON.stringify(files)}`);
  }
  const oneLine = v.oneLinePerRecord;
  if (oneLine !== undefined && typeof oneLine !== 'boolean') problems.push(`"oneLinePerRecord" must be true or false, got ${JSON.stringify(oneLine)}`);
  const position = v.initialPosition ?? 'START_OF_FILE';
  if (position !== 'START_OF_FILE' && position !== 'END_OF_FILE') {
    problems.push(`"initialPosition" must be "START_OF_FILE" or "END_OF_FILE", got ${JSON.stringify(position)}`);
  }
  const m = (typeof v.metrics === 'object' && v.metrics !== null ? v.metrics : {}) as Record<string, unknown>;
  if (m.enabled !== undefined && typeof m.enabled !== 'boolean') problems.push(`"metrics.enabled" must be true or false, got ${JSON.stringify(m.enabled)}`);
  const config: ResolvedLogAgentConfig = {
    stream,
    region,
    kinesisEndpoint,
    files: Array.isArray(files) ? (files as string[]) : [],
    logFormat,
    oneLinePerRecord: oneLine === true,
    maxRecordBytes: int(v, 'maxRecordBytes', 1, 1024 * 1024 - 16, AGGREGATION_DEFAULTS.maxRecordBytes),
    maxBufferAgeMillis: int(v, 'maxBufferAgeMillis', 100, 900_000, AGGREGATION_DEFAULTS.maxBufferAgeMillis),
    initialPosition: position as InitialPosition,
    checkpointDirectory: (v.checkpointDirectory === undefined ? undefined : str('checkpointDirectory', false)) ?? AGENT_PATHS.stateDirectory,
    metrics: {
      enabled: m.enabled !== false,
      namespace: typeof m.namespace === 'string' && m.namespace !== '' ? m.namespace : AGENT_METRICS.namespace,
      endpoint: typeof m.endpoint === 'string' ? m.endpoint : undefined,
      intervalSeconds: int(m, 'intervalSeconds', 1, 3600, AGENT_METRICS.intervalSeconds),
    },
  };
  if (problems.length > 0) throw new Error(`${source} is not a valid nginx-log-agent configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
