/**
 * `npm run bench:pipeline`: end-to-end lines/s of `npm start`'s machinery, time to the first object and peak RSS,
 * side by side with the embedded Kinesis's bare PutRecords rate measured in the same run with nothing else running.
 *
 *   npm run bench:pipeline -- [--lines 200000] [--runs 3]
 *
 * Targets (issue 5): end to end ≥ 0.8× the bare Kinesis rate; first object within the S3 buffer interval + 2 s;
 * peak RSS ≤ 400 MB. The pipeline runs are real `npm start` processes (`dist/app/bin/start.js --input FILE`). Each run
 * measures both, bare first then the pipeline, alternating to even out machine noise;
 * the report gives medians. The embedded Kinesis runs in its own process (as in `npm start`), for both measurements;
 * each run then measures the same pair with kinesalite in one process (`npm start -- --single-process`). It also reports the CPU time both measurements cost (from /proc): end to end can never go faster than the machine's
 * cores divided by its CPU per line, which is what bounds the ratio on a small machine.
 */
import { CreateStreamCommand, PutRecordsCommand, waitUntilStreamExists } from '@aws-sdk/client-kinesis';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { kinesisClient } from '../pipeline/clients';
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
  /** NaN when kinesalite ran inside the client's process. */
  emulatorCpuSeconds: number;
}

interface RunFigures {
  bareRecordsPerSec: number;
  bareInProcessRecordsPerSec: number;
  bareClientCpuSeconds: number;
  bareEmulatorCpuSeconds: number;
  /** `npm start`'s own process, its whole life (start-up included). */
  e2eMainCpuSeconds: number;
  /** The Kinesis emulator process, its whole life. */
  e2eEmulatorCpuSeconds: number;
  e2eLinesPerSec: number;
  firstObjectMs: number;
  /** This process: shipper, Firehose, parser, S3 emulator. */
  peakRssMb: number;
  /** The Kinesis emulator process (VmHWM). */
  emulatorPeakRssMb: number;
  objects: number;
  recordsOk: number;
  recordsFailed: number;
  /** `npm start -- --single-process`: the same run with kinesalite inside npm start's process. */
  singleProcessLinesPerSec: number;
  singleProcessPeakRssMb: number;
}

/**
 * The embedded Kinesis's own PutRecords rate: the same lines in batches of 500 (within 5 MiB), two calls in flight
 * like the shipper, random partition keys, into a fresh kinesalite with the stack's shard count.
 */
async function bareKinesisRate(lines: Buffer[], config: PipelineConfig, root: string, inProcess = false): Promise<BareFigures> {
  const kinesis = inProcess ? await startKinesis() : await startKinesisProcess(root);
  const emulatorCpu = (): number => ('pid' in kinesis ? cpuSeconds(kinesis.pid as number) : Number.NaN);
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
 * One `npm start` run, exactly as users run it (`node dist/app/bin/start.js --input FILE --quiet`, after synth), in
 * its own process: its JSON summary line gives the rates, /proc gives the peak RSS of it and of its emulator child.
 */
type PipelineFigures = Omit<RunFigures, `bare${string}` | `singleProcess${string}`>;

async function pipelineRun(input: string, root: string, lines: number, singleProcess = false): Promise<PipelineFigures> {
  const args = [join(root, 'dist', 'app', 'bin', 'start.js'), '--input', input, '--quiet', ...(singleProcess ? ['--single-process'] : [])];
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
    e2eLinesPerSec: lines / (summary.elapsedMs / 1000),
    firstObjectMs: summary.firstObjectMs ?? Number.NaN,
    peakRssMb: main / 1e6,
    emulatorPeakRssMb: emulator / 1e6,
    e2eMainCpuSeconds: mainCpu,
    e2eEmulatorCpuSeconds: [...emulatorCpu.values()].reduce((a, b) => a + b, 0),
    objects: summary.objects + summary.errorObjects,
    recordsOk: summary.recordsOk,
    recordsFailed: summary.recordsFailed,
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
  const args = [join(root, 'dist', 'app', 'bench', 'pipeline.js'), '--bare', input, ...(inProcess ? ['--in-process'] : [])];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`bare measurement exited with ${code}`);
  return JSON.parse(out) as BareFigures;
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
    const figures: RunFigures[] = [];
    for (let i = 0; i < runs; i++) {
      // Alternate the order so neither measurement always runs on a warmer (or more fragmented) process.
      let bare: BareFigures;
      let e2e: PipelineFigures;
      if (i % 2 === 0) {
        bare = await bareInChild(input, root, false);
        e2e = await pipelineRun(input, root, lines);
      } else {
        e2e = await pipelineRun(input, root, lines);
        bare = await bareInChild(input, root, false);
      }
      // The same pair with kinesalite inside one process: `npm start -- --single-process` and its own bare rate.
      const bareInProcess = await bareInChild(input, root, true);
      const single = await pipelineRun(input, root, lines, true);
      figures.push({
        singleProcessLinesPerSec: single.e2eLinesPerSec,
        singleProcessPeakRssMb: single.peakRssMb,
        bareRecordsPerSec: bare.recordsPerSec,
        bareInProcessRecordsPerSec: bareInProcess.recordsPerSec,
        bareClientCpuSeconds: bare.clientCpuSeconds,
        bareEmulatorCpuSeconds: bare.emulatorCpuSeconds,
        ...e2e,
      });
      process.stderr.write(
        `run ${i + 1}/${runs}: bare Kinesis ${bare.recordsPerSec.toFixed(0)} records/s (CPU: client ${bare.clientCpuSeconds.toFixed(2)} s + emulator ${bare.emulatorCpuSeconds.toFixed(2)} s), ` +
          `end to end ${e2e.e2eLinesPerSec.toFixed(0)} lines/s (${(e2e.e2eLinesPerSec / bare.recordsPerSec).toFixed(2)}×; CPU: npm start ${e2e.e2eMainCpuSeconds.toFixed(2)} s + emulator ${e2e.e2eEmulatorCpuSeconds.toFixed(2)} s), ` +
          `first object ${(e2e.firstObjectMs / 1000).toFixed(2)} s, peak RSS ${e2e.peakRssMb.toFixed(0)} MB + emulator ${e2e.emulatorPeakRssMb.toFixed(0)} MB; ` +
          `single process: bare ${bareInProcess.recordsPerSec.toFixed(0)} records/s, end to end ${single.e2eLinesPerSec.toFixed(0)} lines/s ` +
          `(${(single.e2eLinesPerSec / bareInProcess.recordsPerSec).toFixed(2)}×), peak RSS ${single.peakRssMb.toFixed(0)} MB\n`,
      );
    }
    const bare = median(figures.map((f) => f.bareRecordsPerSec));
    const bareIn = median(figures.map((f) => f.bareInProcessRecordsPerSec));
    const e2e = median(figures.map((f) => f.e2eLinesPerSec));
    const first = median(figures.map((f) => f.firstObjectMs));
    const single = median(figures.map((f) => f.singleProcessLinesPerSec));
    const singleRss = Math.max(...figures.map((f) => f.singleProcessPeakRssMb));
    const rss = Math.max(...figures.map((f) => f.peakRssMb));
    const emuRss = Math.max(...figures.map((f) => f.emulatorPeakRssMb));
    const firstTarget = (config.delivery.bufferingIntervalSeconds + 2) * 1000;
    const ratio = e2e / bare;
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    // CPU seconds per run, whole: what the bare run and the pipeline each cost the machine for the same lines.
    const bareCpu = median(figures.map((f) => f.bareClientCpuSeconds + f.bareEmulatorCpuSeconds));
    const e2eCpu = median(figures.map((f) => f.e2eMainCpuSeconds + f.e2eEmulatorCpuSeconds));
    const perK = (seconds: number): string => ((seconds / lines) * 1e6).toFixed(1);
    const cores = availableParallelism();
    process.stderr.write(
      [
        '',
        `pipeline benchmark: ${lines} lines (5% hostile), ${runs} runs, medians; stack ${config.source}`,
        `  bare Kinesis PutRecords (kinesalite process as npm start runs it, ${IN_FLIGHT} calls in flight)  ${bare.toFixed(0)} records/s`,
        `  end to end (ship → Kinesis → Firehose → Lambda → S3)             ${e2e.toFixed(0)} lines/s  = ${ratio.toFixed(2)}× bare  [target ≥ 0.80: ${verdict(ratio >= 0.8)}]`,
        `  time to first object                                              ${(first / 1000).toFixed(2)} s  [target ≤ ${firstTarget / 1000} s: ${verdict(first <= firstTarget)}]`,
        `  peak RSS, npm start's main process (shipper, Firehose, Lambda, S3)  ${rss.toFixed(0)} MB`,
        `  peak RSS, Kinesis emulator process                                ${emuRss.toFixed(0)} MB`,
        `  peak RSS, both together                                           ${(rss + emuRss).toFixed(0)} MB  [target ≤ 400 MB: ${verdict(rss + emuRss <= 400)}]`,
        `  CPU per 1,000 lines: bare ${perK(bareCpu)} ms (client + emulator); end to end ${perK(e2eCpu)} ms (npm start + emulator, start-up included)`,
        `  so on this machine's ${cores} cores end to end can reach at most ${(cores / (e2eCpu / lines)).toFixed(0)} lines/s = ${(cores / (e2eCpu / lines) / bare).toFixed(2)}× bare`,
        `npm start -- --single-process (kinesalite inside npm start's process)`,
        `  bare Kinesis PutRecords, kinesalite inside the measuring process  ${bareIn.toFixed(0)} records/s`,
        `  end to end                                                        ${single.toFixed(0)} lines/s  = ${(single / bareIn).toFixed(2)}× bare  [target ≥ 0.80: ${verdict(single / bareIn >= 0.8)}]`,
        `  peak RSS                                                          ${singleRss.toFixed(0)} MB  [target ≤ 400 MB: ${verdict(singleRss <= 400)}]`,
        '',
      ].join('\n'),
    );
    process.stdout.write(
      `${JSON.stringify({ lines, runs, bareRecordsPerSec: Math.round(bare), bareInProcessRecordsPerSec: Math.round(bareIn), e2eLinesPerSec: Math.round(e2e), ratio: Number(ratio.toFixed(3)), firstObjectMs: Math.round(first), firstObjectTargetMs: firstTarget, peakRssMb: Math.round(rss), emulatorPeakRssMb: Math.round(emuRss), singleProcessLinesPerSec: Math.round(single), singleProcessRatio: Number((single / bareIn).toFixed(3)), singleProcessPeakRssMb: Math.round(singleRss), bareCpuSeconds: bareCpu, e2eCpuSeconds: e2eCpu, cores, runsDetail: figures })}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:pipeline failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
