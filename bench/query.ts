/**
 * `npm run bench:query`: `npm run query` over 1,000,000 delivered lines in GZIP objects, as users run it: wall time
 * of each of the stack's named queries (a fresh process each run: start, DuckDB, read, answer) and its peak RSS.
 *
 *   npm run bench:query -- [--lines N] [--runs N]
 *
 * The objects are made once into .tmp/bench-query/ (kept for later runs): the shared generator's lines (5 % hostile),
 * parsed by the parser Lambda's core in 1,000-line batches, 5 MiB of NDJSON per object (Firehose's default buffer),
 * gzipped, spread over the last 12 hour folders, laid out as the embedded S3 stores them. Targets: every named
 * query ≤ 5 s, peak RSS ≤ 1 GB.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { FIREHOSE_API_DEFAULTS } from '../facts/aws-defaults';
import { createTransform } from '../functions/nginx-parser/handler';
import { createParser } from '../functions/nginx-parser/parse';
import { builtInLines, sharedGenerator } from '../pipeline/demo-log';
import { S3RVER_OBJECT_SUFFIX } from '../pipeline/emulators';
import { formatTimestamp } from '../facts/s3-layout';
import { listingPrefix } from '../pipeline/query/query';
import { projectRoot, readCatalogConfig, readStackConfig } from '../pipeline/stack-config';
import { printed, writeBenchSection } from './report';

/** Firehose's default S3 buffer: the size of each object it writes under steady load. */
const OBJECT_BYTES = FIREHOSE_API_DEFAULTS.bufferingSizeMBs * 1024 * 1024;
const HOURS = 12;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { lines: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' } } });
  const lines = Number(values.lines);
  const runs = Number(values.runs);
  const root = projectRoot(__dirname);
  const catalog = readCatalogConfig({ projectDir: root });
  const bucket = readStackConfig({ projectDir: root }).bucket;
  const dir = join(root, '.tmp', 'bench-query');
  const corpus = prepare(root, dir, bucket, listingPrefix(catalog.partition), lines);
  process.stderr.write(`${corpus.lines} parsed lines in ${corpus.objects} GZIP objects (${(corpus.bytes / 1e6).toFixed(1)} MB) in ${dir}\n`);

  const cli = join(root, 'dist', 'app', 'bin', 'query.js');
  const count = await run(cli, dir, 'SELECT count(*) AS n FROM logs');
  const n = (JSON.parse(count.stdout) as { n: number }[])[0]!.n;
  if (n !== corpus.lines) throw new Error(`the table has ${n} rows, the corpus ${corpus.lines} lines`);

  const results: { query: string; medianSeconds: number; runsSeconds: number[]; medianCpuSeconds: number; peakRssMb: number; rows: number }[] = [];
  for (const q of catalog.queries) {
    const times: number[] = [];
    const cpu: number[] = [];
    let rss = 0;
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const r = await run(cli, dir, q.name);
      times.push(r.seconds);
      cpu.push(r.cpuSeconds);
      rss = Math.max(rss, r.peakRssBytes);
      rows = (JSON.parse(r.stdout) as unknown[]).length;
    }
    results.push({ query: q.name, medianSeconds: median(times), runsSeconds: times, medianCpuSeconds: median(cpu), peakRssMb: rss / 1e6, rows });
  }
  const width = Math.max(...results.map((r) => r.query.length));
  const report = [
    `npm run query over ${corpus.lines} lines in ${corpus.objects} GZIP objects (${(corpus.bytes / 1e6).toFixed(1)} MB), ` +
      `${runs} runs each (a fresh process per run; targets ≤ 5 s, ≤ 1000 MB):`,
    ...results.map(
      (r) =>
        `  ${r.query.padEnd(width)}  ${r.medianSeconds.toFixed(2)} s (runs ${r.runsSeconds.map((s) => s.toFixed(2)).join(', ')})  ` +
        `CPU ${r.medianCpuSeconds.toFixed(2)} s  peak RSS ${r.peakRssMb.toFixed(0)} MB  ${r.rows} rows`,
    ),
    `load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(', ')} (wall times grow with it; CPU time much less)`,
  ];
  process.stderr.write(`${report.join('\n')}\n`);
  process.stderr.write(`wrote ${writeBenchSection(root, 'query', printed(report))}\n`);
  process.stdout.write(`${JSON.stringify({ lines: corpus.lines, objects: corpus.objects, gzipBytes: corpus.bytes, results })}\n`);
}

/** Writes the corpus unless the same one is there already; returns its size. */
function prepare(root: string, dir: string, bucket: string, prefix: string, lines: number): { lines: number; objects: number; bytes: number } {
  const marker = join(dir, 'corpus.json');
  if (existsSync(marker)) {
    const made = JSON.parse(readFileSync(marker, 'utf8')) as { requested: number; lines: number; objects: number; bytes: number };
    if (made.requested === lines) return made;
  }
  rmSync(dir, { recursive: true, force: true });
  // A few percent more raw lines than asked for: hostile ones fail to parse, and exactly `lines` are delivered.
  const rawLines = Math.ceil(lines * 1.05);
  const generated = spawnSync(process.execPath, [sharedGenerator(root), String(rawLines), '1', '--hostile=5'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const raw = (generated.status === 0 ? generated.stdout : [...builtInLines(rawLines, 5, 1)].join('')).split('\n');
  const transform = createTransform(createParser(), { log: () => undefined });
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  let parsed = 0;
  let objects = 0;
  let bytes = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pendingBytes === 0) return;
    // Spread over the last HOURS hour folders, newest last, as Firehose would have written them.
    const at = hour - (HOURS - 1 - (objects % HOURS)) * 3_600_000;
    const key = `${prefix}${formatTimestamp('yyyy/MM/dd/HH', at)}/bench-1-${formatTimestamp('yyyy-MM-dd-HH-mm-ss', at)}-${String(objects).padStart(8, '0')}.gz`;
    const body = gzipSync(Buffer.concat(pending));
    const file = join(dir, bucket, `${key}${S3RVER_OBJECT_SUFFIX}`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
    objects += 1;
    bytes += body.length;
    pending = [];
    pendingBytes = 0;
  };
  for (let i = 0; i < raw.length && parsed < lines; i += 1000) {
    const batch = raw.slice(i, i + 1000).filter((l) => l !== '');
    const out = transform({ records: batch.map((l, j) => ({ recordId: String(j), data: Buffer.from(`${l}\n`).toString('base64') })) });
    for (const r of out.records) {
      if (r.result !== 'Ok' || parsed === lines) continue;
      const data = Buffer.from(r.data, 'base64');
      if (pendingBytes + data.length > OBJECT_BYTES) flush();
      pending.push(data);
      pendingBytes += data.length;
      parsed += 1;
    }
  }
  flush();
  const made = { requested: lines, lines: parsed, objects, bytes };
  writeFileSync(marker, JSON.stringify(made));
  return made;
}

/**
 * One `npm run query` process: its output, wall time, CPU time (user + system; on a busy machine the wall time
 * grows, the CPU time much less) and peak RSS (VmHWM), both sampled every 20 ms.
 */
async function run(cli: string, dir: string, query: string): Promise<{ stdout: string; seconds: number; cpuSeconds: number; peakRssBytes: number }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [cli, '--dir', dir, '--json', query], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  let peak = 0;
  let cpu = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, vmHwm(child.pid));
    cpu = Math.max(cpu, cpuSeconds(child.pid));
  }, 20);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(sampler);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (code !== 0) throw new Error(`npm run query ${query} exited with ${code}:\n${stderr}`);
  return { stdout, seconds, cpuSeconds: cpu, peakRssBytes: peak };
}

/** User + system CPU seconds of a process so far (Linux /proc, 1/100 s ticks); 0 when unavailable. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function vmHwm(pid: number | undefined): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:query failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
