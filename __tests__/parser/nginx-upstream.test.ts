/**
 * Real `$upstream_*` lists: nginx with the ingress-nginx preset (`upstreaminfo`) and the json preset as log formats,
 * proxying to an upstream group whose first server is a closed loopback port and whose second is a live server block
 * (`proxy_next_upstream error`), so `$upstream_addr` really lists the servers tried; an X-Accel-Redirect from the
 * backend adds an internal redirect (` : `). Everything on 127.0.0.1; nginx is stopped by its PID. Needs the nginx
 * binary (`apt-get install -y nginx`); without it the tests pass with a warning, except under CI=true.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createParser } from '../../functions/nginx-parser/parse';
import { INGRESS_NGINX_FORMAT, NGINX_JSON_FORMAT } from '../../functions/nginx-parser/presets';
import { logLines, NGINX, nginxConf, nginxMissing, startNginx, stopNginx } from '../support/nginx';
import { freePort } from '../support/ports';

const MISSING = nginxMissing('the real-nginx upstream list tests');

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Connection: 'close', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('real nginx $upstream_* lists (failover and internal redirect)', () => {
  let prefix = '';
  const logs: Record<'ingress' | 'json', Buffer[]> = { ingress: [], json: [] };
  const logFile = (name: keyof typeof logs): string => join(prefix, 'logs', `${name}.log`);

  beforeAll(async () => {
    if (NGINX === undefined) {
      if (process.env.CI === 'true') throw new Error(MISSING);
      console.warn(`SKIPPED: ${MISSING}`);
      return;
    }
    prefix = mkdtempSync(join(tmpdir(), 'nginx-upstream-'));
    mkdirSync(join(prefix, 'logs'));
    mkdirSync(join(prefix, 'tmp'));
    const [front, live, closed] = [await freePort('127.0.0.1'), await freePort('127.0.0.1'), await freePort('127.0.0.1')];
    const jsonBody = NGINX_JSON_FORMAT.replace(/^escape=json /, '');
    writeFileSync(
      join(prefix, 'nginx.conf'),
      nginxConf(
        prefix,
        `  # ingress-nginx's own variables, defined as the controller's nginx.tmpl does.
  map $http_x_request_id $req_id { default $http_x_request_id; "" $request_id; }
  log_format upstreaminfo '${INGRESS_NGINX_FORMAT}';
  log_format upjson escape=json '${jsonBody}';
  upstream backend {
    server 127.0.0.1:${closed} max_fails=0;
    server 127.0.0.1:${live} max_fails=0;
  }
  server {
    listen 127.0.0.1:${front};
    access_log ${prefix}/logs/ingress.log upstreaminfo;
    access_log ${prefix}/logs/json.log upjson;
    set $proxy_upstream_name "default-backend-80";
    set $proxy_alternative_upstream_name "";
    location / { proxy_pass http://backend; proxy_next_upstream error; }
    location /local { return 200 "local\\n"; }
    location /redirected/ { internal; proxy_pass http://127.0.0.1:${live}/final/; }
  }
  server {
    listen 127.0.0.1:${live};
    access_log off;
    location / { return 200 "backend\\n"; }
    location /accel { add_header X-Accel-Redirect /redirected/x; return 200 ""; }
    location /final/ { return 200 "final\\n"; }
  }`,
      ),
    );
    const nginx = await startNginx(prefix, [front, live]);
    let answered = 0;
    try {
      // Round robin over two servers, the closed one never marked down: every other request tries it first.
      for (let i = 0; i < 4; i++) expect(await get(front, `/try/${i}`)).toBe(200);
      for (let i = 0; i < 2; i++) expect(await get(front, `/accel/${i}`)).toBe(200);
      expect(await get(front, '/local')).toBe(200);
      expect(await get(front, '/id', { 'X-Request-ID': 'client id 42' })).toBe(200);
      answered = 8;
    } finally {
      await stopNginx(nginx, [logFile('ingress'), logFile('json')], answered);
    }
    for (const name of ['ingress', 'json'] as const) logs[name] = logLines(logFile(name));
  }, 30_000);

  afterAll(() => {
    if (prefix) rmSync(prefix, { recursive: true, force: true });
  });

  const parsers = { ingress: createParser(INGRESS_NGINX_FORMAT), json: createParser(NGINX_JSON_FORMAT) };
  const docs = (name: keyof typeof logs): Record<string, unknown>[] =>
    logs[name].map((line) => {
      const parser = parsers[name];
      parser.reset();
      if (!parser.appendLine(line, 0, line.length)) {
        throw new Error(`${name}.log line did not parse (${parser.error}): ${line.toString('latin1')}`);
      }
      return JSON.parse(Buffer.from(parser.buf.subarray(0, parser.length)).toString('utf8')) as Record<string, unknown>;
    });

  it.each(['ingress', 'json'] as const)('parses every line of the %s log', (name) => {
    if (NGINX === undefined) return;
    expect(logs[name]).toHaveLength(8);
    expect(docs(name)).toHaveLength(8);
  });

  it.each(['ingress', 'json'] as const)('lists the servers tried when the first one refused (%s)', (name) => {
    if (NGINX === undefined) return;
    const tries = docs(name).filter((d) => String(d.uri).startsWith('/try/'));
    const failedOver = tries.filter((d) => String(d.upstream_addr).includes(', '));
    expect(failedOver.length).toBeGreaterThanOrEqual(1);
    for (const d of failedOver) {
      expect(d).toMatchObject({ status: 200, upstream_status: '502, 200', upstream_status_last: 200 });
      expect(String(d.upstream_addr)).toMatch(/^127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+$/);
      expect(d.upstream_response_time).toMatch(/^\d+\.\d{3}, \d+\.\d{3}$/);
      expect(d.upstream_response_time_total).toEqual(expect.any(Number));
    }
    for (const d of tries.filter((t) => !failedOver.includes(t))) expect(d).toMatchObject({ upstream_status: '200', upstream_status_last: 200 });
  });

  it('separates the groups of an internal redirect with " : "', () => {
    if (NGINX === undefined) return;
    for (const d of docs('ingress').filter((t) => String(t.uri).startsWith('/accel/'))) {
      expect(String(d.upstream_addr)).toMatch(/ : 127\.0\.0\.1:\d+$/);
      expect(String(d.upstream_status)).toMatch(/ : 200$/);
      expect(d.upstream_response_length_total).toBe(6);
    }
  });

  it("writes null for a request nginx answered itself, and keeps the client's X-Request-ID as $req_id", () => {
    if (NGINX === undefined) return;
    expect(docs('ingress').find((d) => d.uri === '/local')).toMatchObject({
      upstream_addr: null,
      upstream_status: null,
      upstream_status_last: null,
      upstream_response_time_total: null,
      proxy_upstream_name: 'default-backend-80',
    });
    expect(docs('json').find((d) => d.uri === '/local')).toMatchObject({ upstream_addr: null, upstream_status_last: null });
    expect(docs('ingress').find((d) => d.uri === '/id')).toMatchObject({ req_id: 'client id 42' });
    expect(docs('ingress').find((d) => d.uri === '/local')?.req_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
