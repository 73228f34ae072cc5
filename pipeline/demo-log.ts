/**
 * The demo input of `npm start`: nginx access-log lines from the shared generator (`../shared/bench/gen-nginx-log.mjs`,
 * deterministic, with a share of real-world oddities), or from a small built-in generator when it is not there.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';

/** Where the shared generator lives: beside the repository, as CI and the README lay it out. */
export function sharedGenerator(projectDir: string): string {
  return join(projectDir, '..', 'shared', 'bench', 'gen-nginx-log.mjs');
}

/** Writes `lines` lines to `file` (`hostilePercent` of them odd) and says which generator made them. */
export async function writeDemoLog(
  projectDir: string,
  file: string,
  lines: number,
  hostilePercent = 5,
  seed = 1,
): Promise<'shared' | 'built-in'> {
  mkdirSync(dirname(file), { recursive: true });
  const generator = sharedGenerator(projectDir);
  const out = createWriteStream(file);
  if (existsSync(generator)) {
    const child = spawn(process.execPath, [generator, String(lines), String(seed), `--hostile=${hostilePercent}`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const finished = once(out, 'finish');
    child.stdout.pipe(out);
    const [code] = (await once(child, 'close')) as [number | null];
    await finished;
    if (code !== 0) throw new Error(`${generator} exited with status ${code}`);
    return 'shared';
  }
  for (const chunk of builtInLines(lines, hostilePercent, seed)) {
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return 'built-in';
}

/** A small deterministic generator in nginx's `main` format, in chunks of up to 10,000 lines. */
export function* builtInLines(lines: number, hostilePercent: number, seed: number): Generator<string> {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  let clock = Date.UTC(2020, 11, 22, 12, 0, 0);
  let buf: string[] = [];
  for (let i = 0; i < lines; i++) {
    clock += Math.floor(rand() * 40);
    const t = new Date(clock);
    const time = `${pad(t.getUTCDate())}/${months[t.getUTCMonth()]}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000`;
    const ip = `${1 + Math.floor(rand() * 222)}.${Math.floor(rand() * 256)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 253)}`;
    buf.push(
      rand() * 100 < hostilePercent
        ? pick([`${ip} - - [${time}] "" 400 0 "-" "-" "-"`, `${ip} - - [${time}] "GET / HTTP/1.1" 200 `, 'not an access log line'])
        : `${ip} - - [${time}] "${pick(['GET', 'POST', 'HEAD'])} ${pick(['/', '/index.html', '/api/v1/orders'])} HTTP/1.1" ` +
            `${pick([200, 200, 304, 404, 500])} ${Math.floor(rand() * 5000)} "-" "${pick(['curl/7.68.0', 'Mozilla/5.0'])}" "-"`,
    );
    if (buf.length === 10_000) {
      yield `${buf.join('\n')}\n`;
      buf = [];
    }
  }
  if (buf.length > 0) yield `${buf.join('\n')}\n`;
}
