import { buildSync } from 'esbuild';
import { builtinModules } from 'node:module';
import { resolve } from 'node:path';

/** The Lambda bundle as build.mjs makes it (`npm run bundle`), built in memory. */
function bundle(): string {
  const result = buildSync({
    entryPoints: [resolve(__dirname, '..', '..', 'functions', 'nginx-parser', 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return (result.outputFiles[0] as { text: string }).text;
}

describe('Lambda bundle', () => {
  const code = bundle();

  it('is at most 15 KB minified', () => {
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(15_000);
  });

  it('has no runtime dependencies: it requires nothing, or only Node built-ins', () => {
    const required = [...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1] as string);
    expect(required.filter((name) => !builtinModules.includes(name.replace(/^node:/, '')))).toEqual([]);
    expect(code).not.toMatch(/cdktf|@aws-sdk|constructs/);
  });

  it('exports the handler', () => {
    const module = { exports: {} as Record<string, unknown> };
    new Function('module', 'exports', 'require', 'process', code)(module, module.exports, require, { env: {} });
    expect(typeof module.exports.handler).toBe('function');
  });
});
