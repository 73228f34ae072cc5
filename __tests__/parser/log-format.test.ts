import { LEADING_KEYS } from '../../facts/output-schema';
import { compileLogFormat, LogFormatError, NGINX_COMBINED_FORMAT, NGINX_MAIN_FORMAT } from '../../functions/nginx-parser/log-format';

describe('compileLogFormat', () => {
  it("compiles nginx main with the original schema's keys first, then the remaining variables", () => {
    const f = compileLogFormat(NGINX_MAIN_FORMAT);
    expect(f.escape).toBe('default');
    expect(f.keys).toEqual([...LEADING_KEYS, 'remote_user', 'http_x_forwarded_for']);
    expect(f.literals[0]).toBe('');
    expect(f.literals[f.literals.length - 1]).toBe('"');
  });

  it('defines combined as main without $http_x_forwarded_for', () => {
    expect(NGINX_COMBINED_FORMAT).toBe(
      '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"',
    );
  });

  it('keeps the original spelling "refferer" for $http_referer', () => {
    const f = compileLogFormat(NGINX_COMBINED_FORMAT);
    expect(f.variables.find((v) => v.name === 'http_referer')?.role).toBe('refferer');
    expect(f.keys).not.toContain('referer');
  });

  it('accepts escape=json, nginx config quoting and a whole log_format directive', () => {
    const f = compileLogFormat(`log_format api escape=json '{"t":"$time_iso8601",' '"s":$status}';`);
    expect(f.escape).toBe('json');
    expect(f.format).toBe('{"t":"$time_iso8601","s":$status}');
    expect(compileLogFormat('escape=none $remote_addr "$request"').escape).toBe('none');
  });

  it('understands ${name} variables', () => {
    expect(compileLogFormat('${remote_addr}:x ${status}').variables.map((v) => v.name)).toEqual(['remote_addr', 'status']);
  });

  it('renames a variable that would collide with a key of the original schema instead of overwriting it', () => {
    const f = compileLogFormat('$remote_addr $host "$uri" $status');
    expect(f.keys).toEqual([...LEADING_KEYS, 'nginx_host', 'nginx_uri']);
  });

  it.each([
    ['$remote_addr$status', /\$remote_addr and \$status have no text between them/],
    ['$remote_addr "$request" $status${body_bytes_sent}', /\$status and \$body_bytes_sent have no text between them/],
    ['$http_user_agent $status', /\$http_user_agent can contain " "/],
    ['$remote_addr:$remote_port', /\$remote_addr can contain ":"/],
    ['escape=xml $status', /escape must be default, json or none, got "escape=xml"/],
    ['no variables here', /has no \$variables/],
    ['$remote_addr $ x', /"\$" at position 13 is not a variable/],
    ['${remote_addr', /"\$" at position 0 is not a variable/],
    ['   ', /log format is empty/],
  ])('rejects %j with a clear error', (format, message) => {
    expect(() => compileLogFormat(format)).toThrow(LogFormatError);
    expect(() => compileLogFormat(format)).toThrow(message);
  });

  it('accepts a free-text variable followed by text that is not only blanks', () => {
    expect(() => compileLogFormat('$remote_user [$time_local] $status')).not.toThrow();
    expect(() => compileLogFormat('$request_time $upstream_response_time')).not.toThrow();
  });
});
