/**
 * Named log formats: `LOG_FORMAT=main|combined|ingress-nginx|json` instead of a `log_format` string.
 *
 * Names are resolved where LOG_FORMAT is read, by {@link resolveLogFormat}: at synth (the Lambda's LOG_FORMAT
 * environment variable holds the resolved format string), by `npm run parse` and by the catalog columns. The Lambda
 * bundle does not carry these strings.
 */
import { LogFormatError, NGINX_COMBINED_FORMAT, NGINX_MAIN_FORMAT } from './log-format';

/**
 * ingress-nginx's default `log-format-upstream` (the controller's `upstreaminfo` format), as in kubernetes/ingress-nginx
 * `internal/ingress/controller/config/config.go`. `$proxy_upstream_name`, `$proxy_alternative_upstream_name` and
 * `$req_id` (the client's X-Request-ID, else `$request_id`) are the controller's own variables.
 */
export const INGRESS_NGINX_FORMAT =
  '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" ' +
  '$request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr ' +
  '$upstream_response_length $upstream_response_time $upstream_status $req_id';

/**
 * A JSON access log (`escape=json`): the `main` fields, the request and upstream timings, `$host` and `$request_id`.
 * Numbers nginx always writes are unquoted; the `$upstream_*` lists are quoted, as they are not JSON numbers.
 */
export const NGINX_JSON_FORMAT =
  'escape=json {"time":"$time_iso8601","remote_addr":"$remote_addr","remote_user":"$remote_user",' +
  '"request":"$request","status":$status,"body_bytes_sent":$body_bytes_sent,"request_time":$request_time,' +
  '"http_referer":"$http_referer","http_user_agent":"$http_user_agent","http_x_forwarded_for":"$http_x_forwarded_for",' +
  '"host":"$host","request_id":"$request_id","upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",' +
  '"upstream_response_time":"$upstream_response_time"}';

/**
 * Named log formats `LOG_FORMAT` (and `npm run parse -- --log-format`) accept instead of a `log_format` string.
 * `main` also accepts `combined` lines, as the stack's default always has.
 */
export const LOG_FORMAT_PRESETS: Readonly<Record<'main' | 'combined' | 'ingress-nginx' | 'json', string>> = Object.freeze({
  main: NGINX_MAIN_FORMAT,
  combined: NGINX_COMBINED_FORMAT,
  'ingress-nginx': INGRESS_NGINX_FORMAT,
  json: NGINX_JSON_FORMAT,
});

/** The name of a log format preset. */
export type LogFormatPreset = keyof typeof LOG_FORMAT_PRESETS;

const PRESET_NAMES = Object.keys(LOG_FORMAT_PRESETS).join(', ');

/**
 * The `log_format` string a `LOG_FORMAT` value stands for: a preset's format for a preset name, nginx's `main` when
 * the value is undefined or blank, the value itself otherwise. Throws {@link LogFormatError} for a bare word that is
 * no preset (a format needs at least one `$variable`).
 */
export function resolveLogFormat(value: string | undefined): string {
  const name = value?.trim() ?? '';
  if (name === '') return NGINX_MAIN_FORMAT;
  if (Object.prototype.hasOwnProperty.call(LOG_FORMAT_PRESETS, name)) return LOG_FORMAT_PRESETS[name as LogFormatPreset];
  if (/^[\w.-]+$/.test(name)) {
    throw new LogFormatError(`log format: no preset is named "${name}"; use one of ${PRESET_NAMES}, or an nginx log_format string`);
  }
  return value as string;
}
