/**
 * `npm run bench:pipeline`: end-to-end lines/s of `npm start`, time to the first object and peak RSS, side by side
 * with the embedded Kinesis's bare PutRecords rate measured in the same run with nothing else running.
 *
 *   npm run bench:pipeline -- [--lines 200000] [--runs 3]
 *
 * Targets (issue 5): end to end ≥ 0.8× the bare Kinesis rate; first object within the S3 buffer interval + 2 s;
 * peak RSS ≤ 400 MB. The pipeline runs are real `npm start` processes (`dist/app/bin/start.js --input FILE`), in both
 * modes: the default (kinesalite inside npm start's process) and `--kinesis-process` (kinesalite in its own). Each
 * mode's bare rate is measured the same way it runs: client and kinesalite in one process, or kinesalite in its own;
 * bare and end to end alternate in order from run to run to even out machine noise, and the report gives medians.
 * It also reports the CPU time both measurements cost (from /proc): end to end can never go faster than the
 * machine's cores divided by its CPU per line, which is what bounds the ratio on a small machine.
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
import { startKinesis } from '../pipeline/emulators';
import { startKinesisProcess } from '../pipeline/kinesis-process';
import type { RunSummary } from '../pipeline/run-pipeline';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { MAX_BYTES_PER_CALL, MAX_RECORDS_PER_CALL } from '../pipeline/shipper';
import { projectRoot, readStackConfig, type PipelineConfig } from '../pipeline/stack-config';

/** The shipper's default number of PutRecords calls in flight, so the bare rate is measured on equal terms. */
const IN_FLIGHT = 2;

/** A bare measurement: the rate, and the CPU the client and the emulator spent while it ran. */
interface BareFigures {
  recordsPerSec: number;
  clientCpuSeconds: number;
  /** 0 when kinesalite ran inside the client's process (its CPU is in the client's). */
  emulatorCpuSeconds: number;
}

/** One `npm start` run, from its JSON summary and /proc. */
interface PipelineFigures {
  linesPerSec: number;
  firstObjectMs: number;
  /** npm start's own process (VmHWM). */
  mainPeakRssMb: number;
  /** The Kinesis emulator process, when there is one (VmHWM); 0 otherwise. */
  emulatorPeakRssMb: number;
  /** npm start's process plus the emulator's, whole lives (start-up included). */
  cpuSeconds: number;
}

/** One mode of `npm start` measured once: its bare Kinesis rate and its end-to-end run. */
interface ModeFigures {
  bare: BareFigures;
  e2e: PipelineFigures;
}

type Mode = 'default' | 'kinesis-process';

/**
 * The embedded Kinesis's own PutRecords rate: the same lines in batches of 500 (within 5 MiB), two calls in flight
 * like the shipper, random partition keys, into a fresh kinesalite with the stack's shard count.
 */
async function bareKinesisRate(lines: Buffer[], config: PipelineConfig, root: string, inProcess = false): Promise<BareFigures> {
  const kinesis = inProcess ? await startKinesis() : await startKinesisProcess(root);
  const emulatorCpu = (): number => ('pid' in kinesis ? cpuSeconds(kinesis.pid as number) : 0);
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
    const clientCpu0 = process.cpuUsage();
    const emulatorCpu0 = emulatorCpu();
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
    const cpu = process.cpuUsage(clientCpu0);
    return {
      recordsPerSec: lines.length / seconds,
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
      emulatorCpuSeconds: emulatorCpu() - emulatorCpu0,
    };
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

/** Child processes of `pid` (Linux). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * One `npm start` run, exactly as users run it (`node <PIPELINE_NODE_FLAGS> dist/app/bin/start.js --input FILE --quiet`, after synth), in
 * its own process: its JSON summary line gives the rates, /proc gives the peak RSS and CPU of it and of its emulator
 * child.
 */
async function pipelineRun(input: string, root: string, lines: number, mode: Mode): Promise<PipelineFigures> {
  const args = [...PIPELINE_NODE_FLAGS, join(root, 'dist', 'app', 'bin', 'start.js'), '--input', input, '--quiet', ...(mode === 'kinesis-process' ? ['--kinesis-process'] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  let main = 0;
  let emulator = 0;
  let mainCpu = 0;
  const emulatorCpu = new Map<number, number>();
  const emulators = new Set<number>();
  // Sampled every 50 ms until the processes end, so the CPU figures may miss their last 50 ms.
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    main = Math.max(main, peakRss(child.pid));
    mainCpu = Math.max(mainCpu, cpuSeconds(child.pid) || 0);
    for (const pid of childrenOf(child.pid)) emulators.add(pid);
    for (const pid of emulators) {
      emulator = Math.max(emulator, peakRss(pid));
      emulatorCpu.set(pid, Math.max(emulatorCpu.get(pid) ?? 0, cpuSeconds(pid) || 0));
    }
  }, 50);
  const [code] = (await once(child, 'close')) as [number | null];
  clearInterval(sampler);
  if (code !== 0) throw new Error(`npm start exited with ${code}:\n${stderr}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as RunSummary;
  if (summary.recordsShipped !== lines) throw new Error(`shipped ${summary.recordsShipped} of ${lines} lines`);
  return {
    linesPerSec: lines / (summary.elapsedMs / 1000),
    firstObjectMs: summary.firstObjectMs ?? Number.NaN,
    mainPeakRssMb: main / 1e6,
    emulatorPeakRssMb: emulator / 1e6,
    cpuSeconds: mainCpu + [...emulatorCpu.values()].reduce((x, y) => x + y, 0),
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
 * The bare rate measured in a fresh process, like each `npm start` run: a client warmed up by earlier runs in this
 * process would otherwise flatter the bare figure.
 */
async function bareInChild(input: string, root: string, inProcess: boolean): Promise<BareFigures> {
  const args = [...PIPELINE_NODE_FLAGS, join(root, 'dist', 'app', 'bench', 'pipeline.js'), '--bare', input, ...(inProcess ? ['--in-process'] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`bare measurement exited with ${code}`);
  return JSON.parse(out) as BareFigures;
}

/** One mode, bare and end to end, in the given order. */
async function measureMode(input: string, root: string, lines: number, mode: Mode, bareFirst: boolean): Promise<ModeFigures> {
  const bare = (): Promise<BareFigures> => bareInChild(input, root, mode === 'default');
  const e2e = (): Promise<PipelineFigures> => pipelineRun(input, root, lines, mode);
  if (bareFirst) {
    const b = await bare();
    return { bare: b, e2e: await e2e() };
  }
  const e = await e2e();
  return { bare: await bare(), e2e: e };
}

/** Medians over the runs of one mode, and the report's lines for it. */
function summarize(runs: readonly ModeFigures[], lines: number, firstTargetMs: number) {
  const bare = median(runs.map((r) => r.bare.recordsPerSec));
  const e2e = median(runs.map((r) => r.e2e.linesPerSec));
  // Each run's pair was measured side by side: the ratio is the median of the runs' ratios.
  const ratios = runs.map((r) => r.e2e.linesPerSec / r.bare.recordsPerSec);
  const ratio = median(ratios);
  const first = median(runs.map((r) => r.e2e.firstObjectMs));
  const mainRss = Math.max(...runs.map((r) => r.e2e.mainPeakRssMb));
  const emulatorRss = Math.max(...runs.map((r) => r.e2e.emulatorPeakRssMb));
  const rss = Math.max(...runs.map((r) => r.e2e.mainPeakRssMb + r.e2e.emulatorPeakRssMb));
  const bareCpu = median(runs.map((r) => r.bare.clientCpuSeconds + r.bare.emulatorCpuSeconds));
  const e2eCpu = median(runs.map((r) => r.e2e.cpuSeconds));
  return {
    bareRecordsPerSec: Math.round(bare),
    e2eLinesPerSec: Math.round(e2e),
    ratio: Number(ratio.toFixed(3)),
    ratioRange: [Math.min(...ratios), Math.max(...ratios)].map((x) => Number(x.toFixed(3))),
    firstObjectMs: Math.round(first),
    firstObjectOk: first <= firstTargetMs,
    peakRssMb: Math.round(rss),
    mainPeakRssMb: Math.round(mainRss),
    emulatorPeakRssMb: Math.round(emulatorRss),
    /** CPU per 1,000 lines, in ms. */
    bareCpuMsPerK: Number(((bareCpu / lines) * 1e6).toFixed(1)),
    e2eCpuMsPerK: Number(((e2eCpu / lines) * 1e6).toFixed(1)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '3' },
      bare: { type: 'string' },
      'in-process': { type: 'boolean', default: false },
    },
  });
  if (values.bare !== undefined) {
    // The same heap setting as npm start and the emulator process, so the bare rate is measured on equal terms.
    limitHeapGrowth();
    const root = projectRoot(__dirname);
    const figures = await bareKinesisRate(fileRecords(values.bare), readStackConfig({ projectDir: root }), root, values['in-process']);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const lines = Number(values.lines);
  const runs = Number(values.runs);
  const root = projectRoot(__dirname);
  const config = readStackConfig({ projectDir: root });
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  try {
    const input = join(dir, 'access.log');
    await writeDemoLog(root, input, lines, 5);
    const single: ModeFigures[] = [];
    const separate: ModeFigures[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate the order so neither measurement always runs on a warmer (or more fragmented) machine.
      single.push(await measureMode(input, root, lines, 'default', i % 2 === 0));
      separate.push(await measureMode(input, root, lines, 'kinesis-process', i % 2 === 1));
      const line = (name: string, m: ModeFigures): string =>
        `${name}: bare ${m.bare.recordsPerSec.toFixed(0)} records/s, end to end ${m.e2e.linesPerSec.toFixed(0)} lines/s ` +
        `(${(m.e2e.linesPerSec / m.bare.recordsPerSec).toFixed(2)}×), first object ${(m.e2e.firstObjectMs / 1000).toFixed(2)} s, ` +
        `peak RSS ${(m.e2e.mainPeakRssMb + m.e2e.emulatorPeakRssMb).toFixed(0)} MB, CPU bare ${(m.bare.clientCpuSeconds + m.bare.emulatorCpuSeconds).toFixed(2)} s / end to end ${m.e2e.cpuSeconds.toFixed(2)} s`;
      process.stderr.write(`run ${i + 1}/${runs}: ${line('default', single[i]!)}; ${line('--kinesis-process', separate[i]!)}\n`);
    }
    const firstTarget = (config.delivery.bufferingIntervalSeconds + 2) * 1000;
    const d = summarize(single, lines, firstTarget);
    const k = summarize(separate, lines, firstTarget);
    const cores = availableParallelism();
    const ceiling = (cores / (k.e2eCpuMsPerK / 1e6)) / 1000;
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    const range = (r: number[]): string => `runs ${r[0]!.toFixed(2)}–${r[1]!.toFixed(2)}`;
    process.stderr.write(
      [
        '',
        `pipeline benchmark: ${lines} lines (5% hostile), ${runs} runs, medians; stack ${config.source}`,
        `npm start (kinesalite inside npm start's process)`,
        `  bare Kinesis PutRecords (client and kinesalite in one process, ${IN_FLIGHT} calls in flight)  ${d.bareRecordsPerSec} records/s`,
        `  end to end (ship → Kinesis → Firehose → Lambda → S3)   ${d.e2eLinesPerSec} lines/s = ${d.ratio.toFixed(2)}× bare (${range(d.ratioRange)})  [target ≥ 0.80: ${verdict(d.ratio >= 0.8)}]`,
        `  time to first object                                    ${(d.firstObjectMs / 1000).toFixed(2)} s  [target ≤ ${firstTarget / 1000} s: ${verdict(d.firstObjectOk)}]`,
        `  peak RSS                                                ${d.peakRssMb} MB  [target ≤ 400 MB: ${verdict(d.peakRssMb <= 400)}]`,
        `  CPU per 1,000 lines: bare ${d.bareCpuMsPerK} ms, end to end ${d.e2eCpuMsPerK} ms (start-up included)`,
        `npm start -- --kinesis-process (kinesalite in its own process)`,
        `  bare Kinesis PutRecords (kinesalite process, ${IN_FLIGHT} calls in flight)  ${k.bareRecordsPerSec} records/s`,
        `  end to end                                              ${k.e2eLinesPerSec} lines/s = ${k.ratio.toFixed(2)}× bare (${range(k.ratioRange)})  [target ≥ 0.80: ${verdict(k.ratio >= 0.8)}]`,
        `  time to first object                                    ${(k.firstObjectMs / 1000).toFixed(2)} s  [target ≤ ${firstTarget / 1000} s: ${verdict(k.firstObjectOk)}]`,
        `  peak RSS, npm start + emulator process                  ${k.mainPeakRssMb} + ${k.emulatorPeakRssMb} MB = ${k.peakRssMb} MB  [target ≤ 400 MB: ${verdict(k.peakRssMb <= 400)}]`,
        `  CPU per 1,000 lines: bare ${k.bareCpuMsPerK} ms (client + emulator), end to end ${k.e2eCpuMsPerK} ms (npm start + emulator, start-up included)`,
        `  so on this machine's ${cores} cores end to end can reach at most ${ceiling.toFixed(1)}k lines/s = ${((ceiling * 1000) / k.bareRecordsPerSec).toFixed(2)}× bare`,
        '',
      ].join('\n'),
    );
    process.stdout.write(`${JSON.stringify({ lines, runs, cores, default: d, kinesisProcess: k, runsDetail: { default: single, kinesisProcess: separate } })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
