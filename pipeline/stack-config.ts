/**
 * Reads a synthesized stack (`cdktf.out/stacks/<name>/cdk.tf.json`) into the typed settings the local pipeline needs.
 *
 * The synthesized Terraform JSON is the one source of truth for names, shard count, buffering hints, processor
 * parameters, prefixes, compression and the parser's LOG_FORMAT. It is read as plain JSON: nothing here imports
 * cdktf, so `npm start` does not pay for loading the framework or the provider.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FIREHOSE_API_DEFAULTS, FIREHOSE_COMPRESSION_FORMATS, type CompressionFormat } from '../facts/aws-defaults';
import { EMULATOR_ACCOUNT_ID } from '../facts/emulator';
import { DEFAULT_LOCAL_STACK, DEFAULT_SYNTH_OUTDIR, stackJsonFile } from '../facts/synth-output';
import { blocks, firstBlock, isBlock, resourcesOfType, type TerraformBlock } from '../facts/terraform-json';
import { fromTerraformLiteral } from '../facts/terraform-literal';

/** The Kinesis Data Stream as the stack defines it. */
export interface StreamConfig {
  readonly name: string;
  readonly arn: string;
  /** Provisioned shard count; undefined for on-demand. */
  readonly shardCount?: number;
  readonly onDemand: boolean;
  readonly retentionHours?: number;
}

/** The Lambda transformation of the delivery stream. */
export interface ProcessorConfig {
  readonly lambdaArn: string;
  readonly bufferSizeMBs: number;
  readonly bufferIntervalSeconds: number;
  readonly retries: number;
}

/** The Firehose delivery stream and its extended S3 destination. */
export interface DeliveryConfig {
  readonly name: string;
  readonly arn: string;
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  readonly bufferingSizeMBs: number;
  readonly bufferingIntervalSeconds: number;
  readonly compressionFormat: CompressionFormat;
  /** An explicit `file_extension`; undefined means Firehose's default (`.gz` for GZIP, none when uncompressed). */
  readonly fileExtension?: string;
  readonly processor?: ProcessorConfig;
  /** Firehose's source-record backup (`s3_backup_mode = "Enabled"`): every record as it arrived, under `prefix`. */
  readonly backup?: BackupConfig;
}

/** Where and how the source-record backup is written. */
export interface BackupConfig {
  readonly prefix: string;
  readonly bufferingSizeMBs: number;
  readonly bufferingIntervalSeconds: number;
  readonly compressionFormat: CompressionFormat;
}

/** The parser Lambda. */
export interface LambdaConfig {
  readonly name: string;
  readonly arn: string;
  /** The nginx `log_format` the parser compiles at load; undefined means the parser's default formats. */
  readonly logFormat?: string;
  readonly environment: Readonly<Record<string, string>>;
}

/** Everything the local pipeline takes from one synthesized stack. */
export interface PipelineConfig {
  /** Where it was read from. */
  readonly source: string;
  readonly region: string;
  readonly stream: StreamConfig;
  readonly bucket: string;
  readonly delivery: DeliveryConfig;
  readonly lambda?: LambdaConfig;
}

/** Options for {@link readStackConfig}. */
export interface ReadStackConfigOptions {
  /** @default - 'localstack' */
  readonly stack?: string;
  /** The project directory the synth ran in. @default - process.cwd() */
  readonly projectDir?: string;
  /** Where `CDKTF_OUTDIR` (the synth's output folder, as the synth saw it) is looked up. @default - process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Path of a synthesized stack's Terraform JSON: `<CDKTF_OUTDIR or cdktf.out>/stacks/<stack>/cdk.tf.json`. */
export function stackJsonPath(opts: ReadStackConfigOptions = {}): string {
  return stackJsonFile(opts.projectDir ?? process.cwd(), opts.stack ?? DEFAULT_LOCAL_STACK, opts.env);
}

/** Reads and parses the synthesized stack's Terraform JSON; throws a clear error when it is missing or unexpected. */
export function readStackConfig(opts: ReadStackConfigOptions = {}): PipelineConfig {
  const path = stackJsonPath(opts);
  if (!existsSync(path)) {
    const outdir = (opts.env ?? process.env).CDKTF_OUTDIR?.trim() ? 'CDKTF_OUTDIR' : DEFAULT_SYNTH_OUTDIR;
    throw new Error(`${path} does not exist: run \`npm run synth\` first (it writes ${outdir}/stacks/<name>/cdk.tf.json)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message}): run \`npm run synth\` again`, { cause: err });
  }
  return parseStackConfig(json, path);
}

type Json = TerraformBlock;

/** Turns synthesized Terraform JSON into a {@link PipelineConfig}. `source` names the file in error messages. */
export function parseStackConfig(json: unknown, source = 'cdk.tf.json'): PipelineConfig {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (!isBlock(json)) return fail('expected a Terraform JSON object');
  const resources = isBlock(json.resource) ? json.resource : fail('has no "resource" block; is this a synthesized stack?');
  const region = providerRegion(json) ?? 'us-east-1';

  const deliveries = resourcesOf(resources, 'aws_kinesis_firehose_delivery_stream');
  if (deliveries.length !== 1) {
    fail(`expected exactly one aws_kinesis_firehose_delivery_stream, found ${deliveries.length}`);
  }
  const [deliveryId, firehose] = deliveries[0]!;
  const at = `aws_kinesis_firehose_delivery_stream.${deliveryId}`;
  if (firehose.destination !== undefined && firehose.destination !== 'extended_s3') {
    fail(`${at}.destination is ${JSON.stringify(firehose.destination)}; the local Firehose delivers to extended_s3 only`);
  }
  const s3 = firstBlock(firehose.extended_s3_configuration) ?? fail(`${at} has no extended_s3_configuration block`);
  const source_ = firstBlock(firehose.kinesis_source_configuration) ?? fail(`${at} has no kinesis_source_configuration (Kinesis stream as source)`);

  const streamEntry = referenced(resources, 'aws_kinesis_stream', source_.kinesis_stream_arn) ?? fail(`${at}.kinesis_source_configuration.kinesis_stream_arn does not refer to an aws_kinesis_stream`);
  const stream = streamConfig(streamEntry, region, fail);

  const bucketEntry = referenced(resources, 'aws_s3_bucket', s3.bucket_arn) ?? fail(`${at}.extended_s3_configuration.bucket_arn does not refer to an aws_s3_bucket`);
  const bucket = bucketName(bucketEntry, fail);

  const name = str(firehose.name) ?? fail(`${at}.name is missing`);
  const processor = processorConfig(s3, resources, region, at, fail);
  const compressionFormat = (str(s3.compression_format) ?? FIREHOSE_API_DEFAULTS.compressionFormat) as CompressionFormat;
  if (!FIREHOSE_COMPRESSION_FORMATS.includes(compressionFormat)) {
    fail(`${at}.extended_s3_configuration.compression_format ${JSON.stringify(compressionFormat)} is not a Firehose format`);
  }
  const backupMode = str(s3.s3_backup_mode);
  const backupBlock = backupMode === 'Enabled' ? firstBlock(s3.s3_backup_configuration) : undefined;
  if (backupMode === 'Enabled' && !backupBlock) fail(`${at} has s3_backup_mode Enabled but no s3_backup_configuration`);
  const backup: BackupConfig | undefined = backupBlock && {
    prefix: str(backupBlock.prefix) ?? '',
    bufferingSizeMBs:
      num(backupBlock.buffering_size, `${at}.s3_backup_configuration.buffering_size`, fail) ?? FIREHOSE_API_DEFAULTS.bufferingSizeMBs,
    bufferingIntervalSeconds:
      num(backupBlock.buffering_interval, `${at}.s3_backup_configuration.buffering_interval`, fail) ??
      FIREHOSE_API_DEFAULTS.bufferingIntervalSeconds,
    compressionFormat: (str(backupBlock.compression_format) ?? FIREHOSE_API_DEFAULTS.compressionFormat) as CompressionFormat,
  };
  const delivery: DeliveryConfig = {
    name,
    arn: `arn:aws:firehose:${region}:${EMULATOR_ACCOUNT_ID}:deliverystream/${name}`,
    prefix: str(s3.prefix) ?? '',
    errorOutputPrefix: str(s3.error_output_prefix) ?? '',
    bufferingSizeMBs: num(s3.buffering_size, `${at}.extended_s3_configuration.buffering_size`, fail) ?? FIREHOSE_API_DEFAULTS.bufferingSizeMBs,
    bufferingIntervalSeconds:
      num(s3.buffering_interval, `${at}.extended_s3_configuration.buffering_interval`, fail) ?? FIREHOSE_API_DEFAULTS.bufferingIntervalSeconds,
    compressionFormat,
    fileExtension: str(s3.file_extension) || undefined,
    processor,
    backup,
  };

  const lambdaEntry = processor ? referenced(resources, 'aws_lambda_function', processor.lambdaArn) : undefined;
  const lambda = lambdaEntry ? lambdaConfig(lambdaEntry, region, fail) : undefined;
  return Object.freeze({ source, region, stream, bucket, delivery, lambda });
}

function streamConfig([id, r]: [string, Json], region: string, fail: (w: string) => never): StreamConfig {
  const at = `aws_kinesis_stream.${id}`;
  const name = str(r.name) ?? fail(`${at}.name is missing`);
  const mode = str(firstBlock(r.stream_mode_details)?.stream_mode) ?? 'PROVISIONED';
  const onDemand = mode === 'ON_DEMAND';
  const shardCount = num(r.shard_count, `${at}.shard_count`, fail);
  if (!onDemand && (shardCount === undefined || shardCount < 1)) {
    fail(`${at} is PROVISIONED but shard_count is ${JSON.stringify(r.shard_count)}; expected a whole number ≥ 1`);
  }
  return {
    name,
    arn: `arn:aws:kinesis:${region}:${EMULATOR_ACCOUNT_ID}:stream/${name}`,
    shardCount: onDemand ? undefined : shardCount,
    onDemand,
    retentionHours: num(r.retention_period, `${at}.retention_period`, fail),
  };
}

function bucketName([id, r]: [string, Json], fail: (w: string) => never): string {
  const name = str(r.bucket);
  if (name) return name;
  // A bucket_prefix makes AWS generate a unique name; locally one fixed name derived from it does the same job.
  const prefix = str(r.bucket_prefix);
  if (prefix) return `${prefix}local`.toLowerCase();
  return fail(`aws_s3_bucket.${id} has neither bucket nor bucket_prefix`);
}

function processorConfig(s3: Json, resources: Json, region: string, at: string, fail: (w: string) => never): ProcessorConfig | undefined {
  const pc = firstBlock(s3.processing_configuration);
  if (!pc || pc.enabled === false || pc.enabled === 'false') return undefined;
  const processors = blocks(pc.processors).filter((p) => str(p.type) === 'Lambda');
  if (processors.length === 0) return undefined;
  if (processors.length > 1) fail(`${at} has ${processors.length} Lambda processors; Firehose allows one`);
  const params = new Map<string, string>();
  for (const p of blocks(processors[0]!.parameters)) {
    const k = str(p.parameter_name);
    const v = p.parameter_value;
    if (k === undefined || (typeof v !== 'string' && typeof v !== 'number')) {
      fail(`${at} has a processor parameter without parameter_name/parameter_value: ${JSON.stringify(p)}`);
    }
    params.set(k!, String(v));
  }
  const rawArn = params.get('LambdaArn') ?? fail(`${at}'s Lambda processor has no LambdaArn parameter`);
  const number = (key: string, dflt: number): number => {
    const v = params.get(key);
    if (v === undefined) return dflt;
    const n = Number(v);
    return Number.isFinite(n) ? n : fail(`${at} processor parameter ${key} is ${JSON.stringify(v)}, expected a number`);
  };
  return {
    lambdaArn: resolveArn(rawArn, resources, region),
    bufferSizeMBs: number('BufferSizeInMBs', FIREHOSE_API_DEFAULTS.processor.BufferSizeInMBs),
    bufferIntervalSeconds: number('BufferIntervalInSeconds', FIREHOSE_API_DEFAULTS.processor.BufferIntervalInSeconds),
    retries: number('NumberOfRetries', FIREHOSE_API_DEFAULTS.processor.NumberOfRetries),
  };
}

function lambdaConfig([id, r]: [string, Json], region: string, fail: (w: string) => never): LambdaConfig {
  const name = str(r.function_name) ?? fail(`aws_lambda_function.${id}.function_name is missing`);
  const vars = firstBlock(firstBlock(r.environment)?.variables) ?? {};
  const environment: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) {
    // The stack escapes ${ and %{ for Terraform (facts/terraform-literal.ts); the function sees the unescaped text.
    if (typeof v === 'string') environment[k] = fromTerraformLiteral(v);
    else if (typeof v === 'number' || typeof v === 'boolean') environment[k] = String(v);
  }
  return {
    name,
    arn: `arn:aws:lambda:${region}:${EMULATOR_ACCOUNT_ID}:function:${name}`,
    logFormat: environment.LOG_FORMAT || undefined,
    environment: Object.freeze(environment),
  };
}

/** A `${aws_lambda_function.x.arn}` reference (optionally `:$LATEST`) becomes the ARN the function has locally. */
function resolveArn(value: string, resources: Json, region: string): string {
  const ref = /^\$\{aws_lambda_function\.([^.}]+)\.(arn|qualified_arn)\}(.*)$/.exec(value);
  if (!ref) return value;
  const fn = isBlock(resources.aws_lambda_function) ? resources.aws_lambda_function[ref[1]!] : undefined;
  const name = isBlock(fn) ? str(fn.function_name) : undefined;
  return name ? `arn:aws:lambda:${region}:${EMULATOR_ACCOUNT_ID}:function:${name}${ref[3] ?? ''}` : value;
}

/** The resource an attribute points at (`${type.id.attr}`), or the only resource of that type. */
function referenced(resources: Json, type: string, value: unknown): [string, Json] | undefined {
  const all = resourcesOf(resources, type);
  if (typeof value === 'string') {
    const m = new RegExp(`\\$\\{${type}\\.([^.}]+)\\.`).exec(value);
    if (m) return all.find(([id]) => id === m[1]);
    const name = /:(?:stream\/|function:|::)([^:/]+)/.exec(value)?.[1];
    const byName = all.find(([, r]) => [r.name, r.function_name, r.bucket].includes(name));
    if (byName) return byName;
  }
  return all.length === 1 ? all[0] : undefined;
}

/** `[id, body]` of every resource of a type (the id without the type, as references name it). */
function resourcesOf(resources: Json, type: string): [string, Json][] {
  const group = resources[type];
  if (!isBlock(group)) return [];
  return resourcesOfType({ resource: { [type]: group as Readonly<Record<string, Json>> } }, type)
    .filter(([, body]) => isBlock(body))
    .map(([address, body]) => [address.slice(type.length + 1), body]);
}

function providerRegion(json: Json): string | undefined {
  const aws = isBlock(json.provider) ? json.provider.aws : undefined;
  return str(firstBlock(aws)?.region);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown, at: string, fail: (w: string) => never): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : fail(`${at} is ${JSON.stringify(v)}, expected a number (an unresolved reference cannot be used locally)`);
}

/** The project root: where package.json lives, found from a bundled entry point in dist/app/<dir>/. */
export function projectRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'cdktf.json'))) return dir;
    const parent = resolve(dir, '..');
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}

/** A column of the Glue table: its name and Hive type as synthesized. */
export interface TableColumn {
  readonly name: string;
  readonly type: string;
}

/** The projected partition column: its name, projection format and where each value's objects are. */
export interface PartitionProjection {
  readonly name: string;
  /** Java date pattern of the values (`projection.<name>.format`), e.g. `yyyy/MM/dd/HH`. */
  readonly format: string;
  /** First value of `projection.<name>.range` (the second is `NOW` for Firehose's layout). */
  readonly rangeStart: string;
  /**
   * `storage.location.template` below the bucket, with `${<name>}` where the value goes, e.g. `nginx/${datehour}/`;
   * the bucket is the delivery stream's, which the local tools take from the stack they run.
   */
  readonly keyTemplate: string;
}

/** One Athena named query as the stack defines it, its table references resolved to names. */
export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  /** The database the query runs in (Athena's default schema for unqualified names). */
  readonly database: string;
  /** Trino SQL, as Athena runs it. */
  readonly sql: string;
}

/** The Glue table over the delivered logs and the named queries over it, read from a synthesized stack. */
export interface CatalogConfig {
  /** The file they were read from. */
  readonly source: string;
  readonly database: string;
  readonly table: string;
  readonly columns: readonly TableColumn[];
  readonly partition: PartitionProjection;
  /** The Hive SerDe that reads the objects on AWS. */
  readonly serde: string;
  readonly queries: readonly NamedQuery[];
}

/**
 * Reads the Glue table and named queries of a synthesized stack. The `localstack` stack has none by default
 * (`CATALOG` is off there: LocalStack Community has no Glue or Athena), so when the stack asked for has no table the
 * `aws` stack of the same synth is read: both derive the table from the same `LOG_FORMAT` and prefix, so the table
 * is the one Athena would query over this data.
 */
export function readCatalogConfig(opts: ReadStackConfigOptions = {}): CatalogConfig {
  const stack = opts.stack ?? 'localstack';
  const candidates = stack === 'aws' ? ['aws'] : [stack, 'aws'];
  const tried: string[] = [];
  for (const name of candidates) {
    const path = stackJsonPath({ ...opts, stack: name });
    tried.push(path);
    if (!existsSync(path)) continue;
    const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (isBlock(json) && isBlock(json.resource) && resourcesOf(json.resource, 'aws_glue_catalog_table').length > 0) {
      return parseCatalogConfig(json, path);
    }
  }
  throw new Error(
    `no aws_glue_catalog_table in ${tried.join(' or ')}: run \`npm run synth\` (the aws stack has the catalog unless ` +
      'CATALOG=off; set CATALOG=on to give the localstack stack one too)',
  );
}

/** Turns synthesized Terraform JSON into a {@link CatalogConfig}. `source` names the file in error messages. */
export function parseCatalogConfig(json: unknown, source = 'cdk.tf.json'): CatalogConfig {
  const fail = (what: string): never => {
    throw new Error(`${source}: ${what}`);
  };
  if (!isBlock(json) || !isBlock(json.resource)) return fail('has no "resource" block; is this a synthesized stack?');
  const resources = json.resource;
  const tables = resourcesOf(resources, 'aws_glue_catalog_table');
  if (tables.length !== 1) fail(`expected exactly one aws_glue_catalog_table, found ${tables.length}`);
  const [id, t] = tables[0]!;
  const at = `aws_glue_catalog_table.${id}`;
  const resolve_ = (v: unknown, what: string): string => {
    const s = typeof v === 'string' ? resolveReferences(v, resources) : undefined;
    return s ?? fail(`${at}.${what} is ${JSON.stringify(v)}; expected a string known at synth`);
  };
  const table = resolve_(t.name, 'name');
  const database = resolve_(t.database_name, 'database_name');
  const storage = firstBlock(t.storage_descriptor) ?? fail(`${at} has no storage_descriptor`);
  const columns = blocks(storage.columns).map((c, i) => ({
    name: str(c.name) ?? fail(`${at}.storage_descriptor.columns[${i}] has no name`),
    type: str(c.type) ?? fail(`${at}.storage_descriptor.columns[${i}] has no type`),
  }));
  if (columns.length === 0) fail(`${at} has no columns`);
  const serde = str(firstBlock(storage.ser_de_info)?.serialization_library) ?? fail(`${at} has no ser_de_info.serialization_library`);

  const keys = blocks(t.partition_keys);
  if (keys.length !== 1) fail(`${at} has ${keys.length} partition keys; the local tools know Firehose's one projected hour`);
  const key = str(keys[0]!.name) ?? fail(`${at}.partition_keys[0] has no name`);
  const params = isBlock(t.parameters) ? t.parameters : fail(`${at} has no parameters (partition projection)`);
  const param = (name: string): string => str(params[name]) ?? fail(`${at}.parameters has no "${name}"`);
  if (param('projection.enabled') !== 'true') fail(`${at} does not use partition projection ("projection.enabled")`);
  if (param(`projection.${key}.type`) !== 'date') fail(`${at}: projection.${key}.type must be "date"`);
  const template = unescapeTerraform(param('storage.location.template'));
  const location = /^s3:\/\/[^/]+\/(.*)$/.exec(template);
  if (!location || !location[1]!.includes(`\${${key}}`)) {
    fail(`${at}: storage.location.template ${JSON.stringify(template)} is not s3://BUCKET/…\${${key}}…`);
  }
  const partition: PartitionProjection = {
    name: key,
    format: param(`projection.${key}.format`),
    rangeStart: param(`projection.${key}.range`).split(',')[0]!.trim(),
    keyTemplate: location![1]!,
  };

  const queries = resourcesOf(resources, 'aws_athena_named_query').map(([qid, q]): NamedQuery => {
    const qat = `aws_athena_named_query.${qid}`;
    const text = (v: unknown, what: string): string =>
      (typeof v === 'string' ? resolveReferences(v, resources) : undefined) ?? fail(`${qat}.${what} is not a string known at synth`);
    return {
      name: text(q.name, 'name'),
      description: typeof q.description === 'string' ? unescapeTerraform(q.description) : '',
      database: text(q.database, 'database'),
      sql: text(q.query, 'query'),
    };
  });
  return Object.freeze({ source, database, table, columns, partition, serde, queries });
}

/**
 * Replaces `${type.id.attribute}` references by the literal attribute of that resource (names set at synth) and
 * undoes Terraform's escapes (`$${` and `%%{`); undefined when a reference has no literal value.
 */
function resolveReferences(value: string, resources: Json): string | undefined {
  let unresolved = false;
  const out = value.replace(/(?<!\$)\$\{([a-z0-9_]+)\.([^.}]+)\.([a-z_]+)\}/g, (whole, type: string, id: string, attr: string) => {
    const group = resources[type];
    const r = isBlock(group) ? group[id] : undefined;
    const v = isBlock(r) ? r[attr] : undefined;
    if (typeof v === 'string' && !v.includes('${')) return v;
    unresolved = true;
    return whole;
  });
  return unresolved ? undefined : unescapeTerraform(out);
}

function unescapeTerraform(s: string): string {
  return s.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}
