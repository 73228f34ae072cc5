/**
 * `npm run bench:pipeline`: end-to-end lines/s of `npm start`, time to the first object and peak RSS, side by side
 * with the embedded Kinesis's bare PutRecords rate and stock kinesalite's, measured in the same run.
 *
 *   npm run bench:pipeline -- [--lines 200000] [--runs 7] [--compare-root DIR]
 *
 * Targets: end to end ≥ 0.8× the bare Kinesis rate; first object within the S3 buffer interval + 2 s; peak RSS ≤
 * 400 MB. Each end-to-end run is a real `npm start` process (`node <PIPELINE_NODE_FLAGS> dist/app/bin/start.js
 * --input FILE --quiet`); each bare run is a fresh process with the same node flags, client and emulator in it as in
 * npm start: once with the embedded Kinesis, once with stock kinesalite (the dev dependency the differential tests
 * use), so their ratio is measured on the same machine at the same time. `--compare-root DIR` also runs `npm start`
 * from another checkout (built, e.g. a `git worktree` of an earlier commit) in every run, for an end-to-end ratio
 * against it. The measurements of a run alternate in order from run to run to even out machine noise; every ratio
 * is the median of the runs' side-by-side ratios. It also reports the CPU time both cost (from /proc): end to end
 * can never go faster than the machine's cores divided by its CPU per line. The summary goes into
 * docs/performance.md.
 */
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kinesisClient } from '../pipeline/clients';
import { limitHeapGrowth, PIPELINE_NODE_FLAGS } from '../pipeline/heap';
import { writeDemoLog } from '../pipeline/demo-log';
import { closeServer, listen, startKinesis, type Emulator } from '../pipeline/emulators';
import type { RunSummary } from '../pipeline/run-pipeline';
import { spawn } from 'node:child_process';
import type { Server } from 'node:http';
import { once } from 'node:events';
import { MAX_BYTES_PER_CALL, MAX_RECORDS_PER_CALL } from '../pipeline/agent/shipper';
import { projectRoot, readStackConfig, type PipelineConfig } from '../pipeline/stack-config';
import { printed, writeBenchSection } from './report';

/** The shipper's default number of PutRecords calls in flight, so the bare rate is measured on equal terms. */
const IN_FLIGHT = 2;

/** A bare measurement: the rate, and the CPU the process (client and emulator) spent while it ran. */
interface BareFigures {
  recordsPerSec: number;
  cpuSeconds: number;
}

/** One `npm start` run, from its JSON summary and /proc. */
interface PipelineFigures {
  linesPerSec: number;
  firstObjectMs: number;
  /** Peak resident set (VmHWM). */
  peakRssMb: number;
  /** The whole life of the process, start-up included. */
  cpuSeconds: number;
}

/** One run: bare rates of the embedded Kinesis and stock kinesalite, and end-to-end runs (this checkout, another). */
interface RunFigures {
  bare: BareFigures;
  stock: BareFigures;
  e2e: PipelineFigures;
  compared?: PipelineFigures;
}

/** Which emulator a bare measurement runs against. */
type BareTarget = 'embedded' | 'kinesalite';

/** Stock kinesalite on 127.0.0.1, as the differential tests run it. */
async function startStockKinesalite(): Promise<Emulator> {
  // A dev dependency, loaded only for this comparison.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kinesalite = require('kinesalite') as (options: object) => Server;
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 50 });
  const port = await listen(server, 0);
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: () => closeServer(server) };
}

/**
 * An emulator's own PutRecords rate: the same lines in batches of 500 (within 5 MiB), two calls in flight like the
 * shipper, random partition keys, into a fresh emulator with the stack's shard count.
 */
async function bareKinesisRate(lines: Buffer[], config: PipelineConfig, target: BareTarget): Promise<BareFigures> {
  const kinesis = target === 'embedded' ? await startKinesis() : await startStockKinesalite();
  const client = kinesisClient({ endpoint: kinesis.endpoint, region: config.region });
  try {
    const stream = `bare-${randomBytes(4).toString('hex')}`;
    await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: config.stream.shardCount ?? 4 }));
    await waitUntilStreamExists({ client, maxWaitTime: 30, minDelay: 0.05 } as never, { StreamName: stream });
    const batches: Buffer[][] = [];
    let batch: Buffer[] = [];
    let bytes = 0;
    for (const l of lines) {
      if (batch.length === MAX_RECORDS_PER_CALL || bytes + l.length + 16 > MAX_BYTES_PER_CALL) {
        batches.push(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(l);
      bytes += l.length + 16;
    }
    if (batch.length) batches.push(batch);
    const started = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const b = batches[next++]!;
        const out = await client.send(
          new PutRecordsCommand({
            StreamName: stream,
            Records: b.map((d) => ({ Data: d, PartitionKey: randomBytes(8).toString('hex') })),
          }),
        );
        if (out.FailedRecordCount) throw new Error(`bare PutRecords: ${out.FailedRecordCount} records failed`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    return { recordsPerSec: lines.length / seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    client.destroy();
    await kinesis.stop();
  }
}

/** Peak resident set (Linux VmHWM) of a process, in bytes; 0 when unavailable. */
function peakRss(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/**
 * CPU time (user + system) a process has used so far, in seconds (Linux /proc, clock ticks of 1/100 s); NaN when
 * unavailable.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces: utime and stime are 12th/13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * One `npm start` run, exactly as users run it (`node <PIPELINE_NODE_FLAGS> dist/app/bin/start.js --input FILE
 * --quiet`, after synth), in its own process: its JSON summary line gives the rates, /proc its peak RSS and CPU.
 */
async function pipelineRun(input: string, root: string, lines: number): Promise<PipelineFigures> {
  // One line per record: the bare side writes one record per line too, so the two rates compare the same records.
  // A compared checkout from before aggregated records has no such flag: it always ships one line per record.
  const start = join(root, 'dist', 'app', 'bin', 'start.js');
  const oneLine = readFileSync(start, 'utf8').includes('one-line-per-record') ? ['--one-line-per-record'] : [];
  const args = [...PIPELINE_NODE_FLAGS, start, '--input', input, '--quiet', ...oneLine];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  let rss = 0;
  let cpu = 0;
  // Sampled every 50 ms until the process ends, so the CPU figure may miss its last 50 ms.
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    rss = Math.max(rss, peakRss(child.pid));
    cpu = Math.max(cpu, cpuSeconds(child.pid) || 0);
  }, 50);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(sampler);
  if (code !== 0) throw new Error(`npm start exited with ${code}:\n${stderr}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as RunSummary;
  // A compared checkout from before aggregated records reports only records, one per line.
  const shipped = summary.linesShipped ?? summary.recordsShipped;
  if (shipped !== lines) throw new Error(`shipped ${shipped} of ${lines} lines`);
  return {
    linesPerSec: lines / (summary.elapsedMs / 1000),
    firstObjectMs: summary.firstObjectMs ?? Number.NaN,
    peakRssMb: rss / 1e6,
    cpuSeconds: cpu,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Reads a log file into one record per line ("\n" kept), as the shipper sends them. */
function fileRecords(file: string): Buffer[] {
  const text = readFileSync(file);
  const records: Buffer[] = [];
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf(10, start);
    records.push(text.subarray(start, end + 1));
    start = end + 1;
  }
  return records;
}

/**
 * The bare rate measured in a fresh process with npm start's node flags, like each `npm start` run: a client warmed
 * up by earlier runs in this process would otherwise flatter the bare figure.
 */
async function bareInChild(input: string, root: string, target: BareTarget): Promise<BareFigures> {
  const args = [...PIPELINE_NODE_FLAGS, join(root, 'dist', 'app', 'bench', 'pipeline.js'), '--bare', input, '--target', target];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`bare measurement exited with ${code}`);
  return JSON.parse(out) as BareFigures;
}

/** One run: every measurement once, in an order that rotates from run to run. */
async function measure(input: string, root: string, lines: number, run: number, compareRoot?: string): Promise<RunFigures> {
  const steps: (() => Promise<void>)[] = [];
  const r: Partial<RunFigures> = {};
  steps.push(async () => void (r.bare = await bareInChild(input, root, 'embedded')));
  steps.push(async () => void (r.e2e = await pipelineRun(input, root, lines)));
  if (compareRoot) steps.push(async () => void (r.compared = await pipelineRun(input, compareRoot, lines)));
  steps.push(async () => void (r.stock = await bareInChild(input, root, 'kinesalite')));
  for (let i = 0; i < steps.length; i++) await steps[(i + run) % steps.length]!();
  return r as RunFigures;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '7' },
      bare: { type: 'string' },
      target: { type: 'string', default: 'embedded' },
      'compare-root': { type: 'string' },
    },
  });
  const root = projectRoot(__dirname);
  const config = readStackConfig({ projectDir: root });
  if (values.bare !== undefined) {
    // The same heap setting as npm start, so the bare rate is measured on equal terms.
    limitHeapGrowth();
    const target = values.target === 'kinesalite' ? 'kinesalite' : 'embedded';
    process.stdout.write(`${JSON.stringify(await bareKinesisRate(fileRecords(values.bare), config, target))}\n`);
    return;
  }
  const lines = Number(values.lines);
  const runs = Number(values.runs);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  try {
    const input = join(dir, 'access.log');
    await writeDemoLog(root, input, lines, 5);
    const all: RunFigures[] = [];
    for (let i = 0; i < runs; i++) {
      // Rotate the order so no measurement always runs on a warmer (or more fragmented) machine.
      const r = await measure(input, root, lines, i, values['compare-root']);
      all.push(r);
      process.stderr.write(
        `run ${i + 1}/${runs}: bare ${r.bare.recordsPerSec.toFixed(0)} records/s (stock kinesalite ${r.stock.recordsPerSec.toFixed(0)}), ` +
          `end to end ${r.e2e.linesPerSec.toFixed(0)} lines/s` +
          (r.compared ? ` (compared checkout ${r.compared.linesPerSec.toFixed(0)}, peak RSS ${r.compared.peakRssMb.toFixed(0)} MB)` : '') +
          ' ' +
          `(${(r.e2e.linesPerSec / r.bare.recordsPerSec).toFixed(2)}×), first object ${(r.e2e.firstObjectMs / 1000).toFixed(2)} s, ` +
          `peak RSS ${r.e2e.peakRssMb.toFixed(0)} MB, CPU bare ${r.bare.cpuSeconds.toFixed(2)} s / end to end ${r.e2e.cpuSeconds.toFixed(2)} s\n`,
      );
    }
    const firstTarget = (config.delivery.bufferingIntervalSeconds + 2) * 1000;
    const bare = median(all.map((r) => r.bare.recordsPerSec));
    const e2e = median(all.map((r) => r.e2e.linesPerSec));
    // Each run's pair was measured side by side: the ratio is the median of the runs' ratios.
    const ratios = all.map((r) => r.e2e.linesPerSec / r.bare.recordsPerSec);
    const ratio = median(ratios);
    const stockRatio = median(all.map((r) => r.bare.recordsPerSec / r.stock.recordsPerSec));
    const stock = median(all.map((r) => r.stock.recordsPerSec));
    const compared = all.every((r) => r.compared) ? median(all.map((r) => r.e2e.linesPerSec / r.compared!.linesPerSec)) : undefined;
    const first = median(all.map((r) => r.e2e.firstObjectMs));
    const rss = Math.max(...all.map((r) => r.e2e.peakRssMb));
    const rssRange = [Math.min(...all.map((r) => r.e2e.peakRssMb)), rss];
    const msPerK = (seconds: number): number => Number(((seconds / lines) * 1e6).toFixed(1));
    const bareCpu = msPerK(median(all.map((r) => r.bare.cpuSeconds)));
    const e2eCpu = msPerK(median(all.map((r) => r.e2e.cpuSeconds)));
    const cores = availableParallelism();
    const ceiling = cores / (e2eCpu / 1e6);
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    const report = [
        '',
        `pipeline benchmark: ${lines} lines (5% hostile), ${runs} runs, medians; stack ${config.source}`,
        `  bare Kinesis PutRecords (client and embedded Kinesis in one process, ${IN_FLIGHT} calls in flight)  ${bare.toFixed(0)} records/s`,
        `  the same against stock kinesalite                       ${stock.toFixed(0)} records/s: embedded ÷ kinesalite = ${stockRatio.toFixed(2)}×`,
        ...(compared === undefined ? [] : [`  end to end ÷ the compared checkout's (${values['compare-root']})   ${compared.toFixed(2)}×`]),
        `  end to end, npm start (ship → Kinesis → Firehose → Lambda → S3)   ${e2e.toFixed(0)} lines/s = ${ratio.toFixed(2)}× bare ` +
          `(runs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})  [target ≥ 0.80: ${verdict(ratio >= 0.8)}]`,
        `  time to first object                                    ${(first / 1000).toFixed(2)} s  [target ≤ ${firstTarget / 1000} s: ${verdict(first <= firstTarget)}]`,
        `  peak RSS                                                ${rss.toFixed(0)} MB (runs ${rssRange[0]!.toFixed(0)}–${rss.toFixed(0)})  [target ≤ 400 MB: ${verdict(rss <= 400)}]`,
        `  CPU per 1,000 lines: bare ${bareCpu} ms, end to end ${e2eCpu} ms (start-up included); on ${cores} cores end to end ` +
          `can reach at most ${(ceiling / 1000).toFixed(1)}k lines/s = ${(ceiling / bare).toFixed(2)}× bare`,
        '',
      ];
    process.stderr.write(report.join('\n'));
    const perRun = all.map(
      (r, i) =>
        `  run ${i + 1}: bare ${r.bare.recordsPerSec.toFixed(0)} records/s, end to end ${r.e2e.linesPerSec.toFixed(0)} lines/s ` +
        `(${(r.e2e.linesPerSec / r.bare.recordsPerSec).toFixed(2)}×), peak RSS ${r.e2e.peakRssMb.toFixed(0)} MB`,
    );
    process.stderr.write(`wrote ${writeBenchSection(root, 'pipeline', printed([...report, ...perRun]))}\n`);
    const summary = { lines, runs, cores, bareRecordsPerSec: Math.round(bare), stockKinesaliteRecordsPerSec: Math.round(stock), bareOverStock: stockRatio, e2eOverCompared: compared, e2eLinesPerSec: Math.round(e2e), ratio, ratios, firstObjectMs: first, peakRssMb: rss, bareCpuMsPerK: bareCpu, e2eCpuMsPerK: e2eCpu };
    process.stdout.write(`${JSON.stringify({ ...summary, runsDetail: all })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
