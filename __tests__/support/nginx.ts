import { existsSync } from 'node:fs';

/** Debian's nginx (or a local build), if this machine has one. */
export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'].find((p) => existsSync(p));

/** Why a real-nginx test cannot run here, for its skip message (or its failure under CI=true). */
export function nginxMissing(what: string): string {
  return `nginx is not installed: install it with \`apt-get install -y nginx\` to run ${what}`;
}

/**
 * An nginx.conf that runs unprivileged in the foreground with everything under `prefix`, with `http` as the body of
 * its http block (log formats, access logs, servers). nginx is started with `-c <prefix>/nginx.conf -p <prefix>`.
 */
export function nginxConf(prefix: string, http: string, workerConnections = 64): string {
  return `daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${http}
}
`;
}
