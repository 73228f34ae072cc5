import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';

/** `npm run parse` runs bin/parse.ts built by esbuild; the test builds it the same way into a temporary folder. */
describe('npm run parse', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parse-cli-'));
  const cli = join(dir, 'parse.js');
  buildSync({
    entryPoints: [resolve(__dirname, '..', '..', 'bin', 'parse.ts')],
    outfile: cli,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'silent',
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

  it('prints NDJSON, reports each failed line with its number and why, and exits 1', () => {
    const log = join(dir, 'access.log');
    writeFileSync(
      log,
      '1.2.3.4 - - [22/Dec/2020:21:32:36 +0900] "GET / HTTP/1.1" 304 0 "-" "curl/7.68.0" "-"\n' +
        '1.2.3.4 - - [22/Dec/2020:21:32:36 +0900] "GET /x HTTP/1.1" 200 \n' +
        '\n' +
        '1.2.3.4 - - [22/Dec/2020:21:32:36 +0900] "GET /y HTTP/1.1" 200 5 "-" "-"',
    );
    const r = run([log]);
    expect(r.status).toBe(1);
    const out = r.stdout.split('\n');
    expect(out).toHaveLength(3);
    expect(JSON.parse(out[0] as string)).toMatchObject({ uri: '/', timestamp: '2020-12-22T12:32:36', status: 304 });
    expect(JSON.parse(out[1] as string)).toMatchObject({ uri: '/y', size: 5 });
    expect(r.stderr).toMatch(/^line 2: no " \\"" after \$body_bytes_sent at column \d+ .*: 1\.2\.3\.4 - - /m);
    expect(r.stderr).toMatch(/3 lines, 2 ok, 1 failed; 0\.00 MB in [\d.]+ s \([\d.]+ MB\/s\)\nclosest preset: /);
  });

  it('takes a preset name and, when lines fail, suggests the preset that fits them', () => {
    const log = join(dir, 'ingress.log');
    const line =
      '192.168.65.1 - - [05/Dec/2026:10:00:00 +0000] "GET /api HTTP/1.1" 502 150 "-" "curl/8.5.0" 84 0.004 ' +
      '[default-api-80] [] 10.244.0.7:8080, 10.244.0.8:8080 0, 0 0.001, 0.002 502, 502 5d3a1f0c9b8e7d6c5b4a39281706f5e4';
    writeFileSync(log, `${line}\n${line.replace('GET /api', 'GET /other')}\n`);
    const wrong = run([log]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/closest preset: ingress-nginx \(2 of 2 failed lines fit it\); try --log-format ingress-nginx\n$/);
    const right = run([log, '--log-format', 'ingress-nginx']);
    expect(right.status).toBe(0);
    expect(JSON.parse(right.stdout.split('\n')[0] as string)).toMatchObject({
      upstream_addr: '10.244.0.7:8080, 10.244.0.8:8080',
      upstream_response_time_total: 0.003,
      upstream_status_last: 502,
    });
    expect(run([log, '--log-format', 'ingres']).stderr).toMatch(/no preset is named "ingres"; use one of main, combined, ingress-nginx, json/);
  });

  it('uses --log-format (or LOG_FORMAT) and exits 0 when every line fits', () => {
    const log = join(dir, 'custom.log');
    writeFileSync(log, '1.2.3.4 0.123\n5.6.7.8 -\n');
    const r = run([log, '--log-format', '$remote_addr $request_time']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').map((l) => (l ? JSON.parse(l).request_time : 'end'))).toEqual([0.123, null, 'end']);
    expect(run([log], { LOG_FORMAT: '$remote_addr $request_time' }).status).toBe(0);
  });

  it('exits 2 with a clear message for a bad format or missing file argument', () => {
    const bad = run(['x.log', '--log-format', '$remote_addr$status']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/invalid --log-format \/ LOG_FORMAT: log format: \$remote_addr and \$status have no text between them/);
    expect(run([]).stderr).toMatch(/FILE is missing/);
  });
});
