import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The Lambda bundle exactly as `npm run bundle` makes it (build.mjs), written to a temporary file. */
function bundle(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nginx-parser-bundle-'));
  try {
    const outfile = join(dir, 'index.js');
    execFileSync(process.execPath, ['build.mjs', 'lambda', outfile], { cwd: resolve(__dirname, '..', '..') });
    return readFileSync(outfile, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('Lambda bundle', () => {
  const code = bundle();

  it('is at most 20 KB minified', () => {
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(20_000);
  });

  it('has no runtime dependencies: it requires nothing, or only Node built-ins', () => {
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1] as string);
    expect(required.filter((name) => !builtinModules.includes(name.replace(/^node:/, '')))).toEqual([]);
    expect(code).not.toMatch(/cdktf|@aws-sdk|constructs/);
    // The shared facts are tree-shaken: only the Lambda's own limit reaches the bundle.
    expect(code).not.toMatch(/shardWriteBytesPerSecond|processorBufferMaxMBs|athenaWorkgroup|host:"string"/);
  });

  it('exports the handler', () => {
    const module = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', 'require', 'process', code)(module, module.exports, require, { env: {} });
    expect(typeof module.exports.handler).toBe('function');
  });
});
